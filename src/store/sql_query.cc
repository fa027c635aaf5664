#include "store/sql_query.h"

#include <fmt/format.h>

namespace vigil::store::sql {
namespace {

std::string Placeholder(Dialect d, size_t index) {
  return d == Dialect::kSqlite ? fmt::format("?{}", index) : fmt::format("${}", index);
}

std::string AddParam(Query& q, Dialect d, Param p) {
  q.params.push_back(std::move(p));
  return Placeholder(d, q.params.size());
}

std::string TimeParam(Query& q, Dialect d, Seconds t) {
  std::string ph = AddParam(q, d, int64_t{t.time_since_epoch().count()});
  return d == Dialect::kSqlite ? ph : fmt::format("to_timestamp({}::bigint)", ph);
}

std::string Bool(Dialect d, bool v) {
  if (d == Dialect::kSqlite) return v ? "1" : "0";
  return v ? "true" : "false";
}

std::string AxisExpr(Axis a, Dialect d) {
  switch (a) {
    case Axis::kMeasurementStartDay:
      return d == Dialect::kSqlite
                 ? "strftime('%Y-%m-%d', measurement_start_time, 'unixepoch')"
                 : "to_char(measurement_start_time AT TIME ZONE 'UTC', 'YYYY-MM-DD')";
    case Axis::kProbeCc:
      return "probe_cc";
    case Axis::kProbeAsn:
      return d == Dialect::kSqlite ? "'AS' || probe_asn" : "'AS' || probe_asn::text";
    case Axis::kDomain:
      return "domain";
    case Axis::kCategoryCode:
      return "COALESCE(category_code, '')";
    case Axis::kTestName:
      return "test_name";
  }
  return "''";
}

std::string OrderColumn(OrderBy o) {
  switch (o) {
    case OrderBy::kMeasurementStartTime:
      return "measurement_start_time";
    case OrderBy::kInput:
      return "input";
    case OrderBy::kProbeCc:
      return "probe_cc";
    case OrderBy::kProbeAsn:
      return "probe_asn";
    case OrderBy::kTestName:
      return "test_name";
  }
  return "measurement_start_time";
}

}  // namespace

std::string MeasurementColumns(Dialect d) {
  std::string start = d == Dialect::kSqlite ? "measurement_start_time"
                                            : "extract(epoch FROM measurement_start_time)::bigint";
  return "measurement_uid, idempotency_key, report_id, input, domain, test_name, probe_cc, probe_asn, " +
         start + ", anomaly, confirmed, failure, blocking, accessible, fingerprint, why, category_code, raw_size";
}

std::string Qualified(std::string_view columns, std::string_view alias) {
  std::string out;
  while (!columns.empty()) {
    const size_t comma = columns.find(',');
    std::string_view column = columns.substr(0, comma);
    while (!column.empty() && column.front() == ' ') column.remove_prefix(1);
    if (!out.empty()) out += ", ";
    out.append(alias).append(".").append(column);
    columns = comma == std::string_view::npos ? std::string_view() : columns.substr(comma + 1);
  }
  return out;
}

void AppendWhere(const MeasurementFilter& f, Dialect d, Query& q) {
  std::vector<std::string> terms;
  auto text_eq = [&](const char* column, const std::optional<std::string>& v) {
    if (v) terms.push_back(fmt::format("{} = {}", column, AddParam(q, d, *v)));
  };
  text_eq("probe_cc", f.probe_cc);
  if (f.probe_asn) terms.push_back("probe_asn = " + AddParam(q, d, int64_t{*f.probe_asn}));
  text_eq("test_name", f.test_name);
  text_eq("domain", f.domain);
  text_eq("category_code", f.category_code);
  text_eq("input", f.input);
  if (f.since) terms.push_back("measurement_start_time >= " + TimeParam(q, d, *f.since));
  if (f.until) terms.push_back("measurement_start_time < " + TimeParam(q, d, *f.until));
  auto flag = [&](const char* column, const std::optional<bool>& v) {
    if (!v) return;
    if (*v) {
      terms.push_back(fmt::format("{} = {}", column, Bool(d, true)));
    } else {
      terms.push_back(fmt::format("COALESCE({}, {}) = {}", column, Bool(d, false), Bool(d, false)));
    }
  };
  flag("anomaly", f.anomaly);
  flag("confirmed", f.confirmed);
  flag("failure", f.failure);
  for (size_t i = 0; i < terms.size(); ++i) {
    q.text += i == 0 ? " WHERE " : " AND ";
    q.text += terms[i];
  }
}

void AppendOrderAndPage(const MeasurementFilter& f, Query& q) {
  const char* dir = f.order == Order::kAsc ? "ASC" : "DESC";
  const char* nulls = f.order == Order::kAsc ? "NULLS FIRST" : "NULLS LAST";
  uint32_t limit = std::min(f.limit, MeasurementFilter::kMaxLimit);
  q.text += fmt::format(" ORDER BY {} {} {}, measurement_uid {} LIMIT {} OFFSET {}", OrderColumn(f.order_by),
                        dir, nulls, dir, limit, f.offset);
}

bool RollupAnswers(const MeasurementFilter& f) {
  auto midnight = [](const std::optional<Seconds>& t) { return !t || t->time_since_epoch().count() % 86400 == 0; };
  return !f.input && midnight(f.since) && midnight(f.until);
}

void AddToRollup(const StoredMeasurement& m, RollupDelta& delta) {
  const int64_t t = m.measurement_start_time.time_since_epoch().count();
  const int64_t day = t - ((t % 86400) + 86400) % 86400;
  ++delta[RollupKey{day, m.probe_cc, m.probe_asn, m.test_name, m.domain,
                    // "" (not a null view: SQLite would bind that as NULL)
                    m.category_code ? std::string_view(*m.category_code) : std::string_view(""),
                    m.verdict.anomaly.value_or(false), m.verdict.confirmed.value_or(false),
                    m.verdict.failure.value_or(false)}];
}

Query AggregationQuery(const AggregationRequest& r, Dialect d, const std::string& table, bool weighted) {
  Query q;
  const char* one = weighted ? "n" : "1";
  std::string x = r.axis_x ? AxisExpr(*r.axis_x, d) : "''";
  std::string y = r.axis_y ? AxisExpr(*r.axis_y, d) : "''";
  std::string f = Bool(d, false), t = Bool(d, true);
  auto is = [&](const char* c) { return fmt::format("COALESCE({}, {}) = {}", c, f, t); };
  auto isnt = [&](const char* c) { return fmt::format("COALESCE({}, {}) = {}", c, f, f); };
  auto sum = [&](const std::string& cond) { return fmt::format("SUM(CASE WHEN {} THEN {} ELSE 0 END)", cond, one); };
  q.text = fmt::format(
      "SELECT {x} AS x, {y} AS y, {count}, {anomaly}, {confirmed}, {failure}, {ok} FROM {table}", fmt::arg("x", x),
      fmt::arg("y", y),
      fmt::arg("anomaly", sum(is("anomaly") + " AND " + isnt("confirmed") + " AND " + isnt("failure"))),
      fmt::arg("confirmed", sum(is("confirmed") + " AND " + isnt("failure"))),
      fmt::arg("failure", sum(is("failure"))),
      fmt::arg("ok", sum(isnt("anomaly") + " AND " + isnt("confirmed") + " AND " + isnt("failure"))),
      fmt::arg("table", table), fmt::arg("count", weighted ? "SUM(n)" : "COUNT(*)"));
  AppendWhere(r.filter, d, q);
  q.text += " GROUP BY 1, 2 ORDER BY 1, 2";
  return q;
}

void AppendEventWhere(const EventFilter& f, Dialect d, Query& q) {
  std::vector<std::string> conds;
  auto add = [&](const char* fmt_text, Param p) {
    q.params.push_back(std::move(p));
    conds.push_back(fmt::format(fmt::runtime(fmt_text), Placeholder(d, q.params.size())));
  };
  if (f.entity_type) add("entity_type = {}", *f.entity_type);
  if (f.entity_code) add("entity_code = {}", *f.entity_code);
  if (f.kind) add("kind = {}", *f.kind);
  if (f.since) add("(end_time IS NULL OR end_time >= {})", int64_t{f.since->time_since_epoch().count()});
  if (f.until) add("start_time < {}", int64_t{f.until->time_since_epoch().count()});
  if (f.open_only) conds.emplace_back("end_time IS NULL");
  for (size_t i = 0; i < conds.size(); ++i) q.text += (i == 0 ? " WHERE " : " AND ") + conds[i];
  q.text += fmt::format(" ORDER BY start_time DESC, id DESC LIMIT {}", f.limit);
}

}  // namespace vigil::store::sql
