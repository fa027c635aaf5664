#include "analysis/analyzer.h"

#include <fmt/format.h>

#include "analysis/other_tests.h"
#include "core/failure.h"
#include "core/json_read.h"
#include "core/json_writer.h"
#include "core/url.h"
#include "measure/measurement_dom.h"

static_assert(vigil::analysis::Analyzer::kPadding >= simdjson::SIMDJSON_PADDING);

namespace vigil::analysis {

struct Analyzer::Impl {
  explicit Impl(const AnalysisContext& c) : ctx(c) {}
  const AnalysisContext& ctx;
  simdjson::dom::parser parser;
  FingerprintDb::Scratch scratch;
};

Analyzer::Analyzer(const AnalysisContext& ctx) : impl_(std::make_unique<Impl>(ctx)) {}
Analyzer::~Analyzer() = default;

Result<json::Element> Analyzer::Parse(std::string_view json, bool padded) {
  json::Element root;
  auto err = impl_->parser.parse(json.data(), json.size(), !padded).get(root);
  if (err != simdjson::SUCCESS) {
    return Fail(std::string(failure::kParseError),
                fmt::format("invalid JSON: {}", simdjson::error_message(err)));
  }
  return root;
}

Result<AnalysisRecord> Analyzer::Analyze(std::string_view json, bool padded) {
  auto root = Parse(json, padded);
  if (!root) return tl::unexpected(root.error());
  return AnalyzeParsed(*root);
}

Result<AnalysisRecord> Analyzer::AnalyzeParsed(json::Element root) {
  root = measure::UnwrapEnvelope(root);
  auto obj = json::AsObject(root);
  if (!obj) return Fail(std::string(failure::kParseError), "a measurement must be a JSON object");
  auto test_name = json::StringField(*obj, "test_name");
  if (!test_name) return Fail(std::string(failure::kParseError), "test_name: missing or not a string");

  AnalysisRecord r;
  if (*test_name == "web_connectivity") {
    measure::ParseOptions options;
    options.keep_unknown = false;
    options.keep_other_test_keys = false;
    options.keep_certificates_and_events = false;
    options.keep_request_headers_and_body = false;
    options.keep_header_map_beside_list = false;
    auto m = measure::MeasurementFromDom(root, options);
    if (!m) return tl::unexpected(m.error());
    r.verdict = AnalyzeWebConnectivity(*m, impl_->ctx, impl_->scratch);
    if (m->web_connectivity) r.probe_blocking = m->web_connectivity->blocking;
    r.measurement_uid = std::move(m->measurement_uid);
    r.report_id = std::move(m->report_id);
    r.input = std::move(m->input);
    r.test_name = std::move(m->test_name);
    r.probe_cc = std::move(m->probe_cc);
    r.probe_asn = std::move(m->probe_asn);
    r.measurement_start_time = std::move(m->measurement_start_time);
    return r;
  }
  // Other tests: only the header fields are typed; scoring reads the DOM.
  auto str = [&](std::string_view key) {
    auto s = json::StringField(*obj, key);
    return s ? std::string(*s) : std::string();
  };
  if (auto uid = json::StringField(*obj, "measurement_uid")) r.measurement_uid = std::string(*uid);
  if (auto in = json::StringField(*obj, "input")) r.input = std::string(*in);
  r.report_id = str("report_id");
  r.test_name = std::string(*test_name);
  r.probe_cc = str("probe_cc");
  r.probe_asn = str("probe_asn");
  r.measurement_start_time = str("measurement_start_time");
  r.verdict = ScoreOtherTest(*test_name, *obj);
  return r;
}

void WriteRecordJson(const AnalysisRecord& r, std::string& out) {
  JsonWriter w(out);
  const Verdict& v = r.verdict;
  w.BeginObject();
  w.Key("measurement_uid").OptString(r.measurement_uid);
  w.Key("report_id").String(r.report_id);
  w.Key("input").OptString(r.input);
  w.Key("test_name").String(r.test_name);
  w.Key("probe_cc").String(r.probe_cc);
  w.Key("probe_asn").String(r.probe_asn);
  w.Key("blocking");
  if (v.blocking == Blocking::kNull) w.Null();
  else if (v.blocking == Blocking::kFalse) w.Bool(false);
  else w.String(BlockingName(v.blocking));
  w.Key("accessible").OptBool(v.accessible);
  w.Key("anomaly").OptBool(v.anomaly);
  w.Key("confirmed").OptBool(v.confirmed);
  w.Key("failure").OptBool(v.failure);
  w.Key("fingerprint").OptString(v.fingerprint);
  w.Key("probe_blocking");
  if (!r.probe_blocking || r.probe_blocking->kind == measure::ProbeBlocking::Kind::kNull) w.Null();
  else if (r.probe_blocking->kind == measure::ProbeBlocking::Kind::kFalse) w.Bool(false);
  else w.String(r.probe_blocking->value);
  w.Key("why").String(v.why);
  w.EndObject();
}

std::string DomainOf(const std::optional<std::string>& input) {
  if (!input) return {};
  auto url = ParseUrl(*input);
  return url ? url->host : std::string();
}

}  // namespace vigil::analysis
