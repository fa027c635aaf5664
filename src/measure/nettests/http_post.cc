#include "measure/nettests/http_post.h"

#include <curl/curl.h>

#include <fstream>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/failure.h"

namespace vigil::measure::nettests {
namespace {

struct Sink {
  std::string* out;
  std::size_t cap;
  bool overflow = false;
};

std::size_t WriteBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::size_t n = size * count;
  if (sink->out->size() + n > sink->cap) {
    sink->overflow = true;
    return 0;  // makes curl fail with CURLE_WRITE_ERROR
  }
  sink->out->append(data, n);
  return n;
}

std::string FailureFromCurl(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT: return std::string(failure::kGenericTimeout);
    case CURLE_COULDNT_CONNECT: return std::string(failure::kConnectionRefused);
    case CURLE_COULDNT_RESOLVE_HOST: return "dns_lookup_error";
    case CURLE_PEER_FAILED_VERIFICATION: return std::string(failure::kSslUnknownAuthority);
    case CURLE_SSL_CONNECT_ERROR: return std::string(failure::kSslFailedHandshake);
    case CURLE_RECV_ERROR: return std::string(failure::kConnectionReset);
    case CURLE_GOT_NOTHING: return std::string(failure::kEof);
    case CURLE_SEND_ERROR: return std::string(failure::kConnectionReset);
    default: return "http_request_failed";
  }
}

}  // namespace

HttpPoster::HttpPoster(std::string extra_ca_file, std::size_t threads)
    : extra_ca_file_(std::move(extra_ca_file)), pool_(threads) {}

HttpPoster::~HttpPoster() { pool_.join(); }

Result<std::unique_ptr<HttpPoster>> HttpPoster::Create(std::string extra_ca_file,
                                                       std::size_t threads) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (!extra_ca_file.empty() && !std::ifstream(extra_ca_file).good()) {
    return Fail(std::string(failure::kIoError), "cannot read CA file " + extra_ca_file);
  }
  return std::unique_ptr<HttpPoster>(
      new HttpPoster(std::move(extra_ca_file), threads == 0 ? 1 : threads));
}

Result<PostResponse> HttpPoster::PostBlocking(const std::string& url, const std::string& body,
                                              const PostOptions& options) {
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return Fail("http_request_failed", "curl_easy_init failed");
  CURL* c = curl.get();
  PostResponse response;
  Sink sink{&response.body, options.max_response_bytes};
  char error_text[CURL_ERROR_SIZE] = {0};
  const std::string content_type = "Content-Type: " + options.content_type;
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(nullptr, curl_slist_free_all);
  headers.reset(curl_slist_append(headers.release(), content_type.c_str()));
  headers.reset(curl_slist_append(headers.release(), "Expect:"));
  for (const auto& h : options.headers) {
    headers.reset(curl_slist_append(headers.release(), h.c_str()));
  }
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_USERAGENT, "vigil");
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  if (!extra_ca_file_.empty()) {
    // CAINFO replaces the default bundle; CAPATH keeps the system store trusted as well.
    curl_easy_setopt(c, CURLOPT_CAINFO, extra_ca_file_.c_str());
    curl_easy_setopt(c, CURLOPT_CAPATH, "/etc/ssl/certs");
  }
  const CURLcode code = curl_easy_perform(c);
  if (sink.overflow) {
    return Fail("response_too_large",
                "response from " + url + " exceeds " + std::to_string(options.max_response_bytes) +
                    " bytes");
  }
  if (code != CURLE_OK) {
    return Fail(FailureFromCurl(code),
                url + ": " + (error_text[0] != 0 ? error_text : curl_easy_strerror(code)));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

boost::asio::awaitable<Result<PostResponse>> HttpPoster::PostOnPool(std::string url,
                                                                    std::string body,
                                                                    PostOptions options) {
  co_return PostBlocking(url, body, options);
}

boost::asio::awaitable<Result<PostResponse>> HttpPoster::Post(std::string url, std::string body,
                                                              PostOptions options) {
  // A coroutine with parameters rather than a lambda with init-captures: g++ 12 destroys
  // init-captured strings of a coroutine lambda twice.
  co_return co_await boost::asio::co_spawn(
      pool_.get_executor(), PostOnPool(std::move(url), std::move(body), std::move(options)),
      boost::asio::use_awaitable);
}

}  // namespace vigil::measure::nettests
