// The one Store test suite, run against every backend: SQLite always, PostgreSQL on a
// private cluster (tests/support/pg_cluster.h), skipped with a message when the server
// binaries are missing.
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "analysis/analyzer.h"
#include "analysis/fingerprints.h"
#include "store/postgres/pg_store.h"
#include "store/prepare.h"
#include "store/sqlite/sqlite_store.h"
#include "tests/support/pg_cluster.h"

namespace vigil::store {
namespace {

namespace fs = std::filesystem;
using std::chrono::days;
using std::chrono::hours;

// One PostgreSQL cluster for the whole binary.
class PgEnvironment : public ::testing::Environment {
 public:
  static PgEnvironment* Get() {
    static PgEnvironment* env = static_cast<PgEnvironment*>(::testing::AddGlobalTestEnvironment(new PgEnvironment));
    return env;
  }
  // nullptr and a reason when PostgreSQL is not available.
  testing::PgCluster* Cluster(std::string* why) {
    std::call_once(once_, [&] {
      auto c = testing::PgCluster::Start();
      if (c) {
        cluster_ = std::move(*c);
      } else {
        error_ = c.error().ToString();
      }
    });
    *why = error_;
    return cluster_.get();
  }
  void TearDown() override { cluster_.reset(); }

 private:
  std::once_flag once_;
  std::unique_ptr<testing::PgCluster> cluster_;
  std::string error_;
};
[[maybe_unused]] PgEnvironment* const kRegister = PgEnvironment::Get();

std::string UniqueName() {
  static std::atomic<int> n{0};
  return fmt::format("vigil_test_{}_{}", getpid(), n++);
}

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      dir_ = fs::temp_directory_path() / UniqueName();
      fs::create_directories(dir_);
      target_ = (dir_ / "vigil.sqlite").string();
    } else {
      std::string why;
      auto* cluster = PgEnvironment::Get()->Cluster(&why);
      if (!cluster) GTEST_SKIP() << "PostgreSQL tests skipped: " << why;
      auto url = cluster->CreateDatabase(UniqueName());
      ASSERT_TRUE(url) << url.error().ToString();
      target_ = *url;
    }
    store_ = OpenNew();
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  std::unique_ptr<Store> OpenNew() {
    if (GetParam() == "sqlite") {
      auto s = SqliteStore::Open(target_);
      EXPECT_TRUE(s) << s.error().ToString();
      return s ? std::unique_ptr<Store>(std::move(*s)) : nullptr;
    }
    auto s = PgStore::Open(target_);
    EXPECT_TRUE(s) << s.error().ToString();
    return s ? std::unique_ptr<Store>(std::move(*s)) : nullptr;
  }

  fs::path dir_;
  std::string target_;
  std::unique_ptr<Store> store_;
};

const Seconds kT0 = std::chrono::sys_days(std::chrono::year(2024) / 1 / 30);  // crosses a month boundary below

// A synthetic row: the raw JSON is small but real JSON, so RawJson() round-trips.
StoredMeasurement Row(int i) {
  static const char* kCcs[] = {"IT", "IR", "CM", "UG"};
  static const char* kTests[] = {"web_connectivity", "telegram", "signal"};
  StoredMeasurement m;
  std::string raw = fmt::format(R"({{"n":{},"probe_cc":"{}"}})", i, kCcs[i % 4]);
  m.idempotency_key = ContentKey(raw);
  m.measurement_start_time = kT0 + hours(7 * i);  // ~12 rows a week, spans two months for i < 40
  m.probe_cc = kCcs[i % 4];
  m.probe_asn = 100 + static_cast<uint32_t>(i % 3);
  m.test_name = kTests[i % 3];
  m.measurement_uid = MakeMeasurementUid(m.measurement_start_time, m.probe_cc, m.test_name, Sha256Hex(raw));
  m.report_id = fmt::format("report-{}", i / 5);
  if (m.test_name == "web_connectivity") {
    m.input = fmt::format("https://site{}.example/", i % 5);
    m.domain = fmt::format("site{}.example", i % 5);
    m.category_code = i % 2 ? std::optional<std::string>("NEWS") : std::nullopt;
  }
  m.verdict.anomaly = i % 4 == 1;
  m.verdict.confirmed = i % 8 == 1;
  m.verdict.failure = i % 5 == 2;
  if (i % 7 == 3) m.verdict.anomaly.reset();  // unknown verdicts count as false
  m.verdict.blocking = i % 4 == 1 ? analysis::Blocking::kDns : analysis::Blocking::kFalse;
  m.verdict.why = "synthetic";
  m.raw_size = raw.size();
  m.raw_zstd = *ZstdCompress(raw, 1);
  return m;
}

std::vector<StoredMeasurement> Rows(int n) {
  std::vector<StoredMeasurement> v;
  for (int i = 0; i < n; ++i) v.push_back(Row(i));
  return v;
}

int64_t CountAll(Store& s) {
  auto n = s.CountMeasurements({});
  EXPECT_TRUE(n) << n.error().ToString();
  return n ? *n : -1;
}

// The first real measurement of data/samples, and what the analyzer makes of it.
void FirstSample(std::string& line, Result<analysis::AnalysisRecord>& record) {
  std::ifstream in(fs::path(std::getenv("VIGIL_SOURCE_DIR") ? std::getenv("VIGIL_SOURCE_DIR") : VIGIL_SOURCE_DIR) /
                   "data/samples/ooni-sample.jsonl");
  ASSERT_TRUE(std::getline(in, line));
  analysis::AnalysisContext ctx;
  ctx.fingerprints = &analysis::FingerprintDb::Builtin();
  analysis::Analyzer analyzer(ctx);
  record = analyzer.Analyze(line);
  ASSERT_TRUE(record) << record.error().ToString();
}

TEST_P(StoreTest, StoresARealMeasurementAndGivesItBackUnchanged) {
  std::string line;
  Result<analysis::AnalysisRecord> record = Fail("unset", "");
  ASSERT_NO_FATAL_FAILURE(FirstSample(line, record));
  auto m = PrepareMeasurement(*record, line, {});
  ASSERT_TRUE(m) << m.error().ToString();
  EXPECT_TRUE(m->measurement_uid.starts_with("20240124141213.000000_IT_webconnectivity_")) << m->measurement_uid;

  auto out = store_->Insert(*m);
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_TRUE(out->inserted);
  EXPECT_EQ(out->measurement_uid, m->measurement_uid);

  auto got = store_->GetMeasurement(m->measurement_uid);
  ASSERT_TRUE(got) << got.error().ToString();
  ASSERT_TRUE(got->has_value());
  const StoredMeasurement& g = **got;
  EXPECT_EQ(g.report_id, "20240124T141213Z_webconnectivity_IT_30722_n1_hgaz7lvokwXybYSG");
  EXPECT_EQ(g.probe_cc, "IT");
  EXPECT_EQ(g.probe_asn, 30722u);
  EXPECT_EQ(g.test_name, "web_connectivity");
  EXPECT_EQ(g.input, record->input);
  EXPECT_EQ(g.domain, m->domain);
  EXPECT_EQ(g.measurement_start_time, m->measurement_start_time);
  EXPECT_EQ(g.verdict.anomaly, record->verdict.anomaly);
  EXPECT_EQ(g.verdict.confirmed, record->verdict.confirmed);
  EXPECT_EQ(g.verdict.failure, record->verdict.failure);
  EXPECT_EQ(g.verdict.blocking, record->verdict.blocking);
  EXPECT_EQ(g.verdict.accessible, record->verdict.accessible);
  EXPECT_EQ(g.verdict.fingerprint, record->verdict.fingerprint);
  EXPECT_EQ(g.verdict.why, record->verdict.why);
  EXPECT_LT(g.raw_zstd.size(), line.size());
  auto raw = g.RawJson();
  ASSERT_TRUE(raw) << raw.error().ToString();
  EXPECT_EQ(*raw, line);

  auto missing = store_->GetMeasurement("20240124141213.000000_IT_webconnectivity_0000000000000000");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
}

