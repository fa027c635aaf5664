// BatchOptions::prepare, the worker-side hook `vigil import` uses: it sees every
// analysed measurement with its raw text, its values arrive in input order, and its
// errors are reported with file:line like malformed measurements.
#include <any>
#include <atomic>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "analysis/batch.h"
#include "analysis/fingerprints.h"
#include "store/prepare.h"

namespace vigil::analysis {
namespace {

class Collect : public BatchSink {
 public:
  void Json(std::string_view) override {}
  void Record(const AnalysisRecord&) override {}
  void Prepared(std::any&& v) override { values.push_back(std::any_cast<std::string>(v)); }
  void Error(std::string_view where, std::string_view message) override {
    errors.push_back(std::string(where) + ": " + std::string(message));
  }
  void Progress(size_t, size_t) override {}
  std::vector<std::string> values, errors;
};

std::string Line(int i) {
  return fmt::format(R"({{"report_id":"r{}","test_name":"telegram","probe_cc":"CM","probe_asn":"AS1","test_keys":{{}}}})",
                     i);
}

BatchOptions Options(const std::string& path, int jobs, size_t batch_bytes) {
  BatchOptions o;
  o.inputs = {path};
  o.jobs = jobs;
  o.write_json = false;
  o.batch_bytes = batch_bytes;
  return o;
}

AnalysisContext Context() {
  AnalysisContext ctx;
  ctx.fingerprints = &FingerprintDb::Builtin();
  return ctx;
}

TEST(BatchPrepare, SeesRawTextInInputOrderAndReportsItsErrors) {
  std::string path = (std::filesystem::path(::testing::TempDir()) / "prepare.jsonl").string();
  std::ofstream out(path);
  for (int i = 0; i < 500; ++i) out << Line(i) << "\n";
  out.close();
  for (int jobs : {1, 3}) {
    BatchOptions o = Options(path, jobs, 2048);
    o.prepare = [](const AnalysisRecord& r, std::string_view raw) -> Result<std::any> {
      if (r.report_id == "r7") return Fail("invalid_argument", "seven is refused");
      return std::any(std::string(raw));
    };
    AnalysisContext ctx = Context();
    Collect sink;
    auto stats = AnalyzeInputs(o, ctx, sink);
    ASSERT_TRUE(stats);
    EXPECT_EQ(stats->measurements, 499u);
    ASSERT_EQ(sink.values.size(), 499u);
    for (int i = 0, k = 0; i < 500; ++i) {
      if (i == 7) continue;
      EXPECT_EQ(sink.values[static_cast<size_t>(k++)], Line(i)) << "jobs " << jobs;
    }
    ASSERT_EQ(sink.errors.size(), 1u);
    EXPECT_NE(sink.errors[0].find("prepare.jsonl:8: invalid_argument: seven is refused"), std::string::npos)
        << sink.errors[0];
  }
}

TEST(BatchPrepare, BeforeAnalysisCanTakeAMeasurementsPlaceWithoutAnalysingIt) {
  // Every third line is "known" by its report_id; a malformed line is still an error, and
  // a known line whose analysis would fail (no test_name) is skipped before it can fail.
  std::string path = (std::filesystem::path(::testing::TempDir()) / "before.jsonl").string();
  std::ofstream out(path);
  for (int i = 0; i < 300; ++i) {
    if (i == 10) out << "{not json\n";
    else if (i == 12) out << R"({"report_id":"r12"})" << "\n";
    else out << Line(i) << "\n";
  }
  out.close();
  for (int jobs : {1, 2}) {
    BatchOptions o = Options(path, jobs, 2048);
    std::atomic<int> prepared{0};
    o.prepare = [&](const AnalysisRecord&, std::string_view raw) -> Result<std::any> {
      ++prepared;
      return std::any(std::string(raw));
    };
    o.before_analysis = [](simdjson::dom::element root) -> std::optional<std::any> {
      std::string_view id;
      if (root["report_id"].get(id) != simdjson::SUCCESS) return std::nullopt;
      int n = std::stoi(std::string(id.substr(1)));
      if (n % 3 != 0) return std::nullopt;
      return std::any(fmt::format("known {}", n));
    };
    AnalysisContext ctx = Context();
    Collect sink;
    auto stats = AnalyzeInputs(o, ctx, sink);
    ASSERT_TRUE(stats);
    EXPECT_EQ(stats->measurements, 299u) << "jobs " << jobs;  // all but the malformed line
    EXPECT_EQ(prepared.load(), 199) << "jobs " << jobs;       // prepare never saw a known one
    ASSERT_EQ(sink.values.size(), 299u);
    for (int i = 0, k = 0; i < 300; ++i) {
      if (i == 10) continue;
      std::string want = i % 3 == 0 ? fmt::format("known {}", i) : Line(i);
      EXPECT_EQ(sink.values[static_cast<size_t>(k++)], want) << "jobs " << jobs;
    }
    ASSERT_EQ(sink.errors.size(), 1u);
    EXPECT_NE(sink.errors[0].find("before.jsonl:11: "), std::string::npos) << sink.errors[0];
  }
}

TEST(BatchPrepare, FinishBatchSeesEachBatchWholeWhileItsTextIsReadable) {
  std::string path = (std::filesystem::path(::testing::TempDir()) / "finish.jsonl").string();
  std::ofstream out(path);
  for (int i = 0; i < 300; ++i) out << Line(i) << "\n";
  out.close();
  for (int jobs : {1, 2}) {
    BatchOptions o = Options(path, jobs, 4096);
    o.prepare = [](const AnalysisRecord&, std::string_view raw) -> Result<std::any> { return std::any(raw); };
    // Joins a batch's raw texts into one value (the views are only valid until then).
    o.finish_batch = [](std::vector<std::any>& prepared) -> Result<void> {
      std::string joined;
      for (const auto& v : prepared) joined += std::string(std::any_cast<std::string_view>(v)) + "\n";
      if (joined.find("\"r250\"") != std::string::npos) return Fail("internal_error", "cannot pack");
      prepared.assign(1, std::any(joined));
      return {};
    };
    AnalysisContext ctx = Context();
    Collect sink;
    auto stats = AnalyzeInputs(o, ctx, sink);
    ASSERT_TRUE(stats);
    ASSERT_GT(sink.values.size(), 2u);
    std::string all;
    for (const auto& v : sink.values) all += v;
    // Every line in order, except the batch that failed to pack, reported once.
    ASSERT_EQ(sink.errors.size(), 1u);
    EXPECT_NE(sink.errors[0].find("cannot pack (the "), std::string::npos) << sink.errors[0];
    EXPECT_EQ(all.find("\"r250\""), std::string::npos);
    size_t at = 0;
    int kept = 0;
    for (int i = 0; i < 300; ++i) {
      size_t found = all.find(Line(i) + "\n", at);
      if (found == std::string::npos) continue;
      EXPECT_EQ(found, at) << "jobs " << jobs << " line " << i;
      at = found + Line(i).size() + 1;
      ++kept;
    }
    EXPECT_EQ(at, all.size());
    EXPECT_GT(kept, 250);
  }
}

TEST(RawBlocks, PackBlocksPointsEveryRowAtItsBytes) {
  std::vector<std::string> raws;
  for (int i = 0; i < 40; ++i) raws.push_back(Line(i) + std::string(static_cast<size_t>(20000 + 997 * i), 'x'));
  std::vector<store::StoredMeasurement> rows(raws.size());
  std::vector<store::StoredMeasurement*> ptrs;
  std::vector<std::string_view> views;
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i].raw_zstd = "stale";
    ptrs.push_back(&rows[i]);
    views.push_back(raws[i]);
  }
  auto blocks = store::PackBlocks(ptrs, views, /*first_block=*/5);
  ASSERT_TRUE(blocks) << blocks.error().ToString();
  ASSERT_GT(blocks->size(), 3u);
  for (const auto& b : *blocks) EXPECT_LE(b.raw_size, store::kRawBlockBytes);
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSERT_TRUE(rows[i].raw_block);
    ASSERT_GE(*rows[i].raw_block, 5u);
    EXPECT_TRUE(rows[i].raw_zstd.empty());
    EXPECT_EQ(rows[i].raw_size, raws[i].size());
    const auto& b = (*blocks)[*rows[i].raw_block - 5];
    auto raw = store::RawFromBlock(b.zstd, rows[i].raw_offset, rows[i].raw_size);
    ASSERT_TRUE(raw) << raw.error().ToString();
    EXPECT_EQ(*raw, raws[i]) << i;
  }
  // A measurement larger than a block gets a block of its own.
  std::string big(store::kRawBlockBytes + 5, 'b');
  std::string_view big_view = big;
  store::StoredMeasurement m;
  store::StoredMeasurement* mp = &m;
  auto one = store::PackBlocks(std::span(&mp, 1), std::span(&big_view, 1));
  ASSERT_TRUE(one);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(*store::RawFromBlock(one->front().zstd, 0, big.size()), big);
}

