#include "net/tcp_connect.h"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "net/test_servers.h"

namespace vigil::net {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using testing::RunTask;

const asio::ip::address kLoopback = asio::ip::make_address("127.0.0.1");

TEST(TcpConnectTest, ConnectsToAListener) {
  asio::io_context io;
  RealClock clock;
  asio::ip::tcp::acceptor acceptor(io, {kLoopback, 0});
  auto connection = RunTask(io, DialTcp(acceptor.local_endpoint(), 5s, Timeline(clock)));
  EXPECT_TRUE(connection.result.success);
  EXPECT_EQ(connection.result.failure, std::nullopt);
  EXPECT_EQ(connection.result.ip, "127.0.0.1");
  EXPECT_EQ(connection.result.port, acceptor.local_endpoint().port());
  EXPECT_TRUE(connection.socket.has_value());
  EXPECT_LE(connection.result.t0, connection.result.t);
}

TEST(TcpConnectTest, ClosedPortIsConnectionRefused) {
  asio::io_context io;
  RealClock clock;
  asio::ip::tcp::endpoint closed;
  {
    asio::ip::tcp::acceptor acceptor(io, {kLoopback, 0});
    closed = acceptor.local_endpoint();
  }
  auto connection = RunTask(io, DialTcp(closed, 5s, Timeline(clock)));
  EXPECT_FALSE(connection.result.success);
  EXPECT_EQ(connection.result.failure, "connection_refused");
  EXPECT_FALSE(connection.socket.has_value());
}

TEST(TcpConnectTest, FullAcceptQueueTimesOut) {
  // A listener that never accepts, with its queue filled, drops further SYNs.
  asio::io_context io;
  RealClock clock;
  asio::ip::tcp::acceptor acceptor(io);
  acceptor.open(asio::ip::tcp::v4());
  acceptor.bind({kLoopback, 0});
  acceptor.listen(0);
  std::vector<asio::ip::tcp::socket> fillers;
  bool timed_out = false;
  for (int i = 0; i < 8 && !timed_out; ++i) {
    auto connection = RunTask(io, DialTcp(acceptor.local_endpoint(), 300ms, Timeline(clock)));
    if (connection.socket) fillers.push_back(std::move(*connection.socket));
    timed_out = connection.result.failure == "generic_timeout_error";
  }
  EXPECT_TRUE(timed_out);
}

}  // namespace
}  // namespace vigil::net
