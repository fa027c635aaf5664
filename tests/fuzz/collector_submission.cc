// libFuzzer target for the collector's inputs from probes: the body of POST /report (open a
// report), the body of POST /report/{report_id} (the submission envelope around a
// measurement) and the report_id in the path. Any bytes get an answer — a report, a
// prepared row whose bytes parse as a JSON object on their own, or a 4xx with a JSON error
// — never a crash. Nothing is stored (Prepare builds the row the group commit would store).
//
// The first byte chooses: 0 open a report, 1 submit under a valid report_id, 2 submit under
// a report_id made of the input's first line.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include <simdjson.h>

#include "core/clock.h"
#include "server/collector.h"
#include "server/metrics.h"
#include "tests/fuzz/temp_store.h"

namespace {

// A prepared submission keeps the measurement's bytes: they must be the JSON object the
// collector analysed, so they parse as one on their own.
void CheckPrepared(const std::variant<vigil::net::HttpServerResponse, vigil::store::PendingMeasurement>& prepared) {
  if (auto* r = std::get_if<vigil::net::HttpServerResponse>(&prepared)) {
    if (r->status < 400 || r->status >= 500) __builtin_trap();  // a rejection is a 4xx
    return;
  }
  static simdjson::dom::parser parser;
  const std::string& raw = std::get<vigil::store::PendingMeasurement>(prepared).raw;
  simdjson::dom::object obj;
  if (parser.parse(raw.data(), raw.size()).get_object().get(obj) != simdjson::SUCCESS) __builtin_trap();
}

struct Fixture {
  vigil::fuzz::TempStore temp{"collector"};  // destroyed after the collector
  vigil::FakeClock clock;
  vigil::server::Metrics metrics;
  std::unique_ptr<vigil::server::Collector> collector = std::make_unique<vigil::server::Collector>(
      *temp.store, clock, nullptr, std::string(32, 'k'), metrics, "fuzz");
  std::string report_id = collector->MakeReportId("web_connectivity", "CM", 30722);
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture f;
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto r = f.collector->OpenReport(input);
      if (r.status != 200 && (r.status < 400 || r.status >= 500)) __builtin_trap();
      break;
    }
    case 1: {
      CheckPrepared(f.collector->Prepare(f.report_id, input, "127.0.0.1"));
      break;
    }
    default: {
      const size_t nl = input.find('\n');
      std::string_view id = input.substr(0, nl);
      std::string_view body = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
      (void)f.collector->VerifyReportId(id);
      CheckPrepared(f.collector->Prepare(id, body, "127.0.0.1"));
      break;
    }
  }
  return 0;
}
