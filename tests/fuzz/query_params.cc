// libFuzzer target for the query API's parameters (GET /api/v1/measurements and
// /api/v1/aggregation): any request target is parsed into parameters, a filter and an
// aggregation, or gets an error naming a parameter; whatever parses is run against a small
// SQLite store (a temporary file shared by all inputs) and rendered, never crashing.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "server/query_api.h"
#include "store/prepare.h"
#include "tests/fuzz/temp_store.h"

namespace {

struct Fixture {
  vigil::fuzz::TempStore temp{"query"};
  vigil::store::SqliteStore* store = temp.store.get();
  Fixture() {
    // A few rows, so that queries have something to filter and count.
    const char* ccs[] = {"IT", "IR", "CM"};
    for (int i = 0; i < 6; ++i) {
      vigil::store::StoredMeasurement m;
      const std::string raw = "{\"n\":" + std::to_string(i) + "}";
      m.idempotency_key = vigil::store::ContentKey(raw);
      const std::string digest = m.idempotency_key.substr(vigil::store::kContentKeyPrefix.size());
      m.measurement_start_time = vigil::store::Seconds(std::chrono::seconds(1700000000 + 86400 * i));
      m.probe_cc = ccs[i % 3];
      m.probe_asn = 30722 + static_cast<uint32_t>(i % 2);
      m.test_name = i % 2 ? "telegram" : "web_connectivity";
      if (i % 2 == 0) {
        m.input = "https://site" + std::to_string(i) + ".example/";
        m.domain = "site" + std::to_string(i) + ".example";
        m.category_code = "NEWS";
      }
      m.measurement_uid = vigil::store::MakeMeasurementUid(m.measurement_start_time, m.probe_cc, m.test_name, digest);
      m.report_id = "report";
      m.verdict.anomaly = i % 3 == 0;
      m.verdict.why = "fuzz fixture";
      m.raw_size = raw.size();
      m.raw_zstd = *vigil::store::ZstdCompress(raw, 1);
      (void)store->Insert(m);
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil::server;
  static Fixture f;
  const std::string target = "/api/v1/measurements?" + std::string(reinterpret_cast<const char*>(data), size);
  auto q = ParseQueryString(target);
  if (!q) {
    (void)ParameterOf(q.error());
    return 0;
  }
  (void)WantsCsv(*q);
  if (auto filter = ParseFilter(*q, /*with_paging=*/true)) {
    filter->limit = std::min<uint32_t>(filter->limit, 50);  // bounded work per input
    auto rows = f.store->ListMeasurements(*filter);
    auto count = f.store->CountMeasurements(*filter);
    if (rows && count) (void)MeasurementsJson(*rows, *count, *filter, *q, "http://127.0.0.1:8080", 0.001);
  } else {
    (void)ParameterOf(filter.error());
  }
  if (auto aggregation = ParseAggregation(*q)) {
    if (auto rows = f.store->Aggregate(*aggregation)) {
      (void)AggregationJson(*aggregation, *rows, 0.001);
      (void)AggregationCsv(*aggregation, *rows);
    }
  } else {
    (void)ParameterOf(aggregation.error());
  }
  return 0;
}
