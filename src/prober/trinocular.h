// Trinocular's model of one /24 block and its adaptive probing (Quan, Heidemann, Pradkin,
// "Trinocular: Understanding Internet Reliability Through Adaptive Probing", SIGCOMM 2013).
//
// A block b has its ever-responsive addresses E(b) (from a survey) and their availability A(b),
// the fraction of E(b) that answers in a typical round. The prober holds a belief B(U) that the
// block is up and updates it by Bayes' rule after every probe:
//   positive reply:  P(p|up) = A,      P(p|down) = epsilon
//   no reply:        P(n|up) = 1 - A,  P(n|down) = 1 - epsilon
// B(U) >= up_threshold is "up", <= down_threshold is "down", between is "uncertain". In a round,
// a block is probed (each pass over E(b) in a new pseudo-random order) until a reply agrees with
// a decisive belief -- a positive while up, a negative while down -- or until
// max_probes_per_round: a stable block costs one probe a round, a changing one a few more.
// A(b) is re-estimated from the replies of the rounds the block is not down; a block whose
// availability falls below min_availability cannot be judged and becomes "unmeasurable".
//
// Two choices are Vigil's (docs/methodology-detectors.md): the belief is kept within
// [belief_floor, belief_ceiling] so one round of contrary evidence can always reverse it, and the
// A used in the update is capped at max_model_availability, so a block whose addresses all
// answered in the survey (A = 1) is not declared down by one lost reply or one address leaving.
//
// Thread-safety: plain values; a BlockTracker is used by one coroutine at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::prober {

enum class BlockState { kUp, kDown, kUncertain, kUnmeasurable };

// "up", "down", "uncertain", "unmeasurable".
std::string_view BlockStateName(BlockState state);

struct TrinocularParams {
  double up_threshold = 0.9;
  double down_threshold = 0.1;
  double epsilon = 0.01;  // P(positive | down): spoofed or misattributed replies
  double belief_floor = 0.01;
  double belief_ceiling = 0.99;
  double max_model_availability = 0.7;
  double min_availability = 0.1;  // below it a block is unmeasurable
  int max_probes_per_round = 15;
  // How many probes of history the availability estimate weighs (exponential memory).
  double availability_memory = 100;
  double initial_belief = 0.5;
};

// The belief after one probe's outcome, clamped to [belief_floor, belief_ceiling].
double UpdateBelief(double belief_up, bool positive, double availability,
                    const TrinocularParams& params);

// up, down or uncertain for a belief.
BlockState Classify(double belief_up, const TrinocularParams& params);

// A /24 block as the survey found it.
struct BlockSurvey {
  uint32_t prefix = 0;                   // host order, last octet 0
  std::vector<uint8_t> ever_responsive;  // last octets of E(b), ascending
  double availability = 0;               // A(b) in [0, 1]
};

// "a.b.c.0/24" for a host-order prefix.
std::string BlockName(uint32_t prefix);

// Whether a surveyed block can be tracked at all (E(b) not empty, A(b) >= min_availability).
bool IsMeasurable(const BlockSurvey& survey, const TrinocularParams& params);

// One block's state across rounds and its probing within a round:
//   tracker.BeginRound();
//   while (auto address = tracker.NextProbe()) tracker.Record(Probe(*address));
//   RoundOutcome outcome = tracker.EndRound();
class BlockTracker {
 public:
  struct RoundOutcome {
    BlockState previous = BlockState::kUncertain;
    BlockState state = BlockState::kUncertain;
    double belief = 0;
    int probes = 0;
    int positives = 0;
    bool changed() const { return previous != state; }
  };

  // seed fixes the pseudo-random order in which E(b) is cycled through.
  BlockTracker(BlockSurvey survey, const TrinocularParams& params, uint64_t seed);

  void BeginRound();
  // The next address (host order) to probe in this round, or nullopt when the round is decided
  // for this block (or the block is unmeasurable).
  std::optional<uint32_t> NextProbe() const;
  // The outcome of the probe NextProbe() named. Precondition: NextProbe() had a value.
  void Record(bool positive);
  RoundOutcome EndRound();

  uint32_t prefix() const { return survey_.prefix; }
  BlockState state() const { return state_; }
  double belief() const { return belief_; }
  // The current estimate of A(b).
  double availability() const;
  int probes_this_round() const { return round_probes_; }

 private:
  BlockSurvey survey_;
  TrinocularParams params_;
  std::vector<uint8_t> order_;  // E(b) in probing order
  std::size_t cursor_ = 0;
  double belief_;
  BlockState state_;
  BlockState round_start_state_ = BlockState::kUncertain;
  int round_probes_ = 0;
  int round_positives_ = 0;
  bool round_decided_ = false;
  double weighted_positives_;
  double weighted_probes_;
  std::mt19937_64 rng_;
};

}  // namespace vigil::prober
