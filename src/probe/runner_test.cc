#include "probe/runner.h"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/test_servers.h"

namespace vigil::probe {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

TEST(Runner, NeverRunsMoreThanTwoItemsPerHostAndKeepsOtherHostsBusy) {
  asio::io_context io;
  Runner runner({16, 2});
  std::vector<RunItem> items;
  for (int i = 0; i < 20; ++i) {
    const std::string url = "http://same.example/" + std::to_string(i);
    items.push_back({i, "web_connectivity", url, HostKey("web_connectivity", url)});
  }
  for (int i = 0; i < 10; ++i) {
    const std::string url = "http://host" + std::to_string(i) + ".example/";
    items.push_back({100 + i, "web_connectivity", url, HostKey("web_connectivity", url)});
  }
  std::map<std::string, int> now;
  int max_same = 0, max_total = 0, total = 0;
  std::vector<int64_t> seen;
  auto measure = [&](const RunItem& item) -> asio::awaitable<Result<bool>> {
    max_same = std::max(max_same, ++now[item.host_key]);
    max_total = std::max(max_total, ++total);
    asio::steady_timer t(co_await asio::this_coro::executor, 5ms);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    --now[item.host_key];
    --total;
    seen.push_back(item.item_id);
    co_return false;
  };
  auto ran = net::testing::RunTask(io, runner.Run(items, measure));
  ASSERT_TRUE(ran.has_value());
  EXPECT_EQ(*ran, 30u);
  EXPECT_EQ(seen.size(), 30u);
  EXPECT_EQ(max_same, 2);
  EXPECT_EQ(runner.limiter().max_seen_per_host(), 2u);
  EXPECT_GT(max_total, 2);  // other hosts ran alongside
  EXPECT_LE(max_total, 16);
}

TEST(Runner, StopsStartingItemsAfterAnError) {
  asio::io_context io;
  Runner runner({1, 2});
  std::vector<RunItem> items;
  for (int i = 0; i < 5; ++i) items.push_back({i, "t", "", "t"});
  int calls = 0;
  auto measure = [&](const RunItem&) -> asio::awaitable<Result<bool>> {
    ++calls;
    co_return Fail("io_error", "disk full");
  };
  auto ran = net::testing::RunTask(io, runner.Run(items, measure));
  ASSERT_FALSE(ran.has_value());
  EXPECT_EQ(ran.error().failure, "io_error");
  EXPECT_EQ(calls, 1);
}

TEST(HostKey, UsesTheUrlHostOrTheTestName) {
  EXPECT_EQ(HostKey("web_connectivity", "https://Example.ORG:8443/x"), "example.org");
  EXPECT_EQ(HostKey("telegram", ""), "telegram");
}

}  // namespace
}  // namespace vigil::probe
