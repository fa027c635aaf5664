#include "server/collector.h"

#include <fmt/format.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "analysis/fingerprints.h"
#include "core/json_span.h"
#include "core/json_writer.h"
#include "core/time_format.h"
#include "server/credentials.h"
#include "store/prepare.h"

namespace vigil::server {
namespace {

constexpr std::string_view kAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

bool IsTestName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

bool IsCc(std::string_view s) {
  return s.size() == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

std::string Compact(std::string_view test_name) {
  std::string out;
  for (char c : test_name) {
    if (c != '_') out += c;
  }
  return out;
}

std::string JsonObject1(std::string_view key, std::string_view value) {
  std::string out;
  JsonWriter(out).BeginObject().Key(key).String(value).EndObject();
  return out;
}

}  // namespace

Collector::Collector(store::Store& store, const Clock& clock, const geo::GeoDb* geo,
                     std::string report_key, Metrics& metrics, std::string backend_version,
                     std::shared_ptr<const measure::CategoryIndex> categories)
    : clock_(clock),
      geo_(geo),
      categories_(std::move(categories)),
      report_key_(std::move(report_key)),
      metrics_(metrics),
      backend_version_(std::move(backend_version)),
      writer_(store, 256,
              GroupCommit::Observer{[&metrics](std::size_t rows) { metrics.RecordCommit(rows); },
                                    [&metrics](std::chrono::nanoseconds took) { metrics.RecordFlush(took); },
                                    [&metrics](std::chrono::nanoseconds took) { metrics.RecordCheckpoint(took); }}) {
  ctx_.fingerprints = &analysis::FingerprintDb::Builtin();
}

Collector::~Collector() = default;

std::unique_ptr<analysis::Analyzer> Collector::TakeAnalyzer() {
  {
    std::lock_guard lock(mu_);
    if (!analyzers_.empty()) {
      auto a = std::move(analyzers_.back());
      analyzers_.pop_back();
      return a;
    }
  }
  return std::make_unique<analysis::Analyzer>(ctx_);
}

void Collector::ReturnAnalyzer(std::unique_ptr<analysis::Analyzer> a) {
  std::lock_guard lock(mu_);
  analyzers_.push_back(std::move(a));
}

net::HttpServerResponse Collector::Reject(int status, std::string_view reason,
                                          std::string_view message) {
  metrics_.RecordIngestError(reason);
  return net::JsonError(status, message);
}

std::string Collector::MakeReportId(std::string_view test_name, std::string_view probe_cc,
                                    uint32_t probe_asn) const {
  std::string random = RandomBytes(8);
  for (char& c : random) c = kAlnum[static_cast<unsigned char>(c) % kAlnum.size()];
  std::string body = fmt::format("{}_{}_{}_{}_n1_{}", FormatCompactTime(clock_.WallNow()),
                                 Compact(test_name), probe_cc, probe_asn, random);
  return body + Mac(report_key_, body).substr(0, 8);
}

std::optional<ReportInfo> Collector::VerifyReportId(std::string_view id) const {
  // 20240124T141213Z _ testname _ CC _ ASN _ n1 _ 16 chars
  if (id.size() < 16 + 1 + 1 + 1 + 2 + 1 + 1 + 1 + 2 + 1 + 16 || id.size() > 200) return std::nullopt;
  const std::string key(id);
  {
    std::lock_guard lock(verified_mu_);
    if (auto it = verified_.find(key); it != verified_.end()) return it->second;
  }
  std::vector<std::string_view> parts;
  std::string_view rest = id;
  while (true) {
    auto us = rest.find('_');
    parts.push_back(rest.substr(0, us));
    if (us == std::string_view::npos) break;
    rest = rest.substr(us + 1);
  }
  if (parts.size() != 6 || parts[0].size() != 16 || parts[4] != "n1" || parts[5].size() != 16) {
    return std::nullopt;
  }
  std::string_view body = id.substr(0, id.size() - 8);
  if (Mac(report_key_, body).substr(0, 8) != id.substr(id.size() - 8)) return std::nullopt;
  ReportInfo info;
  info.test_name = std::string(parts[1]);
  info.probe_cc = std::string(parts[2]);
  info.probe_asn = store::ParseAsn(parts[3]).value_or(0);
  constexpr size_t kMaxVerified = 4096;
  std::lock_guard lock(verified_mu_);
  if (verified_.size() >= kMaxVerified) verified_.clear();
  verified_.emplace(key, info);
  return info;
}

net::HttpServerResponse Collector::OpenReport(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(body.data(), body.size()).get_object().get(obj) != simdjson::SUCCESS) {
    return Reject(400, "malformed_report", "the body must be a JSON object");
  }
  auto field = [&](std::string_view key) -> std::optional<std::string_view> {
    std::string_view v;
    if (obj[key].get_string().get(v) != simdjson::SUCCESS) return std::nullopt;
    return v;
  };
  for (std::string_view key : {"probe_cc", "probe_asn", "software_name", "software_version",
                               "test_name", "test_version", "data_format_version", "format"}) {
    if (!field(key)) {
      return Reject(400, "malformed_report", fmt::format("missing or non-string field: {}", key));
    }
  }
  if (*field("format") != "json") {
    return Reject(400, "malformed_report", "format: only \"json\" is supported");
  }
  std::string_view cc = *field("probe_cc");
  if (!IsCc(cc)) return Reject(400, "malformed_report", "probe_cc: must be two upper-case letters");
  auto asn = store::ParseAsn(*field("probe_asn"));
  if (!asn || !field("probe_asn")->starts_with("AS")) {
    return Reject(400, "malformed_report", "probe_asn: must look like AS30722");
  }
  if (!IsTestName(*field("test_name"))) {
    return Reject(400, "malformed_report", "test_name: must be lower-case letters, digits and _");
  }
  net::HttpServerResponse r;
  JsonWriter w(r.body);
  w.BeginObject()
      .Key("backend_version").String(backend_version_)
      .Key("report_id").String(MakeReportId(*field("test_name"), cc, *asn))
      .Key("supported_formats").BeginArray().String("json").EndArray()
      .EndObject();
  return r;
}

net::HttpServerResponse Collector::Submit(std::string_view report_id, std::string_view body,
                                          std::string_view client_address) {
  auto prepared = Prepare(report_id, body, client_address);
  if (auto* rejected = std::get_if<net::HttpServerResponse>(&prepared)) return std::move(*rejected);
  return Answer(writer_.Insert(std::move(std::get<store::PendingMeasurement>(prepared))));
}

void Collector::CommitAsync(store::PendingMeasurement row,
                            std::function<void(Result<store::InsertOutcome>)> done) {
  writer_.InsertAsync(std::move(row), std::move(done));
}

net::HttpServerResponse Collector::Answer(const Result<store::InsertOutcome>& outcome) {
  if (!outcome) {
    spdlog::error("collector: storing a measurement failed: {}", outcome.error().ToString());
    return Reject(503, "store_error", "the measurement could not be stored; retry later");
  }
  metrics_.RecordStored(outcome->inserted);
  net::HttpServerResponse r;
  r.body = JsonObject1("measurement_uid", outcome->measurement_uid);
  return r;
}

std::variant<net::HttpServerResponse, store::PendingMeasurement> Collector::Prepare(std::string_view report_id,
                                                                                std::string_view body,
                                                                                std::string_view client_address) {
  auto report = VerifyReportId(report_id);
  if (!report) return Reject(404, "unknown_report", "unknown report_id");

  // Validate the whole body strictly first (trailing bytes, nesting), then take the
  // measurement's exact bytes: the "content" value as it appears in the body.
  // The parser is kept per thread (a new one allocates its buffers on every request), but
  // not the buffers of an unusually large submission.
  constexpr size_t kKeepCapacity = size_t{4} << 20;
  thread_local simdjson::dom::parser dom;
  struct Shrink {
    ~Shrink() {
      if (dom.capacity() > kKeepCapacity) dom = simdjson::dom::parser();
    }
  } shrink_on_return;
  simdjson::dom::element measurement;  // in `dom`'s document, analysed below
  auto content_position = json::Position::kAnywhere;
  {
    simdjson::dom::object top;
    if (dom.parse(body.data(), body.size()).get_object().get(top) != simdjson::SUCCESS) {
      return Reject(400, "malformed_submission", "the body must be a JSON object");
    }
    // One "content" member (two could have the analysed one differ from the stored one); when
    // it is the last, as OONI's probes send it, its bytes end where the body does.
    int contents = 0;
    std::string_view last_key;
    for (auto member : top) {
      contents += member.key == "content";
      last_key = member.key;
    }
    if (contents > 1) return Reject(400, "malformed_submission", "content: must appear once");
    if (last_key == "content") content_position = json::Position::kLast;
    std::string_view format;
    if (top["format"].get_string().get(format) != simdjson::SUCCESS || format != "json") {
      return Reject(400, "malformed_submission", "format: must be \"json\"");
    }
    if (top["content"].get(measurement) != simdjson::SUCCESS || !measurement.is_object()) {
      return Reject(400, "malformed_submission", "content: must be a JSON object (the measurement)");
    }
  }
  // The measurement's bytes, found by a scan of the checked body (a name spelled with
  // escapes, "con\u0074ent", is not found: as with simdjson's on-demand lookup before).
  auto content_span = json::MemberSpan(body, "content", content_position);
  if (!content_span) {
    return Reject(400, "malformed_submission", "content: must be a JSON object (the measurement)");
  }
  const std::string_view raw = *content_span;

  auto analyzer = TakeAnalyzer();
  // The measurement as parsed above (no second parse of its bytes).
  auto record = analyzer->AnalyzeParsed(measurement);
  ReturnAnalyzer(std::move(analyzer));
  if (!record) return Reject(400, "malformed_measurement", "content: " + record.error().ToString());
  if (record->test_name.empty() || !IsTestName(record->test_name)) {
    return Reject(400, "malformed_measurement", "content.test_name: missing or not a test name");
  }
  // Country and network the probe did not report: the report's, else the client's address.
  if (record->probe_cc.empty() || record->probe_cc == "ZZ") {
    if (report->probe_cc != "ZZ") {
      record->probe_cc = report->probe_cc;
    } else if (geo_) {
      if (auto g = geo_->Lookup(client_address); g && !g->country_code.empty()) {
        record->probe_cc = g->country_code;
      }
    }
  }
  if (store::ParseAsn(record->probe_asn).value_or(0) == 0) {
    if (report->probe_asn != 0) {
      record->probe_asn = fmt::format("AS{}", report->probe_asn);
    } else if (geo_) {
      if (auto g = geo_->Lookup(client_address); g && g->asn != 0) {
        record->probe_asn = fmt::format("AS{}", g->asn);
      }
    }
  }
  if (record->report_id.empty()) record->report_id = std::string(report_id);
  store::PrepareOptions options;
  options.received_at = clock_.WallNow();
  if (categories_ && record->input) options.category_code = categories_->Lookup(*record->input, record->probe_cc);
  options.compress = false;  // the group commit compresses its batch together
  auto row = store::PrepareMeasurement(*record, raw, options);  // raw is not padded: inside the body
  if (!row) return Reject(400, "malformed_measurement", "content: " + row.error().ToString());
  auto valid = store::ValidateMeasurement(*row);
  if (!valid) return Reject(400, "malformed_measurement", "content: " + valid.error().ToString());
  return store::PendingMeasurement{std::move(*row), std::string(raw)};
}

net::HttpServerResponse Collector::Close(std::string_view report_id) {
  if (!VerifyReportId(report_id)) return Reject(404, "unknown_report", "unknown report_id");
  net::HttpServerResponse r;
  r.body = "{}";
  return r;
}

}  // namespace vigil::server
