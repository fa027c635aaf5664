#include "core/csv.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace vigil {
namespace {

using Fields = std::vector<std::string>;

Fields Split(std::string_view record) {
  auto fields = SplitCsvRecord(record);
  EXPECT_TRUE(fields.has_value()) << record << ": " << fields.error().ToString();
  return fields ? *fields : Fields{"<error>"};
}

TEST(CsvSplitterTest, BareFields) {
  EXPECT_EQ(Split("1.0.0.0,1.0.0.255,13335,Cloudflare"),
            (Fields{"1.0.0.0", "1.0.0.255", "13335", "Cloudflare"}));
  EXPECT_EQ(Split("one"), (Fields{"one"}));
}

TEST(CsvSplitterTest, EmptyFieldsAreKept) {
  EXPECT_EQ(Split(""), (Fields{""}));
  EXPECT_EQ(Split(","), (Fields{"", ""}));
  EXPECT_EQ(Split("a,,b"), (Fields{"a", "", "b"}));
  EXPECT_EQ(Split("a,b,"), (Fields{"a", "b", ""}));
  EXPECT_EQ(Split("\"\",x"), (Fields{"", "x"}));
}

TEST(CsvSplitterTest, QuotedFieldsHoldCommas) {
  EXPECT_EQ(Split("1,2,13335,\"Cloudflare, Inc.\""),
            (Fields{"1", "2", "13335", "Cloudflare, Inc."}));
  EXPECT_EQ(Split("\"a,b\",\"c,d\""), (Fields{"a,b", "c,d"}));
}

TEST(CsvSplitterTest, DoubledQuotesAreUnescaped) {
  EXPECT_EQ(Split("2.26.200.0,2.26.215.255,201907,\"LLC \"\"SPUTNIK\"\"\""),
            (Fields{"2.26.200.0", "2.26.215.255", "201907", "LLC \"SPUTNIK\""}));
  EXPECT_EQ(Split("\"\"\"\""), (Fields{"\""}));
  EXPECT_EQ(Split("\"a\"\"b\"\"c\",\"x\"\"\",\"\"\"y\""), (Fields{"a\"b\"c", "x\"", "\"y"}));
}

TEST(CsvSplitterTest, EarlierFieldsSurviveLaterUnescaping) {
  // Several unescaped fields share one buffer; the views must all stay intact.
  std::string record;
  Fields expected;
  for (int i = 0; i < 50; ++i) {
    record += "\"f" + std::to_string(i) + "\"\"q\",";
    expected.push_back("f" + std::to_string(i) + "\"q");
  }
  record += "end";
  expected.push_back("end");
  EXPECT_EQ(Split(record), expected);
}

TEST(CsvSplitterTest, LineBreaksInsideQuotesWhenGivenWhole) {
  EXPECT_EQ(Split("\"two\nlines\",x"), (Fields{"two\nlines", "x"}));
}

TEST(CsvSplitterTest, SpacesArePartOfFields) {
  EXPECT_EQ(Split(" a , b "), (Fields{" a ", " b "}));
}

TEST(CsvSplitterTest, BareQuoteInsideBareFieldIsLiteral) {
  EXPECT_EQ(Split("ab\"c,d"), (Fields{"ab\"c", "d"}));
}

TEST(CsvSplitterTest, NonAsciiBytesPassThrough) {
  EXPECT_EQ(Split("x,WILLIAN MENDES DE OLIVEIRA \xC2\xAD ME"),
            (Fields{"x", "WILLIAN MENDES DE OLIVEIRA \xC2\xAD ME"}));
}

TEST(CsvSplitterTest, UnterminatedQuoteIsAnError) {
  for (std::string_view bad : {"\"abc", "a,\"b", "\"a\"\"", "\""}) {
    auto fields = SplitCsvRecord(bad);
    ASSERT_FALSE(fields.has_value()) << bad;
    EXPECT_EQ(fields.error().failure, "parse_error");
    EXPECT_NE(fields.error().message.find("unterminated"), std::string::npos);
  }
}

TEST(CsvSplitterTest, TextAfterClosingQuoteIsAnError) {
  for (std::string_view bad : {"\"a\"b,c", "x,\"a\" ", "\"a\"\"b\"c"}) {
    auto fields = SplitCsvRecord(bad);
    ASSERT_FALSE(fields.has_value()) << bad;
    EXPECT_EQ(fields.error().failure, "parse_error");
  }
}

TEST(CsvSplitterTest, SplitterIsReusable) {
  CsvSplitter splitter;
  auto a = splitter.Split("\"x\"\"\",1");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(std::string((*a)[0]), "x\"");
  auto bad = splitter.Split("\"open");
  EXPECT_FALSE(bad.has_value());
  auto b = splitter.Split("p,q");
  ASSERT_TRUE(b.has_value());
  ASSERT_EQ(b->size(), 2u);
  EXPECT_EQ((*b)[0], "p");
  EXPECT_EQ((*b)[1], "q");
}

}  // namespace
}  // namespace vigil
