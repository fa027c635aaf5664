// The "system" DNS engine: getaddrinfo, as OONI's system resolver, run on a private thread pool
// so that a slow lookup never blocks an io thread. A lookup that outlives its timeout is
// recorded as generic_timeout_error; its thread finishes in the background.
//
// Thread-safety: Lookup may be called concurrently from any executor. The SystemResolver must
// outlive every Lookup it started; its destructor waits for running getaddrinfo calls.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "net/observations.h"

namespace vigil::net {

inline constexpr std::string_view kDnsTemporaryFailure = "dns_temporary_failure";
inline constexpr std::string_view kDnsNonRecoverableFailure = "dns_non_recoverable_failure";

class SystemResolver {
 public:
  explicit SystemResolver(std::size_t threads = 4);
  ~SystemResolver();
  SystemResolver(const SystemResolver&) = delete;
  SystemResolver& operator=(const SystemResolver&) = delete;

  // Resolves `hostname` to A and AAAA answers (query_type "ANY", engine "system"). Failures:
  // dns_nxdomain_error, dns_no_answer, dns_temporary_failure, dns_non_recoverable_failure,
  // generic_timeout_error, ...
  boost::asio::awaitable<DnsQueryResult> Lookup(std::string hostname,
                                                std::chrono::milliseconds timeout,
                                                Timeline timeline);

 private:
  boost::asio::thread_pool pool_;
};

}  // namespace vigil::net
