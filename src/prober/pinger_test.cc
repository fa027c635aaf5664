#include "prober/pinger.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>

namespace vigil::prober {
namespace {

namespace asio = boost::asio;
constexpr uint32_t kLoopback = 0x7f000001;

// Probes each address once, all at the same time; the answers in order.
std::vector<bool> ProbeAll(asio::io_context& io, Pinger& pinger, std::vector<uint32_t> addresses) {
  std::vector<bool> answers(addresses.size(), false);
  std::size_t left = addresses.size();
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    asio::co_spawn(io, [&, i]() -> asio::awaitable<void> {
      answers[i] = co_await pinger.Probe(addresses[i], std::chrono::milliseconds(2000));
      if (--left == 0) pinger.Close();
    }, asio::detached);
  }
  io.run();
  return answers;
}

TEST(IcmpPinger, LoopbackAnswersEveryConcurrentProbe) {
  asio::io_context io;
  auto pinger = IcmpPinger::Create(io.get_executor());
  if (!pinger) GTEST_SKIP() << pinger.error().ToString();
  // 127.0.0.0/8 is all loopback: distinct addresses check that replies are matched by source.
  std::vector<uint32_t> addresses;
  for (uint32_t i = 1; i <= 40; ++i) addresses.push_back(kLoopback + i);
  auto answers = ProbeAll(io, **pinger, addresses);
  for (std::size_t i = 0; i < answers.size(); ++i) EXPECT_TRUE(answers[i]) << i;
  EXPECT_EQ((*pinger)->method(), "icmp");
}

TEST(TcpPinger, ConnectedAndRefusedBothMeanTheAddressIsThere) {
  asio::io_context io;
  asio::ip::tcp::acceptor listening(io, {asio::ip::address_v4::loopback(), 0});
  asio::ip::tcp::acceptor closed(io, {asio::ip::address_v4::loopback(), 0});
  const auto closed_port = closed.local_endpoint().port();
  closed.close();
  TcpPinger open_port(RealClock::Instance(), listening.local_endpoint().port());
  TcpPinger refused(RealClock::Instance(), closed_port);
  EXPECT_EQ(ProbeAll(io, open_port, {kLoopback}), std::vector<bool>{true});
  io.restart();
  EXPECT_EQ(ProbeAll(io, refused, {kLoopback}), std::vector<bool>{true});
  EXPECT_EQ(refused.method(), "tcp:" + std::to_string(closed_port));
}

}  // namespace
}  // namespace vigil::prober
