#include "server/credential_cache.h"

#include <gtest/gtest.h>

namespace vigil::server {
namespace {

CredentialCache::Credentials Token(int64_t id, bool revoked = false) {
  store::ApiToken t;
  t.id = id;
  t.role = "probe";
  if (revoked) t.revoked_at = store::Seconds(std::chrono::seconds(1));
  store::User u;
  u.id = 100 + id;
  u.username = "u" + std::to_string(id);
  return {t, u};
}

TEST(CredentialCacheTest, KeepsWhatItWasGivenForItsTtlOnly) {
  FakeClock clock;
  CredentialCache cache(clock, std::chrono::milliseconds(1000));
  EXPECT_FALSE(cache.Find("h1"));
  cache.Put("h1", Token(1));
  clock.Advance(std::chrono::milliseconds(999));
  auto found = cache.Find("h1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->first.id, 1);
  EXPECT_EQ(found->second.username, "u1");
  EXPECT_FALSE(cache.Find("h2"));
  clock.Advance(std::chrono::milliseconds(1));
  EXPECT_FALSE(cache.Find("h1")) << "an entry as old as the ttl is read from the store again";
}

TEST(CredentialCacheTest, ANewerLookupReplacesTheOldOne) {
  FakeClock clock;
  CredentialCache cache(clock, std::chrono::milliseconds(1000));
  cache.Put("h1", Token(1));
  clock.Advance(std::chrono::milliseconds(500));
  cache.Put("h1", Token(1, /*revoked=*/true));
  clock.Advance(std::chrono::milliseconds(800));
  auto found = cache.Find("h1");
  ASSERT_TRUE(found);
  EXPECT_TRUE(found->first.revoked_at);
}

TEST(CredentialCacheTest, AZeroTtlKeepsNothing) {
  FakeClock clock;
  CredentialCache cache(clock, std::chrono::milliseconds(0));
  cache.Put("h1", Token(1));
  EXPECT_FALSE(cache.Find("h1"));
}

TEST(CredentialCacheTest, StaysBounded) {
  FakeClock clock;
  CredentialCache cache(clock, std::chrono::milliseconds(1000), 3);
  for (int i = 0; i < 3; ++i) cache.Put("h" + std::to_string(i), Token(i));
  EXPECT_TRUE(cache.Find("h0"));
  cache.Put("h3", Token(3));  // full: starts again with this one
  EXPECT_FALSE(cache.Find("h0"));
  EXPECT_TRUE(cache.Find("h3"));
}

}  // namespace
}  // namespace vigil::server