TEST_P(StoreTest, FindKeyAndPreparingWhatIsAlreadyStored) {
  std::string line;
  Result<analysis::AnalysisRecord> record = Fail("unset", "");
  ASSERT_NO_FATAL_FAILURE(FirstSample(line, record));

  // The hook is asked with the idempotency key; "not stored" gives a full row.
  std::vector<std::string> asked;
  PrepareOptions options;
  options.already_stored = [&](std::string_view key) {
    asked.emplace_back(key);
    auto found = store_->FindKey(key);
    EXPECT_TRUE(found) << found.error().ToString();
    return found && found->has_value();
  };
  auto fresh = PrepareMeasurement(*record, line, options);
  ASSERT_TRUE(fresh) << fresh.error().ToString();
  EXPECT_FALSE(fresh->already_stored);
  EXPECT_FALSE(fresh->raw_zstd.empty());
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0], fresh->idempotency_key);
  ASSERT_TRUE(store_->Insert(*fresh));

  auto found = store_->FindKey(fresh->idempotency_key);
  ASSERT_TRUE(found) << found.error().ToString();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(**found, fresh->measurement_uid);
  auto none = store_->FindKey("sha256:0000");
  ASSERT_TRUE(none) << none.error().ToString();
  EXPECT_FALSE(none->has_value());

  // Once stored, the same measurement is not compressed again, and says so.
  auto known = PrepareMeasurement(*record, line, options);
  ASSERT_TRUE(known) << known.error().ToString();
  EXPECT_TRUE(known->already_stored);
  EXPECT_TRUE(known->raw_zstd.empty());
  EXPECT_EQ(known->measurement_uid, fresh->measurement_uid);
  EXPECT_EQ(CountAll(*store_), 1);
}

TEST_P(StoreTest, ReinsertingStoresOnceAndReturnsTheStoredUid) {
  StoredMeasurement m = Row(1);
  ASSERT_TRUE(store_->Insert(m));
  StoredMeasurement again = m;
  again.measurement_uid = "20990101000000.000000_IT_telegram_ffffffffffffffff";  // a resubmission gets a new uid
  auto out = store_->Insert(again);
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_FALSE(out->inserted);
  EXPECT_EQ(out->measurement_uid, m.measurement_uid);

  // In one batch: new, already stored, and the same key twice.
  std::vector<StoredMeasurement> batch = {Row(2), m, Row(2), Row(3)};
  auto outs = store_->InsertBatch(batch);
  ASSERT_TRUE(outs) << outs.error().ToString();
  ASSERT_EQ(outs->size(), 4u);
  EXPECT_TRUE((*outs)[0].inserted);
  EXPECT_FALSE((*outs)[1].inserted);
  EXPECT_FALSE((*outs)[2].inserted);
  EXPECT_EQ((*outs)[2].measurement_uid, Row(2).measurement_uid);
  EXPECT_TRUE((*outs)[3].inserted);
  EXPECT_EQ(CountAll(*store_), 3);

  // Importing the same rows again changes nothing.
  auto again_all = store_->InsertBatch(batch);
  ASSERT_TRUE(again_all);
  for (const auto& o : *again_all) EXPECT_FALSE(o.inserted);
  EXPECT_EQ(CountAll(*store_), 3);
}

TEST_P(StoreTest, UnflushedBatchesAreStoredLikeOthersAndSyncCommittedFlushesThem) {
  // The collector's path: commit without a flush, then one flush for everything so far.
  std::vector<StoredMeasurement> first = {Row(1), Row(2)};
  auto outs = store_->InsertBatchUnflushed(first);
  ASSERT_TRUE(outs) << outs.error().ToString();
  EXPECT_TRUE((*outs)[0].inserted && (*outs)[1].inserted);
  std::vector<StoredMeasurement> second = {Row(2), Row(3)};
  outs = store_->InsertBatchUnflushed(second);
  ASSERT_TRUE(outs) << outs.error().ToString();
  EXPECT_FALSE((*outs)[0].inserted);
  EXPECT_TRUE((*outs)[1].inserted);
  auto synced = store_->SyncCommitted();
  ASSERT_TRUE(synced) << synced.error().ToString();
  ASSERT_TRUE(store_->SyncCommitted());  // again, nothing new: still fine
  EXPECT_EQ(CountAll(*store_), 3);
  // Other writes after it are flushed by their own commits, as before.
  ASSERT_TRUE(store_->Insert(Row(4)));
  EXPECT_EQ(CountAll(*store_), 4);
  auto check = store_->CheckConsistency();
  ASSERT_TRUE(check) << check.error().ToString();
}

TEST_P(StoreTest, FiltersUseOoniNamesAndSemantics) {
  auto rows = Rows(60);
  ASSERT_TRUE(store_->InsertBatch(rows));
  auto expect = [&](const MeasurementFilter& f, auto pred, const char* what) {
    int64_t want = 0;
    for (const auto& r : rows) want += pred(r) ? 1 : 0;
    auto n = store_->CountMeasurements(f);
    ASSERT_TRUE(n) << n.error().ToString();
    EXPECT_EQ(*n, want) << what;
    MeasurementFilter all = f;
    all.limit = 1000;
    auto list = store_->ListMeasurements(all);
    ASSERT_TRUE(list) << list.error().ToString();
    EXPECT_EQ(static_cast<int64_t>(list->size()), want) << what;
    for (const auto& m : *list) {
      EXPECT_TRUE(pred(m)) << what << ": " << m.measurement_uid;
      EXPECT_TRUE(m.raw_zstd.empty());
    }
    EXPECT_GT(want, 0) << what << " (the test data should exercise the filter)";
  };
  MeasurementFilter f;
  f.probe_cc = "IR";
  expect(f, [](const auto& m) { return m.probe_cc == "IR"; }, "probe_cc");
  f = {};
  f.probe_asn = 101;
  expect(f, [](const auto& m) { return m.probe_asn == 101; }, "probe_asn");
  f = {};
  f.test_name = "telegram";
  expect(f, [](const auto& m) { return m.test_name == "telegram"; }, "test_name");
  f = {};
  f.domain = "site3.example";
  expect(f, [](const auto& m) { return m.domain == "site3.example"; }, "domain");
  f = {};
  f.input = "https://site2.example/";
  expect(f, [](const auto& m) { return m.input == "https://site2.example/"; }, "input");
  f = {};
  f.since = kT0 + days(3);
  f.until = kT0 + days(9);
  expect(f, [&](const auto& m) { return m.measurement_start_time >= *f.since && m.measurement_start_time < *f.until; },
         "since/until");
  f = {};
  f.anomaly = true;
  expect(f, [](const auto& m) { return m.verdict.anomaly.value_or(false); }, "anomaly=true");
  f = {};
  f.anomaly = false;
  expect(f, [](const auto& m) { return !m.verdict.anomaly.value_or(false); }, "anomaly=false");
  f = {};
  f.confirmed = true;
  f.probe_cc = "IR";
  expect(f, [](const auto& m) { return m.verdict.confirmed.value_or(false) && m.probe_cc == "IR"; }, "confirmed+cc");
  f = {};
  f.failure = true;
  expect(f, [](const auto& m) { return m.verdict.failure.value_or(false); }, "failure");
}