TEST(RawBlocks, APrefixOfAFrameAndItsErrors) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += fmt::format("{} ", i);
  auto z = store::ZstdCompress(text, 1);
  ASSERT_TRUE(z);
  EXPECT_EQ(*store::ZstdDecompressPrefix(*z, 10), text.substr(0, 10));
  EXPECT_EQ(*store::ZstdDecompressPrefix(*z, text.size()), text);
  EXPECT_EQ(*store::RawFromBlock(*z, 100, 50), text.substr(100, 50));
  // More than the frame holds, a truncated frame, and bytes that are not zstd.
  EXPECT_EQ(store::ZstdDecompressPrefix(*z, text.size() + 1).error().failure, "parse_error");
  EXPECT_EQ(store::RawFromBlock(z->substr(0, z->size() / 2), 0, text.size()).error().failure, "parse_error");
  EXPECT_EQ(store::ZstdDecompressPrefix(std::string(100, 'z'), 10).error().failure, "parse_error");
  EXPECT_EQ(store::RawFromBlock(*z, uint64_t{1} << 40, 1).error().failure, "parse_error");
  // A damaged row asking for far more than the frame holds is refused before allocating.
  EXPECT_EQ(store::ZstdDecompressPrefix(*z, size_t{1} << 40).error().failure, "parse_error");
  EXPECT_EQ(store::RawFromBlock(*z, 0, uint64_t{1} << 31).error().failure, "parse_error");
}

}  // namespace
}  // namespace vigil::analysis
