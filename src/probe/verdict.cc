#include "probe/verdict.h"

#include <algorithm>
#include <type_traits>

#include "analysis/other_tests.h"
#include "core/json_read.h"
#include "core/json_writer.h"
#include "measure/measurement_json.h"

namespace vigil::probe {
namespace {

void Set(measure::ExtraFields& extra, const std::string& key, std::string json) {
  std::erase_if(extra, [&](const auto& kv) { return kv.first == key; });
  extra.emplace_back(key, std::move(json));
}

template <typename T>
std::string Json(const std::optional<T>& v) {
  std::string out;
  JsonWriter w(out);
  if (!v) {
    w.Null();
  } else if constexpr (std::is_same_v<T, bool>) {
    w.Bool(*v);
  } else if constexpr (std::is_same_v<T, double>) {
    w.Double(*v);
  } else {
    w.String(*v);
  }
  return out;
}

}  // namespace

bool VerdictWriter::Apply(measure::Measurement& m) {
  if (m.web_connectivity) {
    analysis::WebConnectivityFindings f;
    const auto v = analysis::AnalyzeWebConnectivity(m, context_, scratch_, &f);
    auto& tk = *m.web_connectivity;
    switch (v.blocking) {
      case analysis::Blocking::kNull: tk.blocking = {measure::ProbeBlocking::Kind::kNull, ""}; break;
      case analysis::Blocking::kFalse: tk.blocking = {measure::ProbeBlocking::Kind::kFalse, ""}; break;
      default:
        tk.blocking = {measure::ProbeBlocking::Kind::kString, analysis::BlockingName(v.blocking)};
    }
    Set(tk.extra, "accessible", Json(v.accessible));
    Set(tk.extra, "dns_consistency", Json(f.dns_consistency));
    Set(tk.extra, "body_length_match", Json(f.body_length_match));
    Set(tk.extra, "body_proportion", Json(f.body_proportion));
    Set(tk.extra, "status_code_match", Json(f.status_code_match));
    Set(tk.extra, "headers_match", Json(f.headers_match));
    Set(tk.extra, "title_match", Json(f.title_match));
    return tk.blocking.kind == measure::ProbeBlocking::Kind::kString;
  }
  if (!analysis::IsScoredTest(m.test_name)) return false;
  const std::string text = measure::WriteMeasurementJson(m);
  simdjson::dom::parser parser;
  json::Element root;
  if (parser.parse(text).get(root) != simdjson::SUCCESS) return false;
  auto obj = json::AsObject(root);
  if (!obj) return false;
  return analysis::ScoreOtherTest(m.test_name, *obj).anomaly.value_or(false);
}

}  // namespace vigil::probe