TEST_P(StoreTest, PagesAreOrderedAndDisjoint) {
  auto rows = Rows(45);
  ASSERT_TRUE(store_->InsertBatch(rows));
  for (OrderBy by : {OrderBy::kMeasurementStartTime, OrderBy::kProbeCc, OrderBy::kInput, OrderBy::kProbeAsn,
                     OrderBy::kTestName}) {
    for (Order order : {Order::kAsc, Order::kDesc}) {
      std::vector<StoredMeasurement> seen;
      MeasurementFilter f;
      f.order_by = by;
      f.order = order;
      f.limit = 10;
      for (int page = 0; page < 10; ++page) {
        f.offset = static_cast<uint64_t>(page) * 10;
        auto list = store_->ListMeasurements(f);
        ASSERT_TRUE(list) << list.error().ToString();
        seen.insert(seen.end(), list->begin(), list->end());
        if (list->size() < 10) break;
      }
      std::string what = fmt::format("{} {}", OrderByName(by), order == Order::kAsc ? "asc" : "desc");
      ASSERT_EQ(seen.size(), rows.size()) << what;
      std::set<std::string> uids;
      for (const auto& m : seen) uids.insert(m.measurement_uid);
      EXPECT_EQ(uids.size(), rows.size()) << what;
      for (size_t i = 1; i < seen.size(); ++i) {
        const auto& a = seen[i - 1];
        const auto& b = seen[i];
        auto key = [&](const StoredMeasurement& m) {
          switch (by) {
            case OrderBy::kMeasurementStartTime:
              return fmt::format("{:020d}", m.measurement_start_time.time_since_epoch().count());
            case OrderBy::kProbeCc:
              return m.probe_cc;
            case OrderBy::kInput:
              return m.input ? "1" + *m.input : std::string("0");  // NULL first when ascending
            case OrderBy::kProbeAsn:
              return fmt::format("{:010d}", m.probe_asn);
            case OrderBy::kTestName:
              return m.test_name;
          }
          return std::string();
        };
        auto ka = std::pair(key(a), a.measurement_uid);
        auto kb = std::pair(key(b), b.measurement_uid);
        if (order == Order::kAsc) {
          EXPECT_LT(ka, kb) << what << " at " << i;
        } else {
          EXPECT_GT(ka, kb) << what << " at " << i;
        }
      }
    }
  }
}

TEST_P(StoreTest, AggregationCountsMatchOoniDefinitions) {
  auto rows = Rows(80);
  ASSERT_TRUE(store_->InsertBatch(rows));
  auto day = [](Seconds t) {
    std::chrono::year_month_day ymd(std::chrono::floor<days>(t));
    return fmt::format("{:04d}-{:02d}-{:02d}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                       static_cast<unsigned>(ymd.day()));
  };
  struct Case {
    std::optional<Axis> x, y;
  };
  for (Case c : {Case{Axis::kMeasurementStartDay, Axis::kProbeCc}, Case{Axis::kProbeAsn, std::nullopt},
                 Case{Axis::kCategoryCode, Axis::kDomain}, Case{Axis::kTestName, std::nullopt},
                 Case{std::nullopt, std::nullopt}}) {
    auto value = [&](std::optional<Axis> a, const StoredMeasurement& m) -> std::string {
      if (!a) return "";
      switch (*a) {
        case Axis::kMeasurementStartDay:
          return day(m.measurement_start_time);
        case Axis::kProbeCc:
          return m.probe_cc;
        case Axis::kProbeAsn:
          return fmt::format("AS{}", m.probe_asn);
        case Axis::kDomain:
          return m.domain;
        case Axis::kCategoryCode:
          return m.category_code.value_or("");
        case Axis::kTestName:
          return m.test_name;
      }
      return "";
    };
    std::map<std::pair<std::string, std::string>, AggregationCounts> want;
    for (const auto& m : rows) {
      auto& w = want[{value(c.x, m), value(c.y, m)}];
      bool a = m.verdict.anomaly.value_or(false), cf = m.verdict.confirmed.value_or(false),
           fl = m.verdict.failure.value_or(false);
      ++w.measurement_count;
      w.anomaly_count += a && !cf && !fl;
      w.confirmed_count += cf && !fl;
      w.failure_count += fl;
      w.ok_count += !a && !cf && !fl;
    }
    AggregationRequest req;
    req.axis_x = c.x;
    req.axis_y = c.y;
    auto got = store_->Aggregate(req);
    ASSERT_TRUE(got) << got.error().ToString();
    ASSERT_EQ(got->size(), want.size());
    auto it = want.begin();
    for (const auto& row : *got) {
      EXPECT_EQ(row.x, it->first.first);
      EXPECT_EQ(row.y, it->first.second);
      EXPECT_EQ(row.counts.measurement_count, it->second.measurement_count) << row.x << "/" << row.y;
      EXPECT_EQ(row.counts.anomaly_count, it->second.anomaly_count) << row.x << "/" << row.y;
      EXPECT_EQ(row.counts.confirmed_count, it->second.confirmed_count) << row.x << "/" << row.y;
      EXPECT_EQ(row.counts.failure_count, it->second.failure_count) << row.x << "/" << row.y;
      EXPECT_EQ(row.counts.ok_count, it->second.ok_count) << row.x << "/" << row.y;
      ++it;
    }
  }
  // Filters apply to aggregations too.
  AggregationRequest req;
  req.filter.probe_cc = "CM";
  req.axis_x = Axis::kProbeCc;
  auto got = store_->Aggregate(req);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(got->front().x, "CM");
  EXPECT_EQ(got->front().counts.measurement_count, 20);
}

TEST_P(StoreTest, BadInputLeavesStoredDataIntact) {
  ASSERT_TRUE(store_->InsertBatch(Rows(10)));
  std::vector<StoredMeasurement> batch = {Row(20), Row(21), Row(22)};
  batch[1].probe_cc = "italy";
  auto r = store_->InsertBatch(batch);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().failure, "invalid_argument");
  EXPECT_NE(r.error().message.find("row 1"), std::string::npos) << r.error().message;
  EXPECT_EQ(CountAll(*store_), 10);  // Row(20) was not stored either

  // A different measurement claiming a stored uid: refused, nothing of its batch stored.
  std::vector<StoredMeasurement> clash = {Row(30), Row(31)};
  clash[1].measurement_uid = Row(0).measurement_uid;
  auto c = store_->InsertBatch(clash);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().failure, "already_exists");
  EXPECT_EQ(CountAll(*store_), 10);
  auto one = store_->GetMeasurement(Row(0).measurement_uid);
  ASSERT_TRUE(one && one->has_value());
  EXPECT_EQ((*one)->idempotency_key, Row(0).idempotency_key);
  auto check = store_->CheckConsistency();
  ASSERT_TRUE(check) << check.error().ToString();
  EXPECT_EQ(*check, "");
}

TEST_P(StoreTest, ConcurrentWritersStoreEachMeasurementOnce) {
  constexpr int kThreads = 4, kRows = 120;
  auto rows = Rows(kRows);
  auto second = OpenNew();  // a second "process" on the same database
  ASSERT_NE(second, nullptr);
  std::atomic<int> inserted{0}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Store& s = t % 2 ? *second : *store_;
      // Every thread writes every row, in batches of 7 starting at different places.
      for (int k = 0; k < kRows; k += 7) {
        std::vector<StoredMeasurement> batch;
        for (int j = 0; j < 7 && k + j < kRows; ++j) batch.push_back(rows[static_cast<size_t>((k + j + t * 31) % kRows)]);
        auto out = s.InsertBatch(batch);
        if (!out) {
          ++errors;
          ADD_FAILURE() << out.error().ToString();
          return;
        }
        for (const auto& o : *out) inserted += o.inserted;
      }
      auto single = s.Insert(rows[static_cast<size_t>(t)]);
      if (!single) ++errors;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(inserted, kRows);
  EXPECT_EQ(CountAll(*store_), kRows);
  auto check = store_->CheckConsistency();
  ASSERT_TRUE(check);
  EXPECT_EQ(*check, "");
}

