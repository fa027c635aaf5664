#include "prober/pinger.h"

#include <unistd.h>

#include <array>
#include <random>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/failure.h"
#include "net/tcp_connect.h"
#include "prober/icmp_packet.h"

namespace vigil::prober {

namespace asio = boost::asio;
namespace {
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
}  // namespace

Result<std::unique_ptr<IcmpPinger>> IcmpPinger::Create(asio::any_io_executor executor) {
  asio::ip::icmp::socket socket(executor);
  boost::system::error_code ec;
  socket.open(asio::ip::icmp::v4(), ec);
  if (ec) {
    if (ec == asio::error::access_denied || ec.value() == EPERM) {
      return Fail("permission_denied",
                  "ICMP probing needs a raw socket (root or CAP_NET_RAW); use --method tcp");
    }
    return Fail(std::string(failure::kIoError), "cannot open a raw ICMP socket: " + ec.message());
  }
  // Other processes' echo replies reach every raw socket too: a random identifier tells ours.
  std::random_device rd;
  const auto identifier = static_cast<uint16_t>((rd() ^ static_cast<unsigned>(getpid())) & 0xffff);
  std::unique_ptr<IcmpPinger> pinger(new IcmpPinger(std::move(socket), identifier));
  asio::co_spawn(executor, pinger->Receive(), asio::detached);
  return pinger;
}

IcmpPinger::IcmpPinger(asio::ip::icmp::socket socket, uint16_t identifier)
    : socket_(std::move(socket)), identifier_(identifier) {}

IcmpPinger::~IcmpPinger() { Close(); }

void IcmpPinger::Close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  socket_.close(ignored);
  for (auto& [seq, pending] : pending_) pending->timer->cancel();
}

asio::awaitable<void> IcmpPinger::Receive() {
  std::array<uint8_t, 2048> buf;
  while (!closed_) {
    auto [ec, n] = co_await socket_.async_receive(asio::buffer(buf), kNoThrow);
    if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor || closed_) break;
    if (ec) continue;
    auto reply = ParseEchoReply(std::span<const uint8_t>(buf.data(), n));
    if (!reply || reply->identifier != identifier_) continue;
    auto it = pending_.find(reply->sequence);
    if (it == pending_.end() || it->second->address != reply->source) continue;
    it->second->answered = true;
    it->second->timer->cancel();
  }
}

asio::awaitable<bool> IcmpPinger::Probe(uint32_t address, std::chrono::milliseconds timeout) {
  if (closed_) co_return false;
  uint16_t sequence = next_sequence_++;
  // Skip sequence numbers still in flight (only possible with 65536 probes outstanding).
  for (int i = 0; i < 65536 && pending_.count(sequence); ++i) sequence = next_sequence_++;
  if (pending_.count(sequence)) co_return false;
  asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
  Pending pending{address, &timer, false};
  pending_.emplace(sequence, &pending);
  const auto packet = BuildEchoRequest(identifier_, sequence);
  asio::ip::icmp::endpoint to(asio::ip::address_v4(address), 0);
  auto [send_ec, sent] = co_await socket_.async_send_to(asio::buffer(packet), to, kNoThrow);
  if (!send_ec && !pending.answered && !closed_) co_await timer.async_wait(kNoThrow);
  pending_.erase(sequence);
  co_return pending.answered;
}

asio::awaitable<bool> TcpPinger::Probe(uint32_t address, std::chrono::milliseconds timeout) {
  asio::ip::tcp::endpoint to(asio::ip::address_v4(address), port_);
  auto connection = co_await net::DialTcp(to, timeout, net::Timeline(clock_));
  co_return connection.result.success ||
      connection.result.failure == std::string(failure::kConnectionRefused);
}

}  // namespace vigil::prober
