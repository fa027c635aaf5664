#include "core/json_span.h"

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

namespace vigil::json {
namespace {

// What simdjson's on-demand parser says an object member's text is (without the
// whitespace raw_json() keeps after it): the oracle the scan must agree with.
std::optional<std::string> OnDemandObjectSpan(const std::string& json, const char* key) {
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(json);
  simdjson::ondemand::document doc;
  simdjson::ondemand::object member;
  std::string_view raw;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS || doc[key].get_object().get(member) != simdjson::SUCCESS ||
      member.raw_json().get(raw) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t')) {
    raw.remove_suffix(1);
  }
  return std::string(raw);
}

TEST(MemberSpan, FindsTheMemberBetweenOthers) {
  const std::string body = R"( { "format" : "json" , "content" : {"a": [1, {"b": "}"}], "c": null} , "x": 1 } )";
  auto span = MemberSpan(body, "content");
  ASSERT_TRUE(span);
  EXPECT_EQ(*span, R"({"a": [1, {"b": "}"}], "c": null})");
  EXPECT_EQ(MemberSpan(body, "format"), std::optional<std::string_view>(R"("json")"));
  EXPECT_EQ(MemberSpan(body, "x"), std::optional<std::string_view>("1"));
  EXPECT_FALSE(MemberSpan(body, "a"));  // only top-level members
}

TEST(MemberSpan, SkipsQuotesBracketsAndBackslashesInsideStrings) {
  const std::string body =
      R"({"s": "a \"quoted\" } ] { [ and a backslash \\", "t": "\\\\", "content": {"k": "\\\"}"}})";
  auto span = MemberSpan(body, "content");
  ASSERT_TRUE(span);
  EXPECT_EQ(*span, R"({"k": "\\\"}"})");
}

TEST(MemberSpan, TakesTheFirstOfDuplicateMembers) {
  auto span = MemberSpan(R"({"content": {"n": 1}, "content": {"n": 2}})", "content");
  ASSERT_TRUE(span);
  EXPECT_EQ(*span, R"({"n": 1})");
}

TEST(MemberSpan, SaysNothingForWhatIsNotThere) {
  EXPECT_FALSE(MemberSpan("", "content"));
  EXPECT_FALSE(MemberSpan("[1, 2]", "content"));
  EXPECT_FALSE(MemberSpan("{}", "content"));
  EXPECT_FALSE(MemberSpan(R"({"contents": {}})", "content"));
  EXPECT_FALSE(MemberSpan(R"({"con\u0074ent": {}})", "content"));  // names are compared as written
  EXPECT_FALSE(MemberSpan(R"({"content": {"open": [})", "content"));
  EXPECT_FALSE(MemberSpan(R"({"content": "unterminated)", "content"));
  EXPECT_FALSE(MemberSpan(R"({"format": "json" "content": {}})", "content"));
  EXPECT_FALSE(MemberSpan(R"({"format" "json", "content": {}})", "content"));
}

TEST(MemberSpan, TheLastMemberEndsWhereTheObjectDoes) {
  const std::string body = "{\"format\": \"json\", \"content\" : {\"a\": \"}\", \"b\": [1, {}]}\n }\n";
  auto span = MemberSpan(body, "content", Position::kLast);
  ASSERT_TRUE(span);
  EXPECT_EQ(*span, R"({"a": "}", "b": [1, {}]})");
  EXPECT_EQ(span, MemberSpan(body, "content"));
  // Members before it are still skipped one by one; a text without the object's closing
  // brace, or with nothing before it, gives nothing.
  EXPECT_EQ(MemberSpan(R"({"content": 1})", "content", Position::kLast), std::optional<std::string_view>("1"));
  EXPECT_FALSE(MemberSpan(R"({"content": 1)", "content", Position::kLast));
  EXPECT_FALSE(MemberSpan(R"({"content": })", "content", Position::kLast));
  EXPECT_FALSE(MemberSpan(R"({"con\u0074ent": {}})", "content", Position::kLast));
}

// Real measurements in the collector's envelope, with compact and spread-out whitespace,
// the member first and last: the scan agrees with simdjson byte for byte.
TEST(MemberSpan, AgreesWithSimdjsonOnRealMeasurements) {
  const char* dir = std::getenv("VIGIL_SOURCE_DIR");
  ASSERT_NE(dir, nullptr);
  std::ifstream in(std::string(dir) + "/data/samples/ooni-sample.jsonl");
  std::string line;
  int checked = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const std::vector<std::string> bodies = {
        R"({"format":"json","content":)" + line + "}",
        "{\n  \"content\" :\t" + line + " ,\n  \"format\": \"json\"\n}\n",
        R"({"content":)" + line + R"(,"format":"json"})",
    };
    for (size_t b = 0; b < bodies.size(); ++b) {
      const std::string& body = bodies[b];
      auto expected = OnDemandObjectSpan(body, "content");
      ASSERT_TRUE(expected) << body.substr(0, 200);
      auto span = MemberSpan(body, "content");
      ASSERT_TRUE(span) << body.substr(0, 200);
      EXPECT_EQ(*span, *expected);
      if (b == 0) {  // the member is the last one: found from the back as well
        auto from_back = MemberSpan(body, "content", Position::kLast);
        ASSERT_TRUE(from_back) << body.substr(0, 200);
        EXPECT_EQ(*from_back, *expected);
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 100);
}

}  // namespace
}  // namespace vigil::json
