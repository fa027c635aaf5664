#include "core/line_reader.h"

#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

namespace vigil {
namespace {

class LineReaderTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) {
    return (std::filesystem::path(::testing::TempDir()) /
            ("vigil-" + std::to_string(::getpid()) + "-" + name)).string();
  }
  void WritePlain(const std::string& path, const std::string& content) {
    std::ofstream(path, std::ios::binary) << content;
  }
  void WriteGzip(const std::string& path, const std::string& content) {
    gzFile f = gzopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    gzwrite(f, content.data(), static_cast<unsigned>(content.size()));
    gzclose(f);
  }
  std::vector<std::string> ReadAll(const std::string& path, LineReader::Options o = {}) {
    auto r = LineReader::Open(path, o);
    EXPECT_TRUE(r.has_value());
    std::vector<std::string> lines;
    for (;;) {
      auto line = (*r)->Next();
      if (!line) {
        lines.push_back("ERROR");
        continue;
      }
      if (!*line) break;
      lines.emplace_back(**line);
    }
    return lines;
  }
};

TEST_F(LineReaderTest, ReadsPlainAndGzipTheSame) {
  std::string content = "one\ntwo\r\n\nlast-without-newline";
  WritePlain(Path("a.jsonl"), content);
  WriteGzip(Path("a.jsonl.gz"), content);
  std::vector<std::string> expected{"one", "two", "", "last-without-newline"};
  EXPECT_EQ(ReadAll(Path("a.jsonl")), expected);
  EXPECT_EQ(ReadAll(Path("a.jsonl.gz")), expected);
}

TEST_F(LineReaderTest, LinesLongerThanTheBufferAreWhole) {
  std::string big(100000, 'x');
  WritePlain(Path("big"), "a\n" + big + "\nb\n");
  LineReader::Options o;
  o.buffer_bytes = 4096;
  EXPECT_EQ(ReadAll(Path("big"), o), (std::vector<std::string>{"a", big, "b"}));
}

TEST_F(LineReaderTest, OverLongLineIsAnErrorAndReadingGoesOn) {
  WritePlain(Path("long"), "a\n" + std::string(20000, 'y') + "\nb\n");
  LineReader::Options o;
  o.buffer_bytes = 4096;
  o.max_line_bytes = 8192;
  EXPECT_EQ(ReadAll(Path("long"), o), (std::vector<std::string>{"a", "ERROR", "b"}));
}

TEST_F(LineReaderTest, CountsLines) {
  WritePlain(Path("n"), "a\nb\nc\n");
  auto r = LineReader::Open(Path("n"));
  ASSERT_TRUE(r);
  while (auto l = (*r)->Next()) {
    if (!*l) break;
  }
  EXPECT_EQ((*r)->line_number(), 3u);
  EXPECT_EQ((*r)->bytes_consumed(), 6u);
}

TEST_F(LineReaderTest, TruncatedGzipIsReported) {
  std::string content;
  for (int i = 0; i < 5000; ++i) content += "line number " + std::to_string(i) + "\n";
  WriteGzip(Path("t.gz"), content);
  auto size = std::filesystem::file_size(Path("t.gz"));
  std::filesystem::resize_file(Path("t.gz"), size / 2);
  auto lines = ReadAll(Path("t.gz"));
  EXPECT_NE(std::find(lines.begin(), lines.end(), "ERROR"), lines.end());
}

TEST_F(LineReaderTest, MissingFileIsAClearError) {
  auto r = LineReader::Open(Path("does-not-exist"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().failure, "io_error");
  EXPECT_NE(r.error().message.find("does-not-exist"), std::string::npos);
}

TEST_F(LineReaderTest, ReadRestReturnsTheRemainder) {
  WritePlain(Path("doc"), "{\n  \"a\": 1\n}\n");
  auto r = LineReader::Open(Path("doc"));
  ASSERT_TRUE(r);
  auto first = (*r)->Next();
  ASSERT_TRUE(first && *first);
  EXPECT_EQ(**first, "{");
  auto rest = (*r)->ReadRest(1 << 20);
  ASSERT_TRUE(rest);
  EXPECT_EQ(*rest, "  \"a\": 1\n}\n");
}

}  // namespace
}  // namespace vigil
