#include "net/system_resolver.h"

#include <netdb.h>
#include <sys/socket.h>

#include <cerrno>
#include <memory>
#include <set>

#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/post.hpp>

#include "core/failure.h"
#include "net/failure_map.h"
#include "net/io_util.h"

namespace vigil::net {
namespace {

namespace asio = boost::asio;
using asio::experimental::awaitable_operators::operator||;

constexpr std::size_t kMaxAddresses = 64;

struct Outcome {
  int rc = 0;
  int saved_errno = 0;
  std::vector<DnsAnswer> answers;
};

Outcome GetAddrInfo(const std::string& hostname) {
  Outcome out;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* list = nullptr;
  out.rc = getaddrinfo(hostname.c_str(), nullptr, &hints, &list);
  out.saved_errno = errno;
  if (out.rc != 0) return out;
  std::set<std::string> seen;
  for (addrinfo* ai = list; ai != nullptr && out.answers.size() < kMaxAddresses;
       ai = ai->ai_next) {
    char text[NI_MAXHOST] = {};
    if (getnameinfo(ai->ai_addr, ai->ai_addrlen, text, sizeof(text), nullptr, 0,
                    NI_NUMERICHOST) != 0 ||
        !seen.insert(text).second) {
      continue;
    }
    DnsAnswer answer;
    if (ai->ai_family == AF_INET6) {
      answer.answer_type = "AAAA";
      answer.ipv6 = text;
    } else {
      answer.answer_type = "A";
      answer.ipv4 = text;
    }
    out.answers.push_back(std::move(answer));
  }
  freeaddrinfo(list);
  return out;
}

std::optional<std::string> FailureFor(const Outcome& outcome) {
  switch (outcome.rc) {
    case 0:
      if (outcome.answers.empty()) return std::string(failure::kDnsNoAnswer);
      return std::nullopt;
    case EAI_NONAME:
      return std::string(failure::kDnsNxdomain);
#ifdef EAI_NODATA
    case EAI_NODATA:
      return std::string(failure::kDnsNoAnswer);
#endif
    case EAI_AGAIN:
      return std::string(kDnsTemporaryFailure);
    case EAI_FAIL:
      return std::string(kDnsNonRecoverableFailure);
    case EAI_SYSTEM:
      return FailureFromErrno(outcome.saved_errno);
    default:
      return UnknownFailure(gai_strerror(outcome.rc));
  }
}

}  // namespace

SystemResolver::SystemResolver(std::size_t threads) : pool_(threads) {}

SystemResolver::~SystemResolver() { pool_.join(); }

asio::awaitable<DnsQueryResult> SystemResolver::Lookup(std::string hostname,
                                                       std::chrono::milliseconds timeout,
                                                       Timeline timeline) {
  DnsQueryResult result;
  result.engine = "system";
  result.hostname = hostname;
  result.query_type = "ANY";
  result.t0 = timeline.Now();

  auto executor = co_await asio::this_coro::executor;
  using Channel = asio::experimental::concurrent_channel<void(boost::system::error_code, Outcome)>;
  // Shared with the pool thread, which may finish after this coroutine gave up.
  auto channel = std::make_shared<Channel>(executor, 1);
  asio::post(pool_, [channel, hostname] {
    channel->try_send(boost::system::error_code(), GetAddrInfo(hostname));
  });
  asio::steady_timer timer(executor, timeout);
  auto done = co_await (channel->async_receive(internal::kNoThrow) ||
                        timer.async_wait(internal::kNoThrow));
  result.t = timeline.Now();
  if (done.index() == 1) {
    result.failure = std::string(failure::kGenericTimeout);
    co_return result;
  }
  auto [ec, outcome] = std::move(std::get<0>(done));
  if (ec) {
    result.failure = FailureFromErrorCode(ec);
    co_return result;
  }
  result.failure = FailureFor(outcome);
  result.answers = std::move(outcome.answers);
  co_return result;
}

}  // namespace vigil::net
