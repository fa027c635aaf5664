// A user of `role` with a fresh API token, straight in the store (what `vigil user add`
// and `vigil token create` do), for server tests that need an authorised caller.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "server/credentials.h"
#include "store/store.h"

namespace vigil::test_support {

// Returns the token (empty on failure, with a test failure recorded); `token_id` gets the
// stored token's id when given.
inline std::string CreateUserWithToken(store::Store& store, store::Seconds now, std::string_view name,
                                       std::string_view role, int64_t* token_id = nullptr) {
  auto user = store.CreateUser(name, "$argon2id$not-used-by-the-server", role, now);
  EXPECT_TRUE(user) << user.error().ToString();
  if (!user) return {};
  std::string token = server::NewApiToken();
  auto t = store.CreateToken(user->id, server::TokenHash(token), role, "test", now, std::nullopt);
  EXPECT_TRUE(t) << t.error().ToString();
  if (!t) return {};
  if (token_id != nullptr) *token_id = t->id;
  return token;
}

}  // namespace vigil::test_support