TEST_P(StoreTest, UsersAndTokens) {
  Seconds now = kT0;
  auto alice = store_->CreateUser("alice", "argon2id$hash", "admin", now);
  ASSERT_TRUE(alice) << alice.error().ToString();
  auto dup = store_->CreateUser("alice", "x", "member", now);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().failure, "already_exists");
  auto bob = store_->CreateUser("bob", "h2", "probe", now);
  ASSERT_TRUE(bob);

  auto got = store_->GetUser("alice");
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->role, "admin");
  EXPECT_EQ((*got)->password_hash, "argon2id$hash");
  User u = **got;
  u.role = "editor";
  u.disabled = true;
  ASSERT_TRUE(store_->UpdateUser(u));
  auto by_id = store_->GetUserById(alice->id);
  ASSERT_TRUE(by_id && by_id->has_value());
  EXPECT_EQ((*by_id)->role, "editor");
  EXPECT_TRUE((*by_id)->disabled);
  auto users = store_->ListUsers();
  ASSERT_TRUE(users);
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[1].username, "bob");

  auto tok = store_->CreateToken(bob->id, "sha256:abc", "probe", "probe in Douala", now, now + days(30));
  ASSERT_TRUE(tok) << tok.error().ToString();
  EXPECT_FALSE(store_->CreateToken(bob->id, "sha256:abc", "probe", "again", now, std::nullopt));
  auto found = store_->GetTokenByHash("sha256:abc");
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->user_id, bob->id);
  EXPECT_EQ((*found)->expires_at, now + days(30));
  EXPECT_FALSE((*found)->revoked_at.has_value());
  // The token and its account in one read, as authentication asks for them.
  auto with_user = store_->GetTokenWithUser("sha256:abc");
  ASSERT_TRUE(with_user && with_user->has_value()) << (with_user ? "none" : with_user.error().ToString());
  EXPECT_EQ((*with_user)->first.id, tok->id);
  EXPECT_EQ((*with_user)->first.expires_at, now + days(30));
  EXPECT_EQ((*with_user)->first.label, "probe in Douala");
  EXPECT_EQ((*with_user)->second.id, bob->id);
  EXPECT_EQ((*with_user)->second.username, "bob");
  EXPECT_EQ((*with_user)->second.role, "probe");
  EXPECT_FALSE((*with_user)->second.disabled);
  auto none = store_->GetTokenWithUser("sha256:nope");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(store_->RevokeToken(tok->id, now + hours(1)));
  found = store_->GetTokenByHash("sha256:abc");
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->revoked_at, now + hours(1));
  with_user = store_->GetTokenWithUser("sha256:abc");
  ASSERT_TRUE(with_user && with_user->has_value());
  EXPECT_EQ((*with_user)->first.revoked_at, now + hours(1));
  // A disabled account shows through the token (alice's token; alice was disabled above).
  ASSERT_TRUE(store_->CreateToken(alice->id, "sha256:alice", "editor", "laptop", now, std::nullopt));
  with_user = store_->GetTokenWithUser("sha256:alice");
  ASSERT_TRUE(with_user && with_user->has_value());
  EXPECT_TRUE((*with_user)->second.disabled);
  EXPECT_FALSE((*with_user)->first.expires_at.has_value());
  auto list = store_->ListTokens(bob->id);
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 1u);

  auto counts = store_->Counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->users, 2);
  EXPECT_EQ(counts->tokens, 2);  // bob's and alice's
  ASSERT_TRUE(store_->DeleteUser(bob->id));
  EXPECT_EQ(store_->DeleteUser(bob->id).error().failure, "not_found");
  auto gone = store_->GetTokenByHash("sha256:abc");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
  User ghost;
  ghost.id = 9999;
  EXPECT_EQ(store_->UpdateUser(ghost).error().failure, "not_found");
}

TEST_P(StoreTest, SchemaIsVersionedAndReopeningIsHarmless) {
  auto v = store_->SchemaVersion();
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, GetParam() == "sqlite" ? SqliteStore::LatestSchemaVersion() : PgStore::LatestSchemaVersion());
  ASSERT_TRUE(store_->Insert(Row(5)));
  store_.reset();
  store_ = OpenNew();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(CountAll(*store_), 1);
  auto h = store_->Health();
  ASSERT_TRUE(h);
  EXPECT_EQ(h->backend, GetParam() == "sqlite" ? "sqlite" : "postgresql");
  EXPECT_EQ(h->schema_version, *v);
  auto c = store_->Counts();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->measurements, 1);
}

TEST_P(StoreTest, DayAlignedQueriesAgreeWithTheRawRows) {
  // Day-aligned filters are answered from the daily rollup on SQLite; shifting since and
  // until by one second (no row sits in that second) takes the row-by-row path. Both must
  // give the same answers, after inserts one by one and in batches, duplicates included.
  auto rows = Rows(60);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(store_->Insert(rows[static_cast<size_t>(i)]));
  ASSERT_TRUE(store_->InsertBatch(std::span<const StoredMeasurement>(rows).subspan(5)));
  const Seconds since = kT0 + std::chrono::days(2), until = kT0 + std::chrono::days(12);
  for (auto [x, y] : {std::pair{Axis::kMeasurementStartDay, Axis::kProbeCc}, std::pair{Axis::kTestName, Axis::kDomain},
                      std::pair{Axis::kProbeAsn, Axis::kCategoryCode}}) {
    AggregationRequest fast, slow;
    fast.axis_x = slow.axis_x = x;
    fast.axis_y = slow.axis_y = y;
    fast.filter.since = since;
    fast.filter.until = until;
    slow.filter.since = since - std::chrono::seconds(1);
    slow.filter.until = until - std::chrono::seconds(1);
    fast.filter.anomaly = slow.filter.anomaly = false;
    auto a = store_->Aggregate(fast);
    auto b = store_->Aggregate(slow);
    ASSERT_TRUE(a) << a.error().ToString();
    ASSERT_TRUE(b) << b.error().ToString();
    ASSERT_EQ(a->size(), b->size());
    ASSERT_FALSE(a->empty());
    for (size_t i = 0; i < a->size(); ++i) {
      EXPECT_EQ((*a)[i].x, (*b)[i].x);
      EXPECT_EQ((*a)[i].y, (*b)[i].y);
      EXPECT_EQ((*a)[i].counts.measurement_count, (*b)[i].counts.measurement_count);
      EXPECT_EQ((*a)[i].counts.anomaly_count, (*b)[i].counts.anomaly_count);
      EXPECT_EQ((*a)[i].counts.confirmed_count, (*b)[i].counts.confirmed_count);
      EXPECT_EQ((*a)[i].counts.failure_count, (*b)[i].counts.failure_count);
      EXPECT_EQ((*a)[i].counts.ok_count, (*b)[i].counts.ok_count);
    }
  }
  MeasurementFilter fast, slow;
  fast.probe_cc = slow.probe_cc = "IT";
  fast.since = since;
  slow.since = since - std::chrono::seconds(1);
  fast.failure = slow.failure = true;
  auto n1 = store_->CountMeasurements(fast);
  auto n2 = store_->CountMeasurements(slow);
  ASSERT_TRUE(n1);
  ASSERT_TRUE(n2);
  EXPECT_EQ(*n1, *n2);
  EXPECT_GT(*n1, 0);
  EXPECT_EQ(CountAll(*store_), 60);
  auto c = store_->CheckConsistency();
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(*c, "");
}

