#include "net/tcp_connect.h"

#include "core/failure.h"
#include "net/failure_map.h"
#include "net/io_util.h"

namespace vigil::net {

namespace asio = boost::asio;
using asio::experimental::awaitable_operators::operator||;

asio::awaitable<TcpConnection> DialTcp(asio::ip::tcp::endpoint endpoint,
                                       std::chrono::milliseconds timeout, Timeline timeline) {
  TcpConnection out;
  out.result.ip = endpoint.address().to_string();
  out.result.port = endpoint.port();
  out.result.t0 = timeline.Now();
  asio::ip::tcp::socket socket(co_await asio::this_coro::executor);
  const auto deadline = internal::SteadyNow() + timeout;
  auto connected = co_await (socket.async_connect(endpoint, internal::kNoThrow) ||
                             internal::CloseAt(deadline, socket));
  out.result.t = timeline.Now();
  if (connected.index() == 1) {
    out.result.failure = std::string(failure::kGenericTimeout);
    co_return out;
  }
  if (auto [ec] = std::get<0>(connected); ec) {
    out.result.failure = FailureFromErrorCode(ec);
    co_return out;
  }
  out.result.success = true;
  out.socket.emplace(std::move(socket));
  co_return out;
}

}  // namespace vigil::net
