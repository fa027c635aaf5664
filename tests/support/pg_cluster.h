// PgCluster: a private PostgreSQL server for tests and benchmarks. Start() runs initdb
// into a fresh temporary folder (as the `postgres` user when running as root, since
// initdb refuses root), starts the server on 127.0.0.1 with a free port and a socket in
// that folder, and the destructor stops it and deletes the folder. When the environment
// variable VIGIL_TEST_PG holds a postgresql:// URL (scripts/with-postgres sets it), that
// server is used instead and nothing is started.
//
// Thread-safety: create and destroy from one thread; CreateDatabase may be called from
// any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace vigil::testing {

class PgCluster {
 public:
  // "not_found" (with what was looked for) when the PostgreSQL server binaries are
  // missing: tests then GTEST_SKIP with that message. Binaries are looked up in
  // $VIGIL_PG_BIN, then /usr/lib/postgresql/{17,16,15}/bin.
  static Result<std::unique_ptr<PgCluster>> Start();
  ~PgCluster();

  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  // Creates database `name` and returns its URL.
  Result<std::string> CreateDatabase(std::string_view name);
  // URL of the maintenance database.
  std::string Url(std::string_view database = "postgres") const;

 private:
  PgCluster() = default;
  std::string bin_;   // empty when using $VIGIL_TEST_PG
  std::string dir_;   // data folder (owned)
  std::string base_url_;  // postgresql://user@host:port
  std::string default_db_ = "postgres";
  bool as_postgres_user_ = false;
};

}  // namespace vigil::testing
