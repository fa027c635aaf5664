#include "probe/outbox.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace vigil::probe {
namespace {

struct TempDb {
  std::string path;
  TempDb() {
    path = (std::filesystem::temp_directory_path() /
            ("vigil-outbox-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".sqlite"))
               .string();
    Clean();
  }
  ~TempDb() { Clean(); }
  void Clean() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
};

MeasurementMeta Meta() { return {"web_connectivity", "0.4.3", "CM", "AS1", "2024-01-01 00:00:00", false}; }

TEST(Outbox, CommitsEachItemExactlyOnceAndResumesThePending) {
  TempDb db;
  int64_t run = 0;
  {
    auto o = Outbox::Open(db.path);
    ASSERT_TRUE(o.has_value()) << o.error().ToString();
    auto id = (*o)->CreateRun({{0, "web_connectivity", "http://a/"}, {0, "web_connectivity", "http://b/"},
                               {0, "telegram", ""}},
                              "{}");
    ASSERT_TRUE(id.has_value());
    run = *id;
    auto pending = (*o)->PendingItems(run);
    ASSERT_EQ(pending->size(), 3u);
    ASSERT_TRUE((*o)->Commit(run, pending->at(0).item_id, Meta(), "{\"a\":1}").has_value());
    // A second commit for the same item is refused.
    EXPECT_FALSE((*o)->Commit(run, pending->at(0).item_id, Meta(), "{\"a\":2}").has_value());
  }
  // Reopened, as after a crash: the unfinished run and its remaining items are there.
  auto o = Outbox::Open(db.path);
  ASSERT_TRUE(o.has_value());
  auto latest = (*o)->LatestUnfinishedRun();
  ASSERT_TRUE(latest.has_value() && latest->has_value());
  EXPECT_EQ((*latest)->first, run);
  auto pending = (*o)->PendingItems(run);
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ(pending->at(0).input, "http://b/");
  EXPECT_EQ(pending->at(1).test_name, "telegram");
  auto counts = (*o)->Counts(run);
  EXPECT_EQ(counts->total, 3u);
  EXPECT_EQ(counts->done, 1u);
  for (const auto& p : *pending) ASSERT_TRUE((*o)->Commit(run, p.item_id, Meta(), "{}").has_value());
  ASSERT_TRUE((*o)->FinishRun(run).has_value());
  EXPECT_FALSE((*o)->LatestUnfinishedRun()->has_value());
  EXPECT_EQ((*o)->RunMeasurements(run)->size(), 3u);
  EXPECT_EQ(*(*o)->CountPendingUploads(), 3u);
  auto uploads = (*o)->PendingUploads(10);
  ASSERT_TRUE((*o)->MarkUploaded(uploads->at(0).id, "r1", "u1").has_value());
  EXPECT_EQ(*(*o)->CountPendingUploads(), 2u);
}

TEST(Outbox, FailsClearlyOnAnUnopenablePath) {
  auto o = Outbox::Open("/proc/vigil-cannot-create/outbox.sqlite");
  ASSERT_FALSE(o.has_value());
  EXPECT_EQ(o.error().failure, "io_error");
}

}  // namespace
}  // namespace vigil::probe
