#include "analysis/batch.h"

#include <zlib.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

namespace vigil::analysis {
namespace {

class Collect : public BatchSink {
 public:
  void Json(std::string_view lines) override { json += lines; }
  void Record(const AnalysisRecord& r) override { records.push_back(r); }
  void Error(std::string_view where, std::string_view message) override {
    errors.push_back(std::string(where) + ": " + std::string(message));
  }
  void Progress(size_t, size_t) override {}
  std::string json;
  std::vector<AnalysisRecord> records;
  std::vector<std::string> errors;
};

std::string Measurement(int i) {
  return fmt::format(
      R"({{"report_id":"r{}","test_name":"web_connectivity","input":"http://site{}.example/","probe_cc":"CM","probe_asn":"AS1","test_keys":{{"control_failure":"connection_reset"}}}})",
      i, i);
}

class BatchTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) {
    return (std::filesystem::path(::testing::TempDir()) /
            ("vigil-" + std::to_string(::getpid()) + "-" + name)).string();
  }
  void SetUp() override { ctx_.fingerprints = &FingerprintDb::Builtin(); }
  AnalysisContext ctx_;
};

TEST_F(BatchTest, ParallelOutputKeepsInputOrder) {
  std::ofstream out(Path("many.jsonl"));
  for (int i = 0; i < 3000; ++i) out << Measurement(i) << "\n";
  out.close();
  for (int jobs : {1, 4}) {
    BatchOptions o;
    o.inputs = {Path("many.jsonl")};
    o.jobs = jobs;
    o.batch_bytes = 16 * 1024;  // many small batches
    Collect sink;
    auto stats = AnalyzeInputs(o, ctx_, sink);
    ASSERT_TRUE(stats);
    EXPECT_EQ(stats->measurements, 3000u);
    EXPECT_EQ(stats->errors, 0u);
    size_t pos = 0;
    for (int i = 0; i < 3000; ++i) {
      size_t at = sink.json.find(fmt::format("\"report_id\":\"r{}\"", i), pos);
      ASSERT_NE(at, std::string::npos) << "jobs " << jobs << " measurement " << i;
      pos = at;
    }
  }
}

TEST_F(BatchTest, MalformedLinesAreReportedWithFileAndLineAndTheRestGoesOn) {
  std::ofstream out(Path("bad.jsonl"));
  out << Measurement(1) << "\n{not json\n\n" << Measurement(2) << "\n[1,2]\n" << Measurement(3) << "\n";
  out.close();
  BatchOptions o;
  o.inputs = {Path("bad.jsonl")};
  o.jobs = 2;
  Collect sink;
  auto stats = AnalyzeInputs(o, ctx_, sink);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->measurements, 3u);
  EXPECT_EQ(stats->errors, 2u);
  ASSERT_EQ(sink.errors.size(), 2u);
  EXPECT_NE(sink.errors[0].find("bad.jsonl:2:"), std::string::npos) << sink.errors[0];
  EXPECT_NE(sink.errors[1].find("bad.jsonl:5:"), std::string::npos) << sink.errors[1];
}

TEST_F(BatchTest, StrictStopsAtTheFirstError) {
  std::ofstream out(Path("strict.jsonl"));
  out << Measurement(1) << "\n{not json\n" << Measurement(2) << "\n";
  out.close();
  BatchOptions o;
  o.inputs = {Path("strict.jsonl")};
  o.strict = true;
  Collect sink;
  auto stats = AnalyzeInputs(o, ctx_, sink);
  EXPECT_FALSE(stats);
  EXPECT_EQ(sink.json.find("\"r2\""), std::string::npos);
}

TEST_F(BatchTest, ReadsGzipPrettyDocumentsAndArrays) {
  gzFile gz = gzopen(Path("a.jsonl.gz").c_str(), "wb");
  std::string lines = Measurement(1) + "\n" + Measurement(2) + "\n";
  gzwrite(gz, lines.data(), static_cast<unsigned>(lines.size()));
  gzclose(gz);
  std::ofstream(Path("pretty.json")) << "{\n  \"report_id\": \"r3\",\n  \"test_name\": \"signal\",\n  \"test_keys\": {}\n}\n";
  std::ofstream(Path("array.json")) << "[" << Measurement(4) << ",\n" << Measurement(5) << "]\n";
  BatchOptions o;
  o.inputs = {Path("a.jsonl.gz"), Path("pretty.json"), Path("array.json")};
  o.keep_records = true;
  Collect sink;
  auto stats = AnalyzeInputs(o, ctx_, sink);
  ASSERT_TRUE(stats);
  ASSERT_EQ(sink.records.size(), 5u);
  EXPECT_EQ(sink.records[0].report_id, "r1");
  EXPECT_EQ(sink.records[2].report_id, "r3");
  EXPECT_EQ(sink.records[4].report_id, "r5");
  EXPECT_TRUE(sink.errors.empty());
}

TEST_F(BatchTest, MissingFileIsReportedAndOthersAreRead) {
  std::ofstream(Path("ok.jsonl")) << Measurement(1) << "\n";
  BatchOptions o;
  o.inputs = {Path("nope.jsonl"), Path("ok.jsonl")};
  Collect sink;
  auto stats = AnalyzeInputs(o, ctx_, sink);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->measurements, 1u);
  ASSERT_EQ(sink.errors.size(), 1u);
  EXPECT_NE(sink.errors[0].find("nope.jsonl"), std::string::npos);
}

TEST_F(BatchTest, OutputHasExactlyTheDocumentedKeys) {
  std::ofstream(Path("one.jsonl")) << Measurement(7) << "\n";
  BatchOptions o;
  o.inputs = {Path("one.jsonl")};
  Collect sink;
  ASSERT_TRUE(AnalyzeInputs(o, ctx_, sink));
  EXPECT_EQ(sink.json.substr(0, sink.json.find("\"why\"")),
            R"({"measurement_uid":null,"report_id":"r7","input":"http://site7.example/","test_name":"web_connectivity","probe_cc":"CM","probe_asn":"AS1","blocking":null,"accessible":null,"anomaly":false,"confirmed":false,"failure":true,"fingerprint":null,"probe_blocking":null,)");
}

}  // namespace
}  // namespace vigil::analysis
