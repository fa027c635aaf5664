#include "core/json_writer.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(JsonWriter, WritesNestedValues) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject().Key("a").Int(-3).Key("b").BeginArray().Bool(true).Null().Double(0.5).EndArray();
  w.Key("c").String("x").Key("d").Raw("{\"k\":1}").Key("e").OptBool(std::nullopt).EndObject();
  EXPECT_EQ(out, R"({"a":-3,"b":[true,null,0.5],"c":"x","d":{"k":1},"e":null})");
}

TEST(JsonWriter, EscapesControlAndQuoteCharacters) {
  std::string out;
  AppendJsonString(out, std::string("a\"b\\c\n\x01", 7));
  EXPECT_EQ(out, R"("a\"b\\c\n\u0001")");
}

TEST(JsonWriter, KeepsValidUtf8AndReplacesInvalidBytes) {
  std::string out;
  AppendJsonString(out, "Camer\xC3\xBBn \xFF\xFE end");
  EXPECT_EQ(out, "\"Camer\xC3\xBBn \xEF\xBF\xBD\xEF\xBF\xBD end\"");
}

TEST(JsonWriter, IsValidUtf8AgreesWithWhatAppendJsonStringKeeps) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("Camer\xC3\xBBn \xF0\x9F\x98\x80"));
  for (std::string_view bad : {"\xFF", "\xC3", "\xC3\x28", "\xC0\x80" /* overlong */,
                               "\xED\xA0\x80" /* surrogate */, "\xF4\x90\x80\x80" /* > U+10FFFF */}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << bad.size();
    std::string out;
    AppendJsonString(out, bad);
    EXPECT_NE(out.find("\xEF\xBF\xBD"), std::string::npos);
  }
}

TEST(JsonWriter, NonFiniteDoublesBecomeNull) {
  std::string out;
  JsonWriter(out).Double(1.0 / 0.0);
  EXPECT_EQ(out, "null");
}

}  // namespace
}  // namespace vigil
