// Golden test: OONI's binary values (df-001-httpt, {"format":"base64","data":...}) are
// analysed on their decoded bytes. A measurement whose HTTP header values and bodies are
// given in the binary form gets exactly the verdict of the same measurement in plain
// strings; blockpage fingerprints match bodies and headers given only in base64 (and bytes
// that are not UTF-8); malformed binary values are errors naming the field.
// Fixtures: tests/golden/data/ (README.md there says which are real and which built).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include <gtest/gtest.h>

#include "analysis/analyzer.h"
#include "core/base64.h"
#include "core/json_read.h"
#include "core/json_writer.h"

namespace vigil::analysis {
namespace {

namespace fs = std::filesystem;

fs::path SourceDir() {
  const char* d = std::getenv("VIGIL_SOURCE_DIR");
  return d != nullptr ? fs::path(d) : fs::path(".");
}

std::vector<std::string> Lines(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

void Binary(JsonWriter& w, std::string_view bytes) {
  w.BeginObject().Key("format").String("base64").Key("data").String(Base64Encode(bytes)).EndObject();
}

// A string value in the binary form; anything else as it is.
void ValueAsBinary(JsonWriter& w, json::Element v) {
  if (auto s = json::AsString(v)) Binary(w, *s);
  else w.Raw(json::Minify(v));
}

// An HTTP request or response with its header values and body in the binary form.
void HttpPart(JsonWriter& w, json::Object o) {
  w.BeginObject();
  for (auto [k, v] : o) {
    w.Key(k);
    if (k == "body") {
      ValueAsBinary(w, v);
    } else if (k == "headers_list" && json::AsArray(v)) {
      w.BeginArray();
      const json::Array pairs = *json::AsArray(v);  // named: a range-for over *temporary dangles
      for (json::Element pair : pairs) {
        auto p = json::AsArray(pair);
        if (!p || p->size() != 2) {
          w.Raw(json::Minify(pair));
          continue;
        }
        w.BeginArray().Raw(json::Minify(p->at(0).value_unsafe()));
        ValueAsBinary(w, p->at(1).value_unsafe());
        w.EndArray();
      }
      w.EndArray();
    } else if (k == "headers" && json::AsObject(v)) {
      w.BeginObject();
      const json::Object fields = *json::AsObject(v);
      for (auto [name, value] : fields) {
        w.Key(name);
        if (auto a = json::AsArray(value)) {
          w.BeginArray();
          for (json::Element e : *a) ValueAsBinary(w, e);
          w.EndArray();
        } else {
          ValueAsBinary(w, value);
        }
      }
      w.EndObject();
    } else {
      w.Raw(json::Minify(v));
    }
  }
  w.EndObject();
}

// The measurement with every test_keys.requests[].request/response header value and body
// re-encoded as a binary value, bytes unchanged.
std::string Reencode(const std::string& line) {
  simdjson::dom::parser parser;
  json::Element root;
  EXPECT_EQ(parser.parse(line).get(root), simdjson::SUCCESS);
  std::string out;
  JsonWriter w(out);
  auto each = [&](json::Object o, auto&& value) {
    w.BeginObject();
    for (auto [k, v] : o) {
      w.Key(k);
      value(k, v);
    }
    w.EndObject();
  };
  each(*json::AsObject(root), [&](std::string_view key, json::Element tk) {
    if (key != "test_keys" || !json::AsObject(tk)) return void(w.Raw(json::Minify(tk)));
    each(*json::AsObject(tk), [&](std::string_view tkey, json::Element requests) {
      if (tkey != "requests" || !json::AsArray(requests)) return void(w.Raw(json::Minify(requests)));
      w.BeginArray();
      const json::Array list = *json::AsArray(requests);  // a named copy: a range-for over *temporary dangles
      for (json::Element t : list) {
        if (!json::AsObject(t)) {
          w.Raw(json::Minify(t));
          continue;
        }
        each(*json::AsObject(t), [&](std::string_view part, json::Element v) {
          if ((part == "request" || part == "response") && json::AsObject(v)) HttpPart(w, *json::AsObject(v));
          else w.Raw(json::Minify(v));
        });
      }
      w.EndArray();
    });
  });
  return out;
}

class BinaryValuesGolden : public ::testing::Test {
 protected:
  void SetUp() override { ctx_.fingerprints = &FingerprintDb::Builtin(); }
  // The record `vigil analyze` prints, or the error.
  std::string Record(const std::string& json) {
    Analyzer analyzer(ctx_);
    auto r = analyzer.Analyze(json);
    if (!r) return "error: " + r.error().ToString();
    std::string out;
    WriteRecordJson(*r, out);
    return out;
  }
  AnalysisContext ctx_;
};

TEST_F(BinaryValuesGolden, EverySampleGetsTheSameVerdictWithItsHttpValuesInBinaryForm) {
  const auto lines = Lines(SourceDir() / "data" / "samples" / "ooni-sample.jsonl");
  ASSERT_GT(lines.size(), 40u) << "data/samples/ooni-sample.jsonl is missing";
  size_t changed = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string binary = Reencode(lines[i]);
    if (binary.find(R"({"format":"base64","data":)") == std::string::npos) continue;
    ++changed;
    EXPECT_EQ(Record(binary), Record(lines[i])) << "sample line " << i + 1;
  }
  // Every web_connectivity measurement with an HTTP response, whatsapp, telegram, ...
  EXPECT_GE(changed, 25u);
}

TEST_F(BinaryValuesGolden, ReencodedFixturesAgreeWithTheirPlainOriginals) {
  const auto fixtures = Lines(SourceDir() / "tests" / "golden" / "data" / "binary-values.jsonl");
  const auto samples = Lines(SourceDir() / "data" / "samples" / "ooni-sample.jsonl");
  ASSERT_EQ(fixtures.size(), 5u);
  const size_t originals[] = {16, 26, 3};  // make_binary_values.py
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(Record(fixtures[2 + k]), Record(samples[originals[k] - 1])) << "fixture line " << 3 + k;
  }
}

TEST_F(BinaryValuesGolden, BlockpagesGivenOnlyInBase64AreRecognised) {
  const auto fixtures = Lines(SourceDir() / "tests" / "golden" / "data" / "binary-values.jsonl");
  ASSERT_EQ(fixtures.size(), 5u);
  Analyzer analyzer(ctx_);
  // Iran: the iframe blockpage, windows-1256 (not UTF-8), in the body only in base64. The
  // fingerprint's text does not occur in the JSON: only the decoded bytes hold it.
  ASSERT_EQ(fixtures[0].find("iframe"), std::string::npos);
  auto ir = analyzer.Analyze(fixtures[0]);
  ASSERT_TRUE(ir) << ir.error().ToString();
  EXPECT_EQ(ir->verdict.confirmed, true) << ir->verdict.why;
  EXPECT_EQ(ir->verdict.fingerprint, "ooni.ir_0") << ir->verdict.why;
  EXPECT_EQ(ir->verdict.blocking, Blocking::kHttpDiff);
  // United Arab Emirates: the Server header ends in a byte that is not UTF-8, so it is
  // a binary value; OONI's header fingerprint matches its decoded prefix.
  ASSERT_EQ(fixtures[1].find("WireFilter"), std::string::npos);
  auto ae = analyzer.Analyze(fixtures[1]);
  ASSERT_TRUE(ae) << ae.error().ToString();
  EXPECT_EQ(ae->verdict.confirmed, true) << ae->verdict.why;
  EXPECT_EQ(ae->verdict.fingerprint, "ooni.ae_0") << ae->verdict.why;
}

TEST_F(BinaryValuesGolden, MalformedBinaryValuesAreErrorsNamingTheField) {
  const auto bad = Lines(SourceDir() / "tests" / "golden" / "data" / "binary-values-malformed.jsonl");
  ASSERT_EQ(bad.size(), 5u);
  const char* want[][2] = {
      {"test_keys.requests[0].response.body", "invalid base64"},
      {"test_keys.requests[0].response.headers", "unknown format \"hex\""},
      {"test_keys.requests[0].response.headers", "\"data\" must be a base64 string"},
      {"test_keys.requests[0].response.headers", "expected a string or a binary value"},
      {"test_keys.queries[0].answers.ipv4", "allowed only in HTTP header values and bodies"},
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    const std::string r = Record(bad[i]);
    EXPECT_EQ(r.rfind("error: parse_error: ", 0), 0u) << r;
    EXPECT_NE(r.find(want[i][0]), std::string::npos) << r;
    EXPECT_NE(r.find(want[i][1]), std::string::npos) << r;
  }
}

}  // namespace
}  // namespace vigil::analysis
