// The query API's request parsing and answers, in OONI API's names and shapes
// (ooni/backend api/ooniapi measurements.py, aggregation.py), so scripts written for
// api.ooni.io work against a Vigil server unchanged:
//   GET /api/v1/measurements  → {"metadata": {count, current_page, limit, next_url, offset,
//                                pages, query_time}, "results": [{anomaly, confirmed, failure,
//                                input, measurement_start_time, measurement_uid,
//                                measurement_url, probe_asn, probe_cc, report_id, scores,
//                                test_name}]}
//   GET /api/v1/aggregation   → {"dimension_count": n, "result": [...] or {...}, "v": 0}, or CSV
// A bad parameter is an Error with failure "invalid_parameter" whose `message` starts with
// the parameter's name and a colon ("probe_cc: ...").
//
// Thread-safety: pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/store.h"

namespace vigil::server {

// Query-string parameters, percent-decoded ('+' is a space). A repeated name keeps the
// last value. "invalid_parameter" for broken percent-encoding.
using QueryParams = std::map<std::string, std::string, std::less<>>;
Result<QueryParams> ParseQueryString(std::string_view target);
std::string PercentEncode(std::string_view s);

// The name of the parameter an "invalid_parameter" error is about.
std::string_view ParameterOf(const Error& e);

// Filters shared by /measurements and /aggregation; with_paging adds limit, offset,
// order_by and order.
Result<store::MeasurementFilter> ParseFilter(const QueryParams& q, bool with_paging);
Result<store::AggregationRequest> ParseAggregation(const QueryParams& q);
// format=JSON (default) or CSV.
Result<bool> WantsCsv(const QueryParams& q);

// `base_url` is "http://host:port" as the client reached the server; it prefixes
// next_url and measurement_url.
std::string MeasurementsJson(const std::vector<store::StoredMeasurement>& rows, int64_t count,
                             const store::MeasurementFilter& f, const QueryParams& q,
                             std::string_view base_url, double query_time_s);
std::string AggregationJson(const store::AggregationRequest& r,
                            const std::vector<store::AggregationRow>& rows, double query_time_s);
std::string AggregationCsv(const store::AggregationRequest& r,
                           const std::vector<store::AggregationRow>& rows);

}  // namespace vigil::server
