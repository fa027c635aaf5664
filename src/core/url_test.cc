#include "core/url.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(Url, SplitsCommonShapes) {
  auto u = ParseUrl("HTTPS://Www.Example.com/a?b#c");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "www.example.com");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->path, "/a?b#c");
  EXPECT_FALSE(u->HostIsIpLiteral());

  u = ParseUrl("http://www.example.com:444");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->port, 444);
  EXPECT_EQ(u->path, "/");

  u = ParseUrl("https://[2001:4860::8888]:8443/x");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "2001:4860::8888");
  EXPECT_EQ(u->port, 8443);
  EXPECT_TRUE(u->HostIsIpLiteral());

  u = ParseUrl("https://8.8.4.4/dns-query?dns=q80B");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->HostIsIpLiteral());
  EXPECT_EQ(u->port, 443);
}

TEST(Url, RejectsMalformedInput) {
  for (const char* bad : {"", "example.com", "://x", "http://", "http://[::1", "http://h:0/",
                          "http://h:99999/", "http://h:8a/"}) {
    EXPECT_FALSE(ParseUrl(bad)) << bad;
  }
}

}  // namespace
}  // namespace vigil
