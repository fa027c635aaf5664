// SQL text shared by the SQLite and PostgreSQL stores: the WHERE clause of a
// MeasurementFilter, ORDER BY, and the aggregation query, in either dialect. Internal to
// src/store. Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
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

// A column list ("id, role") with each column qualified by a table alias ("t.id, t.role"),
// for joins that select two tables' lists.
std::string Qualified(std::string_view columns, std::string_view alias);

// " WHERE ..." (or "") for the filter; parameters are appended to `q.params` and
// numbered after the ones already there.
void AppendWhere(const MeasurementFilter& f, Dialect d, Query& q);
// " ORDER BY ... LIMIT n OFFSET m".
void AppendOrderAndPage(const MeasurementFilter& f, Query& q);

// " WHERE ... ORDER BY start_time DESC, id DESC LIMIT n" for events (columns start_time,
// end_time, entity_type, entity_code, kind).
void AppendEventWhere(const EventFilter& f, Dialect d, Query& q);

// SELECT x, y, measurement_count, anomaly_count, confirmed_count, failure_count,
// ok_count FROM `table` WHERE ... GROUP BY ... ORDER BY x, y. Missing axes select ''.
// `weighted`: each row of `table` stands for `n` measurements (the daily rollup).
Query AggregationQuery(const AggregationRequest& r, Dialect d, const std::string& table, bool weighted = false);

// Whether the daily rollup (one row per UTC day, probe_cc, probe_asn, test_name, domain,
// category_code and verdict flags, with the count n; its day column is named
// measurement_start_time so the same WHERE applies) answers a filter exactly: no `input`,
// and since/until on UTC midnights.
bool RollupAnswers(const MeasurementFilter& f);

// One group of the daily rollup (measurement_daily, both backends): the UTC day and the
// columns a filter or an axis can use; null verdict flags count as false, as everywhere.
// The views point into the measurements added, which must outlive the delta.
using RollupKey = std::tuple<int64_t, std::string_view, int64_t, std::string_view, std::string_view,
                             std::string_view, bool, bool, bool>;
using RollupDelta = std::map<RollupKey, int64_t>;  // sorted: every writer locks groups in one order
void AddToRollup(const StoredMeasurement& m, RollupDelta& delta);

// Reads one row selected with the measurement columns listed above (same order in both
// stores). Row is a store's row cursor with
// Text(i), OptText(i), Int(i) and OptBool(i).
template <typename Row>
StoredMeasurement ReadMeasurementRow(const Row& s) {
  StoredMeasurement m;
  m.measurement_uid = s.Text(0);
  m.idempotency_key = s.Text(1);
  m.report_id = s.Text(2);
  m.input = s.OptText(3);
  m.domain = s.Text(4);
  m.test_name = s.Text(5);
  m.probe_cc = s.Text(6);
  m.probe_asn = static_cast<uint32_t>(s.Int(7));
  m.measurement_start_time = Seconds(std::chrono::seconds(s.Int(8)));
  m.verdict.anomaly = s.OptBool(9);
  m.verdict.confirmed = s.OptBool(10);
  m.verdict.failure = s.OptBool(11);
  m.verdict.blocking = BlockingFromText(s.OptText(12));
  m.verdict.accessible = s.OptBool(13);
  m.verdict.fingerprint = s.OptText(14);
  m.verdict.why = s.Text(15);
  m.category_code = s.OptText(16);
  m.raw_size = static_cast<uint64_t>(s.Int(17));
  return m;
}

}  // namespace vigil::store::sql
