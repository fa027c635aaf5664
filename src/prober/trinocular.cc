#include "prober/trinocular.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <fmt/format.h>

namespace vigil::prober {

std::string_view BlockStateName(BlockState state) {
  switch (state) {
    case BlockState::kUp:
      return "up";
    case BlockState::kDown:
      return "down";
    case BlockState::kUncertain:
      return "uncertain";
    case BlockState::kUnmeasurable:
      return "unmeasurable";
  }
  return "uncertain";
}

double UpdateBelief(double belief_up, bool positive, double availability,
                    const TrinocularParams& params) {
  const double a = std::clamp(availability, 0.0, params.max_model_availability);
  const double p_up = positive ? a : 1 - a;
  const double p_down = positive ? params.epsilon : 1 - params.epsilon;
  const double up = p_up * belief_up;
  const double down = p_down * (1 - belief_up);
  const double updated = up + down > 0 ? up / (up + down) : belief_up;
  return std::clamp(updated, params.belief_floor, params.belief_ceiling);
}

BlockState Classify(double belief_up, const TrinocularParams& params) {
  if (belief_up >= params.up_threshold) return BlockState::kUp;
  if (belief_up <= params.down_threshold) return BlockState::kDown;
  return BlockState::kUncertain;
}

std::string BlockName(uint32_t prefix) {
  return fmt::format("{}.{}.{}.0/24", prefix >> 24, (prefix >> 16) & 0xff, (prefix >> 8) & 0xff);
}

bool IsMeasurable(const BlockSurvey& survey, const TrinocularParams& params) {
  return !survey.ever_responsive.empty() && survey.availability >= params.min_availability;
}

BlockTracker::BlockTracker(BlockSurvey survey, const TrinocularParams& params, uint64_t seed)
    : survey_(std::move(survey)),
      params_(params),
      order_(survey_.ever_responsive),
      belief_(params.initial_belief),
      state_(IsMeasurable(survey_, params) ? Classify(params.initial_belief, params)
                                           : BlockState::kUnmeasurable),
      weighted_positives_(survey_.availability * params.availability_memory),
      weighted_probes_(params.availability_memory),
      rng_(seed ^ survey_.prefix) {
  std::shuffle(order_.begin(), order_.end(), rng_);
}

double BlockTracker::availability() const {
  return weighted_probes_ > 0 ? weighted_positives_ / weighted_probes_ : 0;
}

void BlockTracker::BeginRound() {
  round_start_state_ = state_;
  round_probes_ = 0;
  round_positives_ = 0;
  round_decided_ = false;
}

std::optional<uint32_t> BlockTracker::NextProbe() const {
  if (state_ == BlockState::kUnmeasurable || order_.empty()) return std::nullopt;
  if (round_decided_ || round_probes_ >= params_.max_probes_per_round) return std::nullopt;
  return survey_.prefix | order_[cursor_];
}

void BlockTracker::Record(bool positive) {
  // Each pass over E(b) takes a new order, so a partial outage's dead addresses do not line up
  // into the same long run of losses every pass.
  if (++cursor_ == order_.size()) {
    cursor_ = 0;
    std::shuffle(order_.begin(), order_.end(), rng_);
  }
  ++round_probes_;
  if (positive) ++round_positives_;
  belief_ = UpdateBelief(belief_, positive, availability(), params_);
  state_ = Classify(belief_, params_);
  // A reply that agrees with a decisive belief ends the round; one that contradicts it (a loss
  // while up, a reply while down) calls for more probes.
  round_decided_ = (state_ == BlockState::kUp && positive) ||
                   (state_ == BlockState::kDown && !positive);
}

BlockTracker::RoundOutcome BlockTracker::EndRound() {
  RoundOutcome out;
  out.previous = round_start_state_;
  if (state_ != BlockState::kUnmeasurable && state_ != BlockState::kDown && round_probes_ > 0) {
    // Rounds that stop at the first positive still estimate A without bias when positives and
    // probes are summed (not their per-round ratios averaged).
    const double keep =
        std::pow(1 - 1 / params_.availability_memory, static_cast<double>(round_probes_));
    weighted_positives_ = weighted_positives_ * keep + round_positives_;
    weighted_probes_ = weighted_probes_ * keep + round_probes_;
    if (availability() < params_.min_availability) state_ = BlockState::kUnmeasurable;
  }
  out.state = state_;
  out.belief = belief_;
  out.probes = round_probes_;
  out.positives = round_positives_;
  return out;
}

}  // namespace vigil::prober
