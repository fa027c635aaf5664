// The survey's result, kept between `vigil prober survey` and `vigil prober run`: for each /24
// block its ever-responsive addresses E(b), their availability A(b) and the entities it counts
// for. A JSON document:
//
//   {"format":"vigil-prober-state","version":1,"method":"icmp","created":"2026-...Z",
//    "passes":3,"probes":762,"seconds":7.62,"max_rate":100,"blocks":[{"block":"10.1.2.0/24","availability":0.82,
//      "ever_responsive":[1,2,7,...],"entities":[{"type":"asn","code":"AS64500"}]}]}
//
// ever_responsive holds last octets. Written to a temporary file then renamed, so a reader
// never sees half a file.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "prober/block_list.h"
#include "prober/trinocular.h"

namespace vigil::prober {

struct SurveyedBlock {
  BlockSurvey survey;
  std::vector<Entity> entities;
};

struct ProberState {
  std::string method;   // "icmp" or "tcp:PORT": how the survey probed
  std::string created;  // ISO 8601 UTC
  int passes = 0;
  // What the survey cost: probes sent, how long it took, under which cap.
  uint64_t probes = 0;
  double seconds = 0;
  double max_rate = 0;
  std::vector<SurveyedBlock> blocks;
};

std::string SerializeState(const ProberState& state);
// Errors: "parse_error" naming what is wrong.
Result<ProberState> ParseState(std::string_view json);

Result<void> WriteStateFile(const std::string& path, const ProberState& state);
Result<ProberState> ReadStateFile(const std::string& path);

}  // namespace vigil::prober
