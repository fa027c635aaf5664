// Pinger: asks one IPv4 address whether it is there, by one probe.
//
//   IcmpPinger  ICMP echo over a raw socket (needs CAP_NET_RAW); replies are matched to probes
//               by identifier, sequence and source address.
//   TcpPinger   a TCP connect to one port, needing no privilege: a SYN-ACK (connected) or a
//               RST (connection refused) means the address is there; a timeout or an ICMP
//               unreachable means no answer.
//
// A Pinger does not limit its rate: ProbeSender (probe_sender.h) does, for all of them.
//
// Thread-safety: a Pinger lives on one io_context run by one thread; Probe() may be awaited by
// many coroutines at once on it. Close() before the io_context is destroyed.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/icmp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/clock.h"
#include "core/result.h"

namespace vigil::prober {

class Pinger {
 public:
  virtual ~Pinger() = default;
  // True when `address` (host order) answered within `timeout`. Never throws; a probe that
  // cannot be sent (no route) is a probe without answer.
  virtual boost::asio::awaitable<bool> Probe(uint32_t address,
                                             std::chrono::milliseconds timeout) = 0;
  // Stops background work (the ICMP receiver); pending probes end without answer.
  virtual void Close() {}
  // "icmp" or "tcp:PORT".
  virtual std::string method() const = 0;
};

class IcmpPinger final : public Pinger {
 public:
  // Opens the raw socket and starts its receiver. "permission_denied" without CAP_NET_RAW.
  static Result<std::unique_ptr<IcmpPinger>> Create(boost::asio::any_io_executor executor);
  ~IcmpPinger() override;

  boost::asio::awaitable<bool> Probe(uint32_t address, std::chrono::milliseconds timeout) override;
  void Close() override;
  std::string method() const override { return "icmp"; }

 private:
  struct Pending {
    uint32_t address;
    boost::asio::steady_timer* timer;
    bool answered;
  };
  IcmpPinger(boost::asio::ip::icmp::socket socket, uint16_t identifier);
  boost::asio::awaitable<void> Receive();

  boost::asio::ip::icmp::socket socket_;
  uint16_t identifier_;
  uint16_t next_sequence_ = 0;
  std::unordered_map<uint16_t, Pending*> pending_;
  bool closed_ = false;
};

class TcpPinger final : public Pinger {
 public:
  TcpPinger(const Clock& clock, uint16_t port) : clock_(clock), port_(port) {}
  boost::asio::awaitable<bool> Probe(uint32_t address, std::chrono::milliseconds timeout) override;
  std::string method() const override { return "tcp:" + std::to_string(port_); }

 private:
  const Clock& clock_;
  uint16_t port_;
};

}  // namespace vigil::prober