// Runs SQL on the store's database behind its back (to rebuild an older schema).
void RawSql(const std::string& backend, const std::string& target, const std::string& sql) {
  if (backend == "sqlite") {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(target.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
    return;
  }
  PGconn* c = PQconnectdb(target.c_str());
  ASSERT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
  PGresult* r = PQexec(c, sql.c_str());
  EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQerrorMessage(c);
  PQclear(r);
  PQfinish(c);
}

// The first column of the first row of a query, as text (test inspection only).
std::string RawScalar(const std::string& backend, const std::string& target, const std::string& sql) {
  std::string out;
  if (backend == "sqlite") {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(target.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    if (st && sqlite3_step(st) == SQLITE_ROW) out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
  }
  PGconn* c = PQconnectdb(target.c_str());
  EXPECT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
  PGresult* r = PQexec(c, sql.c_str());
  EXPECT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQerrorMessage(c);
  if (PQntuples(r) > 0) out = PQgetvalue(r, 0, 0);
  PQclear(r);
  PQfinish(c);
  return out;
}

// Rows i in [from, to) whose raw texts are packed into blocks (as `vigil import` does);
// each text is `pad` bytes longer than Row's, so that a few rows fill a block.
struct BlockBatch {
  std::vector<StoredMeasurement> rows;
  std::vector<std::string> raws;
  std::vector<RawBlock> blocks;
};
BlockBatch PackedRows(int from, int to, size_t pad) {
  BlockBatch b;
  for (int i = from; i < to; ++i) {
    StoredMeasurement m = Row(i);
    std::string raw = *m.RawJson();
    raw.insert(raw.size() - 1, fmt::format(R"(,"pad":"{}")", std::string(pad, static_cast<char>('a' + i % 26))));
    m.idempotency_key = ContentKey(raw);
    m.measurement_uid = MakeMeasurementUid(m.measurement_start_time, m.probe_cc, m.test_name, Sha256Hex(raw));
    b.rows.push_back(std::move(m));
    b.raws.push_back(std::move(raw));
  }
  std::vector<StoredMeasurement*> ptrs;
  std::vector<std::string_view> views;
  for (size_t i = 0; i < b.rows.size(); ++i) {
    ptrs.push_back(&b.rows[i]);
    views.push_back(b.raws[i]);
  }
  auto blocks = PackBlocks(ptrs, views);
  EXPECT_TRUE(blocks) << blocks.error().ToString();
  if (blocks) b.blocks = std::move(*blocks);
  return b;
}

TEST_P(StoreTest, MeasurementsPackedInBlocksReadBackByteForByte) {
  // 100 kB each: two rows to a 256 kB block, so the batch spans several blocks.
  BlockBatch b = PackedRows(0, 7, 100000);
  ASSERT_EQ(b.blocks.size(), 4u);
  EXPECT_EQ(*b.rows[1].raw_block, 0u);
  EXPECT_EQ(*b.rows[2].raw_block, 1u);
  EXPECT_GT(b.rows[1].raw_offset, 0u);
  // Mixed with a row in its own frame, and one already stored.
  ASSERT_TRUE(store_->Insert(Row(50)));
  std::vector<StoredMeasurement> batch = b.rows;
  batch.push_back(Row(51));
  batch.push_back(Row(50));
  auto outs = store_->InsertBatch(batch, b.blocks);
  ASSERT_TRUE(outs) << outs.error().ToString();
  for (size_t i = 0; i < 8; ++i) EXPECT_TRUE((*outs)[i].inserted) << i;
  EXPECT_FALSE((*outs)[8].inserted);
  EXPECT_EQ(CountAll(*store_), 9);
  EXPECT_EQ(RawScalar(GetParam(), target_, "SELECT COUNT(*) FROM raw_blocks"), "4");
  for (size_t i = 0; i < b.rows.size(); ++i) {
    auto got = store_->GetMeasurement(b.rows[i].measurement_uid);
    ASSERT_TRUE(got && *got) << i;
    EXPECT_TRUE((*got)->raw_zstd.empty());
    auto raw = (*got)->RawJson();
    ASSERT_TRUE(raw) << raw.error().ToString();
    EXPECT_EQ(*raw, b.raws[i]) << i;
  }
  auto own = store_->GetMeasurement(Row(51).measurement_uid);
  ASSERT_TRUE(own && *own);
  EXPECT_EQ(*(*own)->RawJson(), *Row(51).RawJson());
  auto check = store_->CheckConsistency();
  ASSERT_TRUE(check) << check.error().ToString();
  EXPECT_EQ(*check, "");

  // Again, with two new rows in the last block: only that block is stored again, and
  // the rows already stored are duplicates.
  BlockBatch again = PackedRows(5, 9, 100000);
  outs = store_->InsertBatch(again.rows, again.blocks);
  ASSERT_TRUE(outs) << outs.error().ToString();
  EXPECT_FALSE((*outs)[0].inserted);
  EXPECT_FALSE((*outs)[1].inserted);
  EXPECT_TRUE((*outs)[2].inserted);
  EXPECT_TRUE((*outs)[3].inserted);
  EXPECT_EQ(RawScalar(GetParam(), target_, "SELECT COUNT(*) FROM raw_blocks"), "5");
  auto last = store_->GetMeasurement(again.rows[3].measurement_uid);
  ASSERT_TRUE(last && *last);
  EXPECT_EQ(*(*last)->RawJson(), again.raws[3]);
  check = store_->CheckConsistency();
  ASSERT_TRUE(check);
  EXPECT_EQ(*check, "");
}

// SHA-512 of `data` in hex: the key of a measurement without a uid before schema v5.
std::string LegacySha512Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EXPECT_EQ(EVP_Digest(data.data(), data.size(), md, &len, EVP_sha512(), nullptr), 1);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", md[i]);
  return hex;
}

// Schema v5 keys a measurement without a uid by the SHA-256 of its bytes. Opening a store
// of an earlier version re-keys its SHA-512-keyed rows from their stored bytes (in blocks
// and in frames of their own), after which the same bytes are known as stored.
TEST_P(StoreTest, TheKeyMigrationRekeysMeasurementsFromTheirStoredBytes) {
  BlockBatch b = PackedRows(0, 7, 100000);  // four blocks
  std::vector<StoredMeasurement> batch = b.rows;
  std::vector<std::string> raws = b.raws;
  for (int i : {20, 21}) {  // each in its own frame
    batch.push_back(Row(i));
    raws.push_back(*Row(i).RawJson());
  }
  for (size_t i = 0; i < raws.size(); ++i) batch[i].idempotency_key = "sha512:" + LegacySha512Hex(raws[i]);
  StoredMeasurement by_uid = Row(22);  // keyed by its uid: left alone
  by_uid.idempotency_key = by_uid.measurement_uid;
  batch.push_back(by_uid);
  StoredMeasurement squatter = Row(23);  // a uid spelled like Row(21)'s new key
  squatter.idempotency_key = ContentKey(raws.back());
  batch.push_back(squatter);
  auto stored = store_->InsertBatch(batch, b.blocks);
  ASSERT_TRUE(stored) << stored.error().ToString();
  store_.reset();
  RawSql(GetParam(), target_, "DELETE FROM schema_migrations WHERE version >= 5");

  store_ = OpenNew();
  ASSERT_NE(store_, nullptr);
  auto v = store_->SchemaVersion();
  ASSERT_TRUE(v) << v.error().ToString();
  EXPECT_EQ(*v, 5);
  for (size_t i = 0; i + 1 < raws.size(); ++i) {
    auto found = store_->FindKey(ContentKey(raws[i]));
    ASSERT_TRUE(found) << found.error().ToString();
    ASSERT_TRUE(found->has_value()) << i;
    EXPECT_EQ(**found, batch[i].measurement_uid) << i;
    auto old = store_->FindKey(batch[i].idempotency_key);
    ASSERT_TRUE(old);
    EXPECT_FALSE(old->has_value()) << i;
  }
  // The row whose new key was taken keeps its old one; the squatter and the uid-keyed row
  // keep theirs.
  auto kept = store_->FindKey(batch[raws.size() - 1].idempotency_key);
  ASSERT_TRUE(kept && kept->has_value());
  EXPECT_EQ(**kept, batch[raws.size() - 1].measurement_uid);
  auto taken = store_->FindKey(squatter.idempotency_key);
  ASSERT_TRUE(taken && taken->has_value());
  EXPECT_EQ(**taken, squatter.measurement_uid);
  auto uid_keyed = store_->FindKey(by_uid.measurement_uid);
  ASSERT_TRUE(uid_keyed && uid_keyed->has_value());
  EXPECT_EQ(RawScalar(GetParam(), target_, "SELECT COUNT(*) FROM measurements WHERE idempotency_key LIKE 'sha512:%'"),
            "1");
  auto check = store_->CheckConsistency();
  ASSERT_TRUE(check) << check.error().ToString();
  EXPECT_EQ(*check, "");
  // The bytes of a re-keyed row, submitted again, are a duplicate; the raw texts are unchanged.
  auto again = store_->Insert(Row(20));
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_FALSE(again->inserted);
  EXPECT_EQ(again->measurement_uid, Row(20).measurement_uid);
  auto got = store_->GetMeasurement(b.rows[3].measurement_uid);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ(*(*got)->RawJson(), b.raws[3]);
  EXPECT_EQ(CountAll(*store_), 11);
}

TEST_P(StoreTest, ConcurrentWritersOfBlocksEachGetTheirOwnBlockIds) {
  // Two "processes" on one database, four threads, each storing its own rows in blocks and
  // then a batch overlapping another thread's: block ids must never collide.
  constexpr int kThreads = 4, kPerThread = 12;
  auto second = OpenNew();
  ASSERT_NE(second, nullptr);
  std::vector<BlockBatch> own, overlap;
  for (int t = 0; t < kThreads; ++t) {
    own.push_back(PackedRows(t * kPerThread, (t + 1) * kPerThread, 30000));
    const int next = ((t + 1) % kThreads) * kPerThread;
    overlap.push_back(PackedRows(next + kPerThread / 2, next + kPerThread, 30000));
  }
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Store& s = t % 2 ? *second : *store_;
      for (const BlockBatch* b : {&own[static_cast<size_t>(t)], &overlap[static_cast<size_t>(t)]}) {
        auto out = s.InsertBatch(b->rows, b->blocks);
        if (!out) {
          ++errors;
          ADD_FAILURE() << out.error().ToString();
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(CountAll(*store_), kThreads * kPerThread);
  for (const BlockBatch& b : own) {
    for (size_t i = 0; i < b.rows.size(); ++i) {
      auto got = second->GetMeasurement(b.rows[i].measurement_uid);
      ASSERT_TRUE(got && *got) << b.rows[i].measurement_uid;
      EXPECT_EQ(*(*got)->RawJson(), b.raws[i]);
    }
  }
  auto check = store_->CheckConsistency();
  ASSERT_TRUE(check);
  EXPECT_EQ(*check, "");
}

TEST_P(StoreTest, BlockReferencesAreCheckedAndABadOneStoresNothing) {
  BlockBatch b = PackedRows(0, 3, 1000);
  ASSERT_EQ(b.blocks.size(), 1u);
  auto expect_rejected = [&](std::vector<StoredMeasurement> rows, std::span<const RawBlock> blocks,
                             std::string_view what) {
    auto r = store_->InsertBatch(rows, blocks);
    ASSERT_FALSE(r) << what;
    EXPECT_EQ(r.error().failure, "invalid_argument") << what;
    EXPECT_NE(r.error().message.find("batch row 1"), std::string::npos) << r.error().message;
    EXPECT_EQ(CountAll(*store_), 0) << what;
  };
  auto rows = b.rows;
  rows[1].raw_block = 1;  // no such block in the call
  expect_rejected(rows, b.blocks, "block index");
  rows = b.rows;
  rows[1].raw_offset = b.blocks[0].raw_size - 10;  // runs past the block's end
  expect_rejected(rows, b.blocks, "offset");
  rows = b.rows;
  rows[1].raw_zstd = "x";  // both in a block and in its own frame
  expect_rejected(rows, b.blocks, "both");
  // A row of a block handed to Insert, which takes no blocks.
  auto one = store_->Insert(b.rows[0]);
  ASSERT_FALSE(one);
  EXPECT_EQ(one.error().failure, "invalid_argument");
  EXPECT_EQ(CountAll(*store_), 0);
}

TEST_P(StoreTest, ACorruptBlockIsAnErrorNotGarbage) {
  BlockBatch b = PackedRows(0, 3, 1000);
  ASSERT_TRUE(store_->InsertBatch(b.rows, b.blocks));
  store_.reset();
  // The block's frame cut short, as a damaged disk or a bad restore would leave it.
  RawSql(GetParam(), target_,
         GetParam() == "sqlite" ? "UPDATE raw_blocks SET zstd = substr(zstd, 1, length(zstd) / 2)"
                                : "UPDATE raw_blocks SET zstd = substring(zstd from 1 for length(zstd) / 2)");
  store_ = OpenNew();
  ASSERT_NE(store_, nullptr);
  auto got = store_->GetMeasurement(b.rows[2].measurement_uid);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().failure, "parse_error") << got.error().ToString();
  // And a block that is gone is reported by the consistency check.
  store_.reset();
  RawSql(GetParam(), target_, "DELETE FROM raw_blocks");
  store_ = OpenNew();
  auto check = store_->CheckConsistency();
  ASSERT_TRUE(check);
  EXPECT_NE(check->find("raw bytes"), std::string::npos) << *check;
}

TEST_P(StoreTest, TheRollupMigrationBackfillsWhatIsStored) {
  ASSERT_TRUE(store_->InsertBatch(Rows(60)));
  store_.reset();
  // The store as it was before schema v3: measurements, no rollup (and no blocks, v4).
  RawSql(GetParam(), target_,
         std::string(GetParam() == "sqlite" ? "ALTER TABLE measurements DROP COLUMN raw_block; "
                                              "ALTER TABLE measurements DROP COLUMN raw_offset; "
                                            : "ALTER TABLE measurements DROP COLUMN raw_block, DROP COLUMN raw_offset, "
                                              "ALTER COLUMN raw_zstd SET NOT NULL; DROP SEQUENCE raw_block_ids; ") +
             "DROP TABLE raw_blocks; DROP TABLE measurement_daily; DELETE FROM schema_migrations WHERE version >= 3;");
  store_ = OpenNew();
  ASSERT_NE(store_, nullptr);
  auto v = store_->SchemaVersion();
  ASSERT_TRUE(v) << v.error().ToString();
  EXPECT_GE(*v, 3);
  auto c = store_->CheckConsistency();
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(*c, "");
  MeasurementFilter day_aligned;  // answered from the rollup
  day_aligned.since = kT0 - std::chrono::days(1);
  auto n = store_->CountMeasurements(day_aligned);
  ASSERT_TRUE(n) << n.error().ToString();
  EXPECT_EQ(*n, 60);
  // New rows keep it in step.
  ASSERT_TRUE(store_->Insert(Row(60)));
  auto again = store_->CheckConsistency();
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, "");
  // And a drifted rollup is reported.
  store_.reset();
  RawSql(GetParam(), target_, "UPDATE measurement_daily SET n = n + 1");
  store_ = OpenNew();
  auto drift = store_->CheckConsistency();
  ASSERT_TRUE(drift);
  EXPECT_NE(drift->find("rollup"), std::string::npos) << *drift;
}

// The query indexes of the measurements table, by name (SQLite; "" on PostgreSQL).
std::string QueryIndexes(const std::string& backend, const std::string& target) {
  if (backend != "sqlite") return "";
  return RawScalar(backend, target,
                   "SELECT COALESCE(group_concat(name, ','), '') FROM (SELECT name FROM sqlite_master WHERE type = "
                   "'index' AND tbl_name = 'measurements' AND sql IS NOT NULL ORDER BY name)");
}

constexpr const char* kAllQueryIndexes =
    "measurements_asn_time,measurements_cc_time,measurements_domain_time,measurements_input,measurements_test_time,"
    "measurements_time";

TEST_P(StoreTest, ABulkLoadIntoAnEmptyStoreBuildsItsIndexesAtTheEnd) {
  const bool sqlite = GetParam() == "sqlite";
  EXPECT_EQ(QueryIndexes(GetParam(), target_), sqlite ? kAllQueryIndexes : "");
  auto begun = store_->BeginBulkLoad();
  ASSERT_TRUE(begun) << begun.error().ToString();
  EXPECT_EQ(*begun, sqlite);  // PostgreSQL keeps its indexes
  if (sqlite) {
    EXPECT_EQ(QueryIndexes(GetParam(), target_), "");
  }
  auto rows = Rows(60);
  ASSERT_TRUE(store_->InsertBatch(std::span(rows).first(30)));
  // Queries answer during the load, only without their indexes.
  MeasurementFilter ir;
  ir.probe_cc = "IR";
  auto during = store_->CountMeasurements(ir);
  ASSERT_TRUE(during) << during.error().ToString();
  EXPECT_EQ(*during, 8);  // rows 1, 5, ..., 29
  ASSERT_TRUE(store_->InsertBatch(std::span(rows).subspan(30)));
  ASSERT_TRUE(store_->EndBulkLoad());
  EXPECT_EQ(QueryIndexes(GetParam(), target_), sqlite ? kAllQueryIndexes : "");
  auto c = store_->CheckConsistency();
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(*c, "");
  auto after = store_->CountMeasurements(ir);
  ASSERT_TRUE(after);
  EXPECT_EQ(*after, 15);
  MeasurementFilter input;
  input.input = "https://site2.example/";
  input.limit = 100;
  auto list = store_->ListMeasurements(input);
  ASSERT_TRUE(list) << list.error().ToString();
  EXPECT_EQ(list->size(), 4u);  // i % 3 == 0 and i % 5 == 2: 12, 27, 42, 57
  // A store that holds measurements keeps maintaining its indexes.
  auto again = store_->BeginBulkLoad();
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  EXPECT_EQ(QueryIndexes(GetParam(), target_), sqlite ? kAllQueryIndexes : "");
}

// The collector's group commit moves checkpoints off its commits: once CheckpointIfDue has
// been called, SQLite's commits leave the WAL to it (below the safety net), and it copies
// the WAL into the database file when enough has been committed, also while another
// thread commits. Nothing is lost or stored twice.
TEST_P(StoreTest, CheckpointsRunBesideTheCommits) {
  const bool sqlite = GetParam() == "sqlite";
  auto first = store_->CheckpointIfDue();
  ASSERT_TRUE(first) << first.error().ToString();
  EXPECT_FALSE(*first);  // nothing committed yet (and PostgreSQL has nothing to do)
  const std::string wal = target_ + "-wal";
  constexpr uint64_t kFrameBytes = 4096 + 24;
  auto file_size = [](const std::string& path) {
    std::error_code ec;
    auto n = fs::file_size(path, ec);
    return ec ? uint64_t{0} : static_cast<uint64_t>(n);
  };
  // Small transactions until the WAL holds more than the usual checkpoint's 1000 frames:
  // the commits did not checkpoint it themselves.
  int n = 0;
  for (; n < (sqlite ? 6000 : 200) && (!sqlite || file_size(wal) <= 1100 * kFrameBytes); n += 2) {
    std::vector<StoredMeasurement> two{Row(n), Row(n + 1)};
    ASSERT_TRUE(store_->InsertBatchUnflushed(two));
    ASSERT_TRUE(store_->SyncCommitted());
  }
  if (sqlite) {
    ASSERT_GT(file_size(wal), 1100 * kFrameBytes) << "after " << n << " rows";
    const uint64_t before = file_size(target_);
    auto ran = store_->CheckpointIfDue();
    ASSERT_TRUE(ran) << ran.error().ToString();
    EXPECT_TRUE(*ran);
    EXPECT_GT(file_size(target_), before) << "the checkpoint copied pages into the database file";
    auto again = store_->CheckpointIfDue();
    ASSERT_TRUE(again);
    EXPECT_FALSE(*again) << "nothing new committed since";
  }
  // A checkpointing thread beside a committing one.
  std::atomic<bool> stop{false};
  std::atomic<int> checkpoints{0};
  std::thread checkpointer([&] {
    for (int i = 0; i < 100000 && !stop; ++i) {
      auto r = store_->CheckpointIfDue();
      ASSERT_TRUE(r) << r.error().ToString();
      if (*r) ++checkpoints;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  const int total = n + 1200;
  for (; n < total; n += 2) {
    std::vector<StoredMeasurement> two{Row(n), Row(n + 1)};
    ASSERT_TRUE(store_->InsertBatchUnflushed(two));
    ASSERT_TRUE(store_->SyncCommitted());
  }
  stop = true;
  checkpointer.join();
  if (sqlite) {
    EXPECT_GT(checkpoints.load(), 0);
  }
  EXPECT_EQ(CountAll(*store_), n);
  auto c = store_->CheckConsistency();
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(*c, "");
  store_.reset();  // everything is there after a reopen
  store_ = OpenNew();
  ASSERT_TRUE(store_);
  EXPECT_EQ(CountAll(*store_), n);
}

TEST_P(StoreTest, ABulkLoadStoppedBeforeItsEndIsRepairedWhenTheStoreOpens) {
  auto begun = store_->BeginBulkLoad();
  ASSERT_TRUE(begun) << begun.error().ToString();
  ASSERT_TRUE(store_->InsertBatch(Rows(40)));
  store_.reset();  // as if killed: EndBulkLoad never ran
  if (GetParam() == "sqlite") {
    EXPECT_EQ(QueryIndexes(GetParam(), target_), "");
  }
  store_ = OpenNew();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(QueryIndexes(GetParam(), target_), GetParam() == "sqlite" ? kAllQueryIndexes : "");
  EXPECT_EQ(CountAll(*store_), 40);
  auto c = store_->CheckConsistency();
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(*c, "");
}

TEST_P(StoreTest, SignalsAreUpsertedAndQueriedByEntityAndTime) {
  std::vector<SignalPoint> pts;
  for (int i = 0; i < 6; ++i) {
    pts.push_back({"asn", "AS64500", "bgp", kT0 + std::chrono::minutes(5 * i), 300, 100.0 - i});
    pts.push_back({"asn", "AS64500", "active-probing", kT0 + std::chrono::minutes(5 * i), 300, 7.5});
    pts.push_back({"country", "CM", "bgp", kT0 + std::chrono::minutes(5 * i), 300, 1000});
  }
  ASSERT_TRUE(store_->PutSignals(pts));
  // The same bin again replaces the value.
  std::vector<SignalPoint> again{{"asn", "AS64500", "bgp", kT0, 300, 42.5}};
  ASSERT_TRUE(store_->PutSignals(again));
  auto got = store_->GetSignals({"asn", "AS64500", std::string("bgp"), kT0, kT0 + std::chrono::minutes(15)});
  ASSERT_TRUE(got) << got.error().ToString();
  ASSERT_EQ(got->size(), 3u);
  EXPECT_DOUBLE_EQ((*got)[0].value, 42.5);
  EXPECT_DOUBLE_EQ((*got)[2].value, 98.0);
  EXPECT_EQ((*got)[1].time, kT0 + std::chrono::minutes(5));
  auto entities = store_->ListSignalEntities();
  ASSERT_TRUE(entities);
  ASSERT_EQ(entities->size(), 2u);
  EXPECT_EQ((*entities)[0], (std::pair<std::string, std::string>("asn", "AS64500")));
  EXPECT_EQ((*entities)[1], (std::pair<std::string, std::string>("country", "CM")));
  auto all = store_->GetSignals({"asn", "AS64500", std::nullopt, kT0, kT0 + hours(1)});
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 12u);
  EXPECT_EQ(all->front().datasource, "active-probing");  // ordered by datasource, then time
  // A bad point fails the whole call and stores nothing.
  std::vector<SignalPoint> bad{{"asn", "AS1", "bgp", kT0, 300, 1}, {"planet", "X", "bgp", kT0, 300, 1}};
  auto r = store_->PutSignals(bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().failure, "invalid_argument");
  auto none = store_->GetSignals({"asn", "AS1", std::nullopt, kT0, kT0 + hours(1)});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST_P(StoreTest, WatchCheckinsAndJournalEntries) {
  WatchCheckin c{"key-a", "CM", 30987, "CM-NW", kT0, "online"};
  auto last = store_->RecordCheckin(c);
  ASSERT_TRUE(last) << last.error().ToString();
  EXPECT_EQ(*last, -1);
  auto entry = [](int64_t seq, const std::string& hash) {
    return WatchEntry{"key-a", seq, kT0 + std::chrono::minutes(seq), "state", "offline",
                      fmt::format(R"({{"seq":{}}})", seq), hash, "sig"};
  };
  std::vector<WatchEntry> first{entry(0, "h0"), entry(1, "h1")};
  auto put = store_->PutWatchEntries(first);
  ASSERT_TRUE(put) << put.error().ToString();
  EXPECT_EQ(put->accepted, 2);
  // Re-sending overlaps: duplicates counted, new ones accepted.
  std::vector<WatchEntry> second{entry(1, "h1"), entry(2, "h2")};
  put = store_->PutWatchEntries(second);
  ASSERT_TRUE(put);
  EXPECT_EQ(put->accepted, 1);
  EXPECT_EQ(put->duplicates, 1);
  // A different entry under a stored seq is a conflict and stores nothing of the call.
  std::vector<WatchEntry> forked{entry(3, "h3"), entry(2, "other")};
  put = store_->PutWatchEntries(forked);
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().failure, "conflict");
  auto tail = store_->LastWatchEntry("key-a");
  ASSERT_TRUE(tail);
  ASSERT_TRUE(tail->has_value());
  EXPECT_EQ((*tail)->seq, 2);
  EXPECT_EQ((*tail)->hash, "h2");
  c.time += std::chrono::minutes(10);
  c.state = "online";
  last = store_->RecordCheckin(c);
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, 2);
  auto probes = store_->ListWatchProbes();
  ASSERT_TRUE(probes);
  ASSERT_EQ(probes->size(), 1u);
  EXPECT_EQ((*probes)[0].region, "CM-NW");
  EXPECT_EQ((*probes)[0].first_seen, kT0);
  EXPECT_EQ((*probes)[0].last_seen, kT0 + std::chrono::minutes(10));
  auto checkins = store_->ListCheckins(kT0, kT0 + hours(1));
  ASSERT_TRUE(checkins);
  EXPECT_EQ(checkins->size(), 2u);
  auto listed = store_->ListWatchEntries({std::string("key-a"), kT0, kT0 + hours(1), 100});
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[2].entry, R"({"seq":2})");
}

TEST_P(StoreTest, EventsAndWebhookDeliveriesAreSentOnce) {
  DisruptionEvent e{0, "country", "CM", "regional", kT0, std::nullopt, 0.8, R"({"signals":["bgp"]})", kT0};
  auto id = store_->SaveEvent(e);
  ASSERT_TRUE(id) << id.error().ToString();
  EXPECT_GT(*id, 0);
  DisruptionEvent other{0, "asn", "AS1", "full", kT0 + hours(5), kT0 + hours(6), 1, "{}", kT0};
  ASSERT_TRUE(store_->SaveEvent(other));
  EventFilter open_filter;
  open_filter.open_only = true;
  auto open = store_->ListEvents(open_filter);
  ASSERT_TRUE(open);
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].kind, "regional");
  e.id = *id;
  e.end = kT0 + hours(24 * 93);  // a 93-day event stays one event
  ASSERT_TRUE(store_->SaveEvent(e));
  EventFilter cm;
  cm.entity_type = "country";
  cm.entity_code = "CM";
  auto by_entity = store_->ListEvents(cm);
  ASSERT_TRUE(by_entity);
  ASSERT_EQ(by_entity->size(), 1u);
  EXPECT_EQ(by_entity->front().end, kT0 + hours(24 * 93));
  EventFilter span;
  span.since = kT0 + hours(7);
  span.until = kT0 + hours(8);
  auto window = store_->ListEvents(span);
  ASSERT_TRUE(window);
  ASSERT_EQ(window->size(), 1u);  // the CM event spans it; the AS1 one ended before
  DisruptionEvent missing = e;
  missing.id = 999999;
  auto nf = store_->SaveEvent(missing);
  ASSERT_FALSE(nf);
  EXPECT_EQ(nf.error().failure, "not_found");

  WebhookDelivery d{0, *id, "start", "http://127.0.0.1:9/hook", "{}", 0, kT0, std::nullopt};
  auto q1 = store_->EnqueueDelivery(d);
  ASSERT_TRUE(q1);
  EXPECT_TRUE(*q1);
  auto q2 = store_->EnqueueDelivery(d);  // a second node queueing the same transition
  ASSERT_TRUE(q2);
  EXPECT_FALSE(*q2);
  auto due = store_->PendingDeliveries(kT0, 10);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 1u);
  // Two senders race for it: one wins.
  auto claim1 = store_->ClaimDelivery((*due)[0].id, kT0, kT0 + std::chrono::seconds(60));
  auto claim2 = store_->ClaimDelivery((*due)[0].id, kT0, kT0 + std::chrono::seconds(60));
  ASSERT_TRUE(claim1);
  ASSERT_TRUE(claim2);
  EXPECT_TRUE(*claim1);
  EXPECT_FALSE(*claim2);
  ASSERT_TRUE(store_->RecordDeliveryAttempt((*due)[0].id, false, kT0, kT0 + std::chrono::seconds(30)));
  due = store_->PendingDeliveries(kT0, 10);
  ASSERT_TRUE(due);
  EXPECT_TRUE(due->empty());
  due = store_->PendingDeliveries(kT0 + std::chrono::seconds(30), 10);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].attempts, 1);
  ASSERT_TRUE(store_->RecordDeliveryAttempt((*due)[0].id, true, kT0 + std::chrono::seconds(31), std::nullopt));
  due = store_->PendingDeliveries(kT0 + hours(100), 10);
  ASSERT_TRUE(due);
  EXPECT_TRUE(due->empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

TEST(StoreHelpers, NamesRoundTrip) {
  EXPECT_EQ(ParseAsn("AS30722"), 30722u);
  EXPECT_EQ(ParseAsn("30722"), 30722u);
  EXPECT_FALSE(ParseAsn("AS"));
  EXPECT_FALSE(ParseAsn("AS12x"));
  EXPECT_EQ(ParseAxis("measurement_start_day"), Axis::kMeasurementStartDay);
  EXPECT_FALSE(ParseAxis("nope"));
  EXPECT_EQ(ParseOrderBy("test_start_time"), OrderBy::kMeasurementStartTime);
  EXPECT_EQ(OrderByName(OrderBy::kProbeAsn), "probe_asn");
  EXPECT_EQ(RedactConninfo("postgresql://u:secret@h:5/db"), "postgresql://u:***@h:5/db");
  EXPECT_EQ(RedactConninfo("host=h password=secret dbname=x"), "host=h password=*** dbname=x");
}

TEST(StoreHelpers, UidHasOonisShape) {
  auto t = std::chrono::sys_days(std::chrono::year(2023) / 11 / 28) + hours(17) + std::chrono::minutes(19) +
           std::chrono::microseconds(123456);
  EXPECT_EQ(MakeMeasurementUid(t, "IT", "web_connectivity", std::string(128, 'a')),
            "20231128171900.123456_IT_webconnectivity_aaaaaaaaaaaaaaaa");
}

// FIPS 180-2's test vectors: the idempotency keys and uids of stored measurements depend
// on these digests staying exactly SHA-256, from any thread.
TEST(StoreHelpers, Sha256HexIsSha256) {
  const std::string abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  const std::string empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  EXPECT_EQ(Sha256Hex("abc"), abc);
  EXPECT_EQ(Sha256Hex(""), empty);
  EXPECT_EQ(Sha256Hex("abc"), abc) << "a reused context starts afresh";
  std::string other;
  std::thread([&] { other = Sha256Hex("abc"); }).join();
  EXPECT_EQ(other, abc);
  EXPECT_EQ(ContentKey("abc"), "sha256:" + abc);
}

}  // namespace
}  // namespace vigil::store
