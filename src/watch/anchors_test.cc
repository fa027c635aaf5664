#include "watch/anchors.h"

#include <gtest/gtest.h>

namespace vigil::watch {
namespace {

TEST(AnchorsTest, GatewayFromProcNetRoute) {
  const char* table =
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
      "eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
      "eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n";
  EXPECT_EQ(GatewayFromRouteTable(table), "192.168.1.1");
  EXPECT_FALSE(GatewayFromRouteTable("Iface\tDestination\tGateway\n"));
}

TEST(AnchorsTest, NameserverFromResolvConf) {
  EXPECT_EQ(NameserverFromResolvConf("# comment\nsearch lan\nnameserver 10.0.0.1\n"
                                     "nameserver 10.0.0.2\n"),
            "10.0.0.1");
  EXPECT_FALSE(NameserverFromResolvConf("search lan\n"));
}

TEST(AnchorsTest, DefaultsCoverTheFourPlatformsAndThePublicResolver) {
  auto a = DefaultAnchors("192.0.2.53:53");
  EXPECT_EQ(a.public_resolver, "192.0.2.53:53");
  for (const char* p : {"whatsapp", "telegram", "signal", "facebook"}) {
    ASSERT_TRUE(a.platforms.count(p)) << p;
    EXPECT_FALSE(a.platforms[p].empty()) << p;
  }
  EXPECT_EQ(a.platforms["whatsapp"][0].host, "web.whatsapp.com");
  EXPECT_FALSE(a.platforms["telegram"][1].tls);
  EXPECT_FALSE(a.sites.empty());
  EXPECT_FALSE(a.download_url.empty());
}

TEST(AnchorsTest, FileReplacesWhatItNames) {
  auto a = ParseAnchors(R"({"gateway":"127.0.0.1:7","system_resolver":"127.0.0.1:5353",
      "public_resolver":null,"dns_names":["a.test"],
      "sites":[{"host":"a.test","address":"127.0.0.1:8443"}],
      "platforms":{"telegram":[{"address":"127.0.0.1:9","tls":false}]},
      "download_url":null,"timeout_ms":200})",
                        DefaultAnchors());
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_EQ(a->gateway, "127.0.0.1:7");
  EXPECT_EQ(a->public_resolver, "");
  EXPECT_EQ(a->sites.size(), 1u);
  EXPECT_EQ(a->sites[0].port, 8443);
  EXPECT_EQ(a->sites[0].Label(), "a.test@127.0.0.1:8443");
  EXPECT_EQ(a->platforms.size(), 1u);
  EXPECT_EQ(a->download_url, "");
  EXPECT_EQ(a->timeout, std::chrono::milliseconds(200));
}

TEST(AnchorsTest, MistakesAreReported) {
  EXPECT_FALSE(ParseAnchors("[]", {}));
  EXPECT_FALSE(ParseAnchors(R"({"gatway":"1.2.3.4:53"})", {}));
  EXPECT_FALSE(ParseAnchors(R"({"gateway":"nonsense"})", {}));
  EXPECT_FALSE(ParseAnchors(R"({"sites":[{"port":443}]})", {}));
  EXPECT_FALSE(ParseAnchors(R"({"timeout_ms":0})", {}));
}

}  // namespace
}  // namespace vigil::watch
