// BatchOptions::prepare, the worker-side hook `vigil import` uses: it sees every
// analysed measurement with its raw text, its values arrive in input order, and its
// errors are reported with file:line like malformed measurements.
#include <any>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "analysis/batch.h"
#include "analysis/fingerprints.h"

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

TEST(BatchPrepare, SeesRawTextInInputOrderAndReportsItsErrors) {
  std::string path = (std::filesystem::path(::testing::TempDir()) / "prepare.jsonl").string();
  std::ofstream out(path);
  for (int i = 0; i < 500; ++i) out << Line(i) << "\n";
  out.close();
  for (int jobs : {1, 3}) {
    BatchOptions o;
    o.inputs = {path};
    o.jobs = jobs;
    o.write_json = false;
    o.batch_bytes = 2048;
    o.prepare = [](const AnalysisRecord& r, std::string_view raw) -> Result<std::any> {
      if (r.report_id == "r7") return Fail("invalid_argument", "seven is refused");
      return std::any(std::string(raw));
    };
    AnalysisContext ctx;
    ctx.fingerprints = &FingerprintDb::Builtin();
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

}  // namespace
}  // namespace vigil::analysis
