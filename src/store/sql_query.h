// SQL text shared by the SQLite and PostgreSQL stores: the WHERE clause of a
// MeasurementFilter, ORDER BY, and the aggregation query, in either dialect. Internal to
// src/store. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "store/store.h"

namespace vigil::store::sql {

enum class Dialect { kSqlite, kPostgres };

// A bound parameter: integers (times are Unix seconds) or text.
using Param = std::variant<int64_t, std::string>;

struct Query {
  std::string text;
  std::vector<Param> params;
};

// The columns every measurement query selects, in this order (see the stores' readers):
// measurement_uid, idempotency_key, report_id, input, domain, test_name, probe_cc,
// probe_asn, start (Unix seconds), anomaly, confirmed, failure, blocking, accessible,
// fingerprint, why, category_code, raw_size.
std::string MeasurementColumns(Dialect d);
inline constexpr int kMeasurementColumnCount = 18;

// " WHERE ..." (or "") for the filter; parameters are appended to `q.params` and
// numbered after the ones already there.
void AppendWhere(const MeasurementFilter& f, Dialect d, Query& q);
// " ORDER BY ... LIMIT n OFFSET m".
void AppendOrderAndPage(const MeasurementFilter& f, Query& q);

// SELECT x, y, measurement_count, anomaly_count, confirmed_count, failure_count,
// ok_count FROM `table` WHERE ... GROUP BY ... ORDER BY x, y. Missing axes select ''.
Query AggregationQuery(const AggregationRequest& r, Dialect d, const std::string& table);

}  // namespace vigil::store::sql
