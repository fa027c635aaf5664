#include "net/http_response_parser.h"

#include <string>

#include <gtest/gtest.h>

namespace vigil::net::internal {
namespace {

TEST(HttpResponseParser, KeepsHeadersInOrderWithDuplicatesWhateverTheReadSize) {
  const std::string wire =
      "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nContent-Length: 5\r\nSet-Cookie: b=2\r\n\r\nhello";
  for (std::size_t chunk : {1u, 3u, 7u, 4096u}) {
    auto r = ParseHttpResponse(wire, 1024, 8192, chunk);
    EXPECT_FALSE(r.failure) << chunk;
    EXPECT_EQ(r.code, 200);
    ASSERT_EQ(r.headers.size(), 3u);
    EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>("Set-Cookie", "a=1")));
    EXPECT_EQ(r.headers[2], (std::pair<std::string, std::string>("Set-Cookie", "b=2")));
    EXPECT_EQ(std::string(r.body.begin(), r.body.end()), "hello");
  }
}

TEST(HttpResponseParser, CapsTheBodyAndSaysSo) {
  auto r = ParseHttpResponse("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x'), 10, 8192);
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.body.size(), 10u);
  EXPECT_FALSE(r.failure);
}

TEST(HttpResponseParser, RecordsGarbageAndCutResponsesAsOoniFailures) {
  auto garbage = ParseHttpResponse(std::string("\x16\x03\x01\x00\xa5 not http", 15), 1024, 8192);
  EXPECT_EQ(garbage.failure, "http_request_failed");
  EXPECT_FALSE(garbage.header_done);
  auto cut = ParseHttpResponse("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort", 1024, 8192);
  EXPECT_EQ(cut.failure, "eof_error");
  EXPECT_TRUE(cut.header_done);
  auto endless = ParseHttpResponse("HTTP/1.1 200 OK\r\nX: " + std::string(20000, 'a'), 1024, 8192);
  EXPECT_EQ(endless.failure, "http_request_failed");  // header over its limit
  auto eof_body = ParseHttpResponse("HTTP/1.0 200 OK\r\n\r\nuntil the end", 1024, 8192);
  EXPECT_FALSE(eof_body.failure);  // a body delimited by the end of the stream is complete
  EXPECT_EQ(std::string(eof_body.body.begin(), eof_body.body.end()), "until the end");
}

}  // namespace
}  // namespace vigil::net::internal
