#include "measure/nettests/control.h"

#include <fmt/format.h>

#include "core/failure.h"
#include "core/json_read.h"
#include "core/json_writer.h"
#include "measure/measurement_json.h"

namespace vigil::measure::nettests {

std::string WriteControlRequestJson(const ControlRequest& request) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject().Key("http_request").String(request.http_request);
  w.Key("http_request_headers").BeginObject();
  for (const auto& [name, values] : request.http_request_headers) {
    w.Key(name).BeginArray();
    for (const auto& v : values) w.String(v);
    w.EndArray();
  }
  w.EndObject().Key("tcp_connect").BeginArray();
  for (const auto& e : request.tcp_connect) w.String(e);
  w.EndArray().EndObject();
  return out;
}

Result<ControlRequest> ParseControlRequest(std::string_view text) {
  simdjson::dom::parser parser;
  json::Element root;
  if (parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS) {
    return Fail(std::string(failure::kParseError), "the body is not JSON");
  }
  auto obj = json::AsObject(root);
  if (!obj) return Fail(std::string(failure::kParseError), "the body must be a JSON object");
  ControlRequest r;
  auto url = json::StringField(*obj, "http_request");
  if (!url || url->empty()) {
    return Fail(std::string(failure::kParseError), "http_request: expected a URL string");
  }
  r.http_request = std::string(*url);
  if (auto h = json::Field(*obj, "http_request_headers"); h && !json::IsNull(*h)) {
    auto ho = json::AsObject(*h);
    if (!ho) {
      return Fail(std::string(failure::kParseError), "http_request_headers: expected an object");
    }
    for (auto [name, value] : *ho) {
      std::vector<std::string> values;
      auto arr = json::AsArray(value);
      if (!arr) {
        return Fail(std::string(failure::kParseError),
                    fmt::format("http_request_headers.{}: expected an array of strings", name));
      }
      for (json::Element e : *arr) {
        auto s = json::AsString(e);
        if (!s) {
          return Fail(std::string(failure::kParseError),
                      fmt::format("http_request_headers.{}: expected strings", name));
        }
        values.emplace_back(*s);
      }
      r.http_request_headers.emplace_back(std::string(name), std::move(values));
    }
  }
  if (auto t = json::Field(*obj, "tcp_connect"); t && !json::IsNull(*t)) {
    auto arr = json::AsArray(*t);
    if (!arr) return Fail(std::string(failure::kParseError), "tcp_connect: expected an array");
    for (json::Element e : *arr) {
      auto s = json::AsString(e);
      if (!s) return Fail(std::string(failure::kParseError), "tcp_connect: expected strings");
      r.tcp_connect.emplace_back(*s);
    }
  }
  return r;
}

std::string WriteControlJson(const Control& control) {
  // measure's serializer writes Control only inside test_keys: write a minimal measurement
  // and lift the object out, so the format has a single writer.
  Measurement m;
  m.web_connectivity.emplace();
  m.web_connectivity->control = control;
  const std::string text = WriteMeasurementJson(m);
  simdjson::dom::parser parser;
  json::Element root;
  if (parser.parse(text).get(root) != simdjson::SUCCESS) return "{}";
  json::Element c;
  if (root.at_pointer("/test_keys/control").get(c) != simdjson::SUCCESS) return "{}";
  return json::Minify(c);
}

Result<Control> ParseControlJson(std::string_view text) {
  std::string wrapped;
  wrapped.reserve(text.size() + 64);
  wrapped += R"({"test_name":"web_connectivity","test_keys":{"control":)";
  wrapped += text;
  wrapped += "}}";
  MeasurementParser parser;
  auto m = parser.Parse(wrapped);
  if (!m) return tl::unexpected(m.error());
  if (!m->web_connectivity || !m->web_connectivity->control) {
    return Fail(std::string(failure::kParseError), "the control response is empty");
  }
  return std::move(*m->web_connectivity->control);
}

boost::asio::awaitable<Result<Control>> HttpControlClient::Query(ControlRequest request) {
  PostOptions options;
  options.timeout = timeout_;
  auto response = co_await poster_.Post(url_, WriteControlRequestJson(request), options);
  if (!response) co_return tl::unexpected(response.error());
  if (response->status != 200) {
    co_return Fail("http_request_failed",
                   fmt::format("the test helper answered HTTP {}", response->status));
  }
  auto control = ParseControlJson(response->body);
  if (!control) co_return Fail("json_parse_error", control.error().message);
  co_return std::move(*control);
}

}  // namespace vigil::measure::nettests
