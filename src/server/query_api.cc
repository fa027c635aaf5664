#include "server/query_api.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "core/json_writer.h"
#include "core/time_format.h"

namespace vigil::server {
namespace {

tl::unexpected<Error> Bad(std::string_view param, std::string_view why) {
  return Fail("invalid_parameter", fmt::format("{}: {}", param, why));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

template <typename T>
std::optional<T> ParseNumber(std::string_view s) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

Result<std::optional<bool>> ParseBool(const QueryParams& q, std::string_view name) {
  auto it = q.find(name);
  if (it == q.end() || it->second.empty()) return std::optional<bool>();
  if (it->second == "true") return std::optional<bool>(true);
  if (it->second == "false") return std::optional<bool>(false);
  return Bad(name, "must be true or false");
}

// OONI accepts "2024-01-24", "2024-01-24T10:00:00" and the same with a Z.
Result<std::optional<store::Seconds>> ParseWhen(const QueryParams& q, std::string_view name) {
  auto it = q.find(name);
  if (it == q.end() || it->second.empty()) return std::optional<store::Seconds>();
  auto t = ParseTime(it->second);
  if (!t) return Bad(name, "must be a date (YYYY-MM-DD) or a UTC time (YYYY-MM-DDTHH:MM:SSZ)");
  return std::optional<store::Seconds>(std::chrono::floor<std::chrono::seconds>(*t));
}

bool IsTestName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

const std::string* Get(const QueryParams& q, std::string_view name) {
  auto it = q.find(name);
  return it == q.end() || it->second.empty() ? nullptr : &it->second;
}

std::string AsnText(uint32_t asn) { return fmt::format("AS{}", asn); }

void WriteAxisValue(JsonWriter& w, store::Axis axis, const std::string& value) {
  if (axis == store::Axis::kProbeAsn) {
    auto n = store::ParseAsn(value);
    if (n) {
      w.Uint(*n);
      return;
    }
  }
  w.String(value);
}

void WriteCounts(JsonWriter& w, const store::AggregationCounts& c) {
  w.Key("anomaly_count").Int(c.anomaly_count)
      .Key("confirmed_count").Int(c.confirmed_count)
      .Key("failure_count").Int(c.failure_count)
      .Key("measurement_count").Int(c.measurement_count)
      .Key("ok_count").Int(c.ok_count);
}

std::string CsvField(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

Result<QueryParams> ParseQueryString(std::string_view target) {
  QueryParams out;
  auto qpos = target.find('?');
  if (qpos == std::string_view::npos) return out;
  std::string_view rest = target.substr(qpos + 1);
  if (auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto key = PercentDecode(pair.substr(0, eq));
    auto value = PercentDecode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (!key) return Bad(pair.substr(0, eq), "broken percent-encoding in the name");
    if (!value) return Bad(*key, "broken percent-encoding in the value");
    out[*key] = *value;
  }
  return out;
}

std::string PercentEncode(std::string_view s) {
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string_view ParameterOf(const Error& e) {
  std::string_view m = e.message;
  auto colon = m.find(':');
  return colon == std::string_view::npos ? std::string_view{} : m.substr(0, colon);
}

Result<store::MeasurementFilter> ParseFilter(const QueryParams& q, bool with_paging) {
  store::MeasurementFilter f;
  if (auto* v = Get(q, "probe_cc")) {
    std::string cc = *v;
    for (char& c : cc) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    if (cc.size() != 2 || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z')
      return Bad("probe_cc", "must be a two-letter country code (ISO 3166-1 alpha-2)");
    f.probe_cc = cc;
  }
  if (auto* v = Get(q, "probe_asn")) {
    auto asn = store::ParseAsn(*v);
    if (!asn) return Bad("probe_asn", "must be an AS number (AS30722 or 30722)");
    f.probe_asn = *asn;
  }
  if (auto* v = Get(q, "test_name")) {
    if (!IsTestName(*v)) return Bad("test_name", "must be a test name such as web_connectivity");
    f.test_name = *v;
  }
  if (auto* v = Get(q, "domain")) {
    if (v->size() > 253) return Bad("domain", "longer than a domain name can be");
    std::string d = *v;
    for (char& c : d) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    f.domain = d;
  }
  if (auto* v = Get(q, "category_code")) {
    const bool ok = v->size() <= 16 && std::all_of(v->begin(), v->end(), [](char c) { return c >= 'A' && c <= 'Z'; });
    if (!ok) return Bad("category_code", "must be a Citizen Lab category code such as NEWS or HUMR");
    f.category_code = *v;
  }
  if (auto* v = Get(q, "input")) {
    if (v->size() > 4096) return Bad("input", "too long (4096 bytes at most)");
    f.input = *v;
  }
  auto since = ParseWhen(q, "since");
  if (!since) return tl::unexpected(since.error());
  f.since = *since;
  auto until = ParseWhen(q, "until");
  if (!until) return tl::unexpected(until.error());
  f.until = *until;
  if (f.since && f.until && *f.until < *f.since) return Bad("until", "is before since");
  for (auto [name, field] : {std::pair{"anomaly", &f.anomaly}, std::pair{"confirmed", &f.confirmed},
                             std::pair{"failure", &f.failure}}) {
    auto b = ParseBool(q, name);
    if (!b) return tl::unexpected(b.error());
    *field = *b;
  }
  if (!with_paging) return f;
  if (auto* v = Get(q, "limit")) {
    auto n = ParseNumber<uint32_t>(*v);
    if (!n || *n == 0 || *n > store::MeasurementFilter::kMaxLimit)
      return Bad("limit", fmt::format("must be a whole number from 1 to {}",
                                      store::MeasurementFilter::kMaxLimit));
    f.limit = *n;
  }
  if (auto* v = Get(q, "offset")) {
    auto n = ParseNumber<uint64_t>(*v);
    if (!n || *n > (uint64_t{1} << 40)) return Bad("offset", "must be a whole number >= 0");
    f.offset = *n;
  }
  if (auto* v = Get(q, "order_by")) {
    auto o = store::ParseOrderBy(*v);
    if (!o) return Bad("order_by", "must be one of measurement_start_time, input, probe_cc, probe_asn, test_name");
    f.order_by = *o;
  }
  if (auto* v = Get(q, "order")) {
    std::string o = *v;
    for (char& c : o) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (o == "asc") f.order = store::Order::kAsc;
    else if (o == "desc") f.order = store::Order::kDesc;
    else return Bad("order", "must be asc or desc");
  }
  return f;
}

Result<store::AggregationRequest> ParseAggregation(const QueryParams& q) {
  store::AggregationRequest r;
  auto f = ParseFilter(q, /*with_paging=*/false);
  if (!f) return tl::unexpected(f.error());
  r.filter = *f;
  for (auto [name, axis] : {std::pair{"axis_x", &r.axis_x}, std::pair{"axis_y", &r.axis_y}}) {
    if (auto* v = Get(q, name)) {
      auto a = store::ParseAxis(*v);
      if (!a) {
        return Bad(name, "must be one of measurement_start_day, probe_cc, probe_asn, domain, "
                         "category_code, test_name");
      }
      *axis = *a;
    }
  }
  if (r.axis_y && !r.axis_x) return Bad("axis_y", "needs axis_x");
  if (r.axis_x && r.axis_y && *r.axis_x == *r.axis_y) return Bad("axis_y", "must differ from axis_x");
  return r;
}

Result<bool> WantsCsv(const QueryParams& q) {
  auto* v = Get(q, "format");
  if (!v || *v == "JSON" || *v == "json") return false;
  if (*v == "CSV" || *v == "csv") return true;
  return Bad("format", "must be JSON or CSV");
}

std::string MeasurementsJson(const std::vector<store::StoredMeasurement>& rows, int64_t count,
                             const store::MeasurementFilter& f, const QueryParams& q,
                             std::string_view base_url, double query_time_s) {
  std::string out;
  out.reserve(256 + rows.size() * 600);
  JsonWriter w(out);
  const uint64_t limit = f.limit;
  const auto pages = static_cast<int64_t>((static_cast<uint64_t>(count) + limit - 1) / limit);
  std::optional<std::string> next_url;
  if (f.offset + rows.size() < static_cast<uint64_t>(count)) {
    std::string url = fmt::format("{}/api/v1/measurements?", base_url);
    for (const auto& [k, v] : q) {
      if (k == "offset") continue;
      url += fmt::format("{}={}&", PercentEncode(k), PercentEncode(v));
    }
    url += fmt::format("offset={}", f.offset + limit);
    if (!q.contains("limit")) url += fmt::format("&limit={}", limit);
    next_url = url;
  }
  w.BeginObject().Key("metadata").BeginObject()
      .Key("count").Int(count)
      .Key("current_page").Uint(f.offset / limit + 1)
      .Key("limit").Uint(limit)
      .Key("next_url").OptString(next_url)
      .Key("offset").Uint(f.offset)
      .Key("pages").Int(pages)
      .Key("query_time").Double(query_time_s)
      .EndObject();
  w.Key("results").BeginArray();
  for (const auto& m : rows) {
    const auto& v = m.verdict;
    const bool anomaly = v.anomaly.value_or(false);
    const bool confirmed = v.confirmed.value_or(false);
    w.BeginObject()
        .Key("anomaly").Bool(anomaly)
        .Key("confirmed").Bool(confirmed)
        .Key("failure").Bool(v.failure.value_or(false))
        .Key("input").OptString(m.input)
        .Key("measurement_start_time").String(FormatIsoTime(m.measurement_start_time))
        .Key("measurement_uid").String(m.measurement_uid)
        .Key("measurement_url").String(fmt::format("{}/api/v1/raw_measurement?measurement_uid={}",
                                                   base_url, PercentEncode(m.measurement_uid)))
        .Key("probe_asn").String(AsnText(m.probe_asn))
        .Key("probe_cc").String(m.probe_cc)
        .Key("report_id").String(m.report_id);
    // OONI's fastpath scores; Vigil does not split blocking by scope, so a measurement
    // with an anomaly scores 1.0 as blocking_general only.
    w.Key("scores").BeginObject()
        .Key("blocking_country").Double(0.0)
        .Key("blocking_general").Double(anomaly || confirmed ? 1.0 : 0.0)
        .Key("blocking_global").Double(0.0)
        .Key("blocking_isp").Double(0.0)
        .Key("blocking_local").Double(0.0);
    if (auto b = store::BlockingToText(v.blocking); b && *b != "false") {
      w.Key("analysis").BeginObject().Key("blocking_type").String(*b).EndObject();
    }
    w.EndObject();
    w.Key("test_name").String(m.test_name);
    // Vigil's own verdict, beside OONI's booleans: null where a test has no scoring
    // rule (OONI's fields say false there), the blocking method, the fingerprint and
    // the reason in words.
    w.Key("vigil").BeginObject()
        .Key("anomaly").OptBool(v.anomaly)
        .Key("confirmed").OptBool(v.confirmed)
        .Key("failure").OptBool(v.failure)
        .Key("blocking");
    if (auto b = store::BlockingToText(v.blocking)) {
      if (*b == "false") {
        w.Bool(false);
      } else {
        w.String(*b);
      }
    } else {
      w.Null();
    }
    w.Key("accessible").OptBool(v.accessible)
        .Key("fingerprint").OptString(v.fingerprint)
        .Key("why").String(v.why)
        .Key("category_code").OptString(m.category_code)
        .EndObject();
    w.EndObject();
  }
  w.EndArray().EndObject();
  return out;
}

std::string AggregationJson(const store::AggregationRequest& r,
                            const std::vector<store::AggregationRow>& rows, double query_time_s) {
  std::string out;
  JsonWriter w(out);
  const int dims = (r.axis_x ? 1 : 0) + (r.axis_y ? 1 : 0);
  w.BeginObject().Key("db_stats").BeginObject().Key("query_time").Double(query_time_s).EndObject();
  w.Key("dimension_count").Int(dims);
  w.Key("result");
  if (dims == 0) {
    w.BeginObject();
    WriteCounts(w, rows.empty() ? store::AggregationCounts{} : rows.front().counts);
    w.EndObject();
  } else {
    w.BeginArray();
    for (const auto& row : rows) {
      w.BeginObject();
      WriteCounts(w, row.counts);
      w.Key(store::AxisName(*r.axis_x));
      WriteAxisValue(w, *r.axis_x, row.x);
      if (r.axis_y) {
        w.Key(store::AxisName(*r.axis_y));
        WriteAxisValue(w, *r.axis_y, row.y);
      }
      w.EndObject();
    }
    w.EndArray();
  }
  w.Key("v").Int(0).EndObject();
  return out;
}

std::string AggregationCsv(const store::AggregationRequest& r,
                           const std::vector<store::AggregationRow>& rows) {
  std::string out;
  if (r.axis_x) out += fmt::format("{},", store::AxisName(*r.axis_x));
  if (r.axis_y) out += fmt::format("{},", store::AxisName(*r.axis_y));
  out += "anomaly_count,confirmed_count,failure_count,measurement_count,ok_count\r\n";
  auto line = [&](const store::AggregationRow& row) {
    if (r.axis_x) out += CsvField(row.x) + ",";
    if (r.axis_y) out += CsvField(row.y) + ",";
    const auto& c = row.counts;
    out += fmt::format("{},{},{},{},{}\r\n", c.anomaly_count, c.confirmed_count, c.failure_count,
                       c.measurement_count, c.ok_count);
  };
  if (!r.axis_x && rows.empty()) {
    line(store::AggregationRow{});
  }
  for (const auto& row : rows) line(row);
  return out;
}

}  // namespace vigil::server
