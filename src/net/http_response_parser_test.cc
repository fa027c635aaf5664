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

TEST(HttpResponseParser, ChunkedBodiesArriveWhole1ByteAtATime) {
  // Chunked bodies whatever the read size. (The input with which Boost 1.81's parser
  // asserted on a resumed last chunk, boostorg/beast#2861, is in the fuzz corpus:
  // tests/fuzz/corpus/http_response/beast-last-chunk-1-byte-reads, replayed by ctest.)
  const std::string wire =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n";
  for (std::size_t chunk : {1u, 2u, 3u, 4u, 5u, 4096u}) {
    auto r = ParseHttpResponse(wire, 1024, 8192, chunk);
    EXPECT_FALSE(r.failure) << chunk << ": " << r.failure.value_or("");
    EXPECT_EQ(std::string(r.body.begin(), r.body.end()), "hello world") << chunk;
  }
  // An empty body: the last chunk comes first (no CRLF of a previous chunk before it).
  for (std::size_t chunk : {1u, 2u, 4096u}) {
    auto empty = ParseHttpResponse("HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 1024,
                                   8192, chunk);
    EXPECT_FALSE(empty.failure) << chunk;
    EXPECT_EQ(empty.code, 204);
    EXPECT_TRUE(empty.body.empty());
  }
  // With a trailer, and cut inside the last chunk.
  auto trailer = ParseHttpResponse(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T: 1\r\n\r\n", 1024, 8192, 1);
  EXPECT_FALSE(trailer.failure);
  EXPECT_EQ(std::string(trailer.body.begin(), trailer.body.end()), "ok");
  auto cut = ParseHttpResponse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r", 1024,
                               8192, 1);
  EXPECT_EQ(cut.failure, "eof_error");
}

}  // namespace
}  // namespace vigil::net::internal
