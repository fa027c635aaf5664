#include "tests/support/pg_cluster.h"

#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

namespace vigil::testing {
namespace {

namespace fs = std::filesystem;

Result<int> FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Fail("io_error", "socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return Fail("io_error", "cannot find a free port on 127.0.0.1");
  }
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

Result<void> Run(const std::string& command) {
  int rc = std::system(command.c_str());
  if (rc != 0) return Fail("io_error", fmt::format("`{}` failed (status {})", command, rc));
  return {};
}

std::string Tail(const std::string& path) {
  std::ifstream in(path);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
}

}  // namespace

Result<std::unique_ptr<PgCluster>> PgCluster::Start() {
  std::unique_ptr<PgCluster> c(new PgCluster());
  if (const char* url = std::getenv("VIGIL_TEST_PG"); url && *url) {
    std::string u(url);
    size_t scheme = u.find("://");
    size_t slash = scheme == std::string::npos ? std::string::npos : u.find('/', scheme + 3);
    if (slash == std::string::npos) {
      c->base_url_ = u;
    } else {
      c->base_url_ = u.substr(0, slash);
      std::string db = u.substr(slash + 1);
      db = db.substr(0, db.find('?'));
      if (!db.empty()) c->default_db_ = db;
    }
    return c;
  }
  std::vector<std::string> candidates;
  if (const char* b = std::getenv("VIGIL_PG_BIN"); b && *b) candidates.emplace_back(b);
  for (const char* v : {"17", "16", "15"}) candidates.push_back(fmt::format("/usr/lib/postgresql/{}/bin", v));
  for (const auto& dir : candidates) {
    if (fs::exists(fs::path(dir) / "initdb") && fs::exists(fs::path(dir) / "pg_ctl")) {
      c->bin_ = dir;
      break;
    }
  }
  if (c->bin_.empty()) {
    return Fail("not_found",
                "PostgreSQL server binaries (initdb, pg_ctl) not found in $VIGIL_PG_BIN or /usr/lib/postgresql/*/bin; "
                "install postgresql-15 (scripts/setup) or set VIGIL_TEST_PG");
  }
  std::string tmpl = (fs::temp_directory_path() / "vigil-pg-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) return Fail("io_error", "mkdtemp failed");
  c->dir_ = tmpl;
  std::string prefix;
  if (geteuid() == 0) {
    passwd* pw = getpwnam("postgres");
    if (!pw) return Fail("not_found", "running as root and there is no `postgres` user to run initdb as");
    if (chown(c->dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) return Fail("io_error", "cannot chown " + c->dir_);
    c->as_postgres_user_ = true;
    prefix = "runuser -u postgres -- ";
  }
  auto port = FreePort();
  if (!port) return tl::unexpected(port.error());
  std::string data = c->dir_ + "/data";
  std::string log = c->dir_ + "/server.log";
  if (auto r = Run(fmt::format("{}{}/initdb -D {} -U postgres --auth=trust --locale=C -E UTF8 > {}/initdb.log 2>&1",
                               prefix, c->bin_, data, c->dir_ == "" ? "/tmp" : c->dir_));
      !r) {
    return Fail("io_error", r.error().message + "\n" + Tail(c->dir_ + "/initdb.log"));
  }
  // fsync=off: a test cluster lives for one run; clients are what the tests kill.
  if (auto r = Run(fmt::format("{}{}/pg_ctl -D {} -l {} -w -t 60 -o \"-h 127.0.0.1 -p {} -k {} -F -c "
                               "max_connections=200\" start > /dev/null 2>&1",
                               prefix, c->bin_, data, log, *port, c->dir_));
      !r) {
    return Fail("io_error", r.error().message + "\n" + Tail(log));
  }
  c->base_url_ = fmt::format("postgresql://postgres@127.0.0.1:{}", *port);
  return c;
}

PgCluster::~PgCluster() {
  if (bin_.empty() || dir_.empty()) return;
  std::string prefix = as_postgres_user_ ? "runuser -u postgres -- " : "";
  (void)Run(fmt::format("{}{}/pg_ctl -D {}/data -m immediate -w -t 60 stop > /dev/null 2>&1", prefix, bin_, dir_));
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string PgCluster::Url(std::string_view database) const {
  return fmt::format("{}/{}", base_url_, database.empty() ? std::string_view(default_db_) : database);
}

Result<std::string> PgCluster::CreateDatabase(std::string_view name) {
  PGconn* conn = PQconnectdb(Url(default_db_).c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string m = PQerrorMessage(conn);
    PQfinish(conn);
    return Fail("db_unavailable", m);
  }
  std::string sql = fmt::format("CREATE DATABASE \"{}\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'", name);
  PGresult* r = PQexec(conn, sql.c_str());
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  std::string m = PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(conn);
  if (!ok) return Fail("db_error", m);
  return Url(name);
}

}  // namespace vigil::testing
