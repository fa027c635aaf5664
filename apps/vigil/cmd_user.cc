// `vigil user` and `vigil token`: accounts and API tokens of a Vigil server, written
// straight into its store (--data or --db). Passwords are hashed with Argon2id and
// tokens stored as SHA-256 digests (server/credentials.h); a token is printed once.
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include <fmt/format.h>

#include "apps/vigil/commands.h"
#include "core/clock.h"
#include "core/time_format.h"
#include "server/credentials.h"
#include "server/roles.h"
#include "store/open.h"

namespace vigil::app {
namespace {

struct StoreFlags {
  std::string data_dir = store::kDefaultDataDir;
  std::string db_url;
};

void AddStoreFlags(CLI::App* cmd, StoreFlags& f) {
  auto* data = cmd->add_option("--data", f.data_dir, "Data folder of the SQLite store")->capture_default_str();
  cmd->add_option("--db", f.db_url, "PostgreSQL URL instead of SQLite")->excludes(data);
}

Result<std::unique_ptr<store::Store>> Open(const StoreFlags& f) {
  store::OpenOptions open;
  open.data_dir = f.data_dir;
  open.db_url = f.db_url;
  return store::OpenStore(open);
}

store::Seconds Now() {
  return std::chrono::floor<std::chrono::seconds>(RealClock::Instance().WallNow());
}

int Die(std::string_view what) {
  std::fprintf(stderr, "vigil: %.*s\n", static_cast<int>(what.size()), what.data());
  return 1;
}

// Reads one line from the terminal without echo.
std::optional<std::string> PromptHidden(const char* prompt) {
  FILE* tty = std::fopen("/dev/tty", "r+");
  if (!tty) return std::nullopt;
  std::fputs(prompt, tty);
  std::fflush(tty);
  termios old{};
  const int fd = fileno(tty);
  const bool have_termios = tcgetattr(fd, &old) == 0;
  if (have_termios) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  char buf[1024];
  const bool got = std::fgets(buf, sizeof buf, tty) != nullptr;
  if (have_termios) tcsetattr(fd, TCSAFLUSH, &old);
  std::fputs("\n", tty);
  std::fclose(tty);
  if (!got) return std::nullopt;
  std::string s(buf);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

struct UserAddFlags {
  StoreFlags store;
  std::string name;
  std::string role;
  bool password_stdin = false;
};

int RunUserAdd(const UserAddFlags& f) {
  if (!server::ParseRole(f.role)) return Die("--role must be admin, editor, member or probe");
  std::string password;
  if (f.password_stdin) {
    if (!std::getline(std::cin, password)) return Die("no password on standard input");
    while (!password.empty() && password.back() == '\r') password.pop_back();
  } else {
    auto first = PromptHidden("Password: ");
    if (!first) return Die("no terminal to ask for a password (use --password-stdin)");
    auto second = PromptHidden("Password (again): ");
    if (!second || *first != *second) return Die("the passwords differ");
    password = *first;
  }
  if (password.size() < 8) return Die("the password must have at least 8 characters");
  auto hash = server::HashPassword(password);
  if (!hash) return Die(hash.error().ToString());
  auto st = Open(f.store);
  if (!st) return Die("cannot open the store: " + st.error().ToString());
  auto user = (*st)->CreateUser(f.name, *hash, f.role, Now());
  if (!user) {
    if (user.error().failure == "already_exists") return Die("user " + f.name + " already exists");
    return Die(user.error().ToString());
  }
  std::printf("user %s (id %lld, role %s) created\n", user->username.c_str(),
              static_cast<long long>(user->id), user->role.c_str());
  return 0;
}

int RunUserList(const StoreFlags& f) {
  auto st = Open(f);
  if (!st) return Die("cannot open the store: " + st.error().ToString());
  auto users = (*st)->ListUsers();
  if (!users) return Die(users.error().ToString());
  std::printf("%-6s %-24s %-8s %-9s %s\n", "id", "username", "role", "disabled", "created");
  for (const auto& u : *users) {
    std::printf("%-6lld %-24s %-8s %-9s %s\n", static_cast<long long>(u.id), u.username.c_str(),
                u.role.c_str(), u.disabled ? "yes" : "no", FormatIsoTime(u.created_at).c_str());
  }
  return 0;
}

struct UserStateFlags {
  StoreFlags store;
  std::string name;
};

// Disabling keeps the account and its tokens (for the record) but refuses them all: the
// server checks the account's state on every request and re-reads it at most a second later.
int RunUserSetDisabled(const UserStateFlags& f, bool disabled) {
  auto st = Open(f.store);
  if (!st) return Die("cannot open the store: " + st.error().ToString());
  auto user = (*st)->GetUser(f.name);
  if (!user) return Die(user.error().ToString());
  if (!*user) return Die("no user " + f.name + " (vigil user list)");
  store::User changed = **user;
  changed.disabled = disabled;
  if (auto r = (*st)->UpdateUser(changed); !r) return Die(r.error().ToString());
  std::printf("user %s %s\n", f.name.c_str(),
              disabled ? "disabled: its tokens are refused from now on (within a second on every node)" : "enabled");
  return 0;
}

struct TokenFlags {
  StoreFlags store;
  std::string user;
  std::string role;
  std::string label;
  int expires_days = 0;
  int64_t id = 0;
};

int RunTokenCreate(const TokenFlags& f) {
  auto st = Open(f.store);
  if (!st) return Die("cannot open the store: " + st.error().ToString());
  auto user = (*st)->GetUser(f.user);
  if (!user) return Die(user.error().ToString());
  if (!*user) return Die("no user " + f.user + " (vigil user add)");
  const std::string role_name = f.role.empty() ? (*user)->role : f.role;
  auto role = server::ParseRole(role_name);
  auto user_role = server::ParseRole((*user)->role);
  if (!role || !user_role) return Die("--role must be admin, editor, member or probe");
  if (!server::MayHoldToken(*user_role, *role)) {
    return Die(fmt::format("user {} ({}) may not hold a {} token", f.user, (*user)->role, role_name));
  }
  std::optional<store::Seconds> expires;
  if (f.expires_days > 0) expires = Now() + std::chrono::days(f.expires_days);
  const std::string token = server::NewApiToken();
  auto t = (*st)->CreateToken((*user)->id, server::TokenHash(token), role_name, f.label, Now(), expires);
  if (!t) return Die(t.error().ToString());
  std::fprintf(stderr, "token %lld for %s, role %s%s; shown once, keep it safe:\n",
               static_cast<long long>(t->id), f.user.c_str(), role_name.c_str(),
               expires ? (", expires " + FormatIsoTime(*expires)).c_str() : "");
  std::printf("%s\n", token.c_str());
  return 0;
}

int RunTokenRevoke(const TokenFlags& f) {
  auto st = Open(f.store);
  if (!st) return Die("cannot open the store: " + st.error().ToString());
  auto r = (*st)->RevokeToken(f.id, Now());
  if (!r) return Die(r.error().ToString());
  std::printf("token %lld revoked\n", static_cast<long long>(f.id));
  return 0;
}

int RunTokenList(const TokenFlags& f) {
  auto st = Open(f.store);
  if (!st) return Die("cannot open the store: " + st.error().ToString());
  auto user = (*st)->GetUser(f.user);
  if (!user) return Die(user.error().ToString());
  if (!*user) return Die("no user " + f.user);
  auto tokens = (*st)->ListTokens((*user)->id);
  if (!tokens) return Die(tokens.error().ToString());
  std::printf("%-6s %-8s %-20s %-21s %s\n", "id", "role", "label", "created", "state");
  for (const auto& t : *tokens) {
    std::string state = t.revoked_at ? "revoked " + FormatIsoTime(*t.revoked_at)
                        : t.expires_at ? "expires " + FormatIsoTime(*t.expires_at) : "active";
    std::printf("%-6lld %-8s %-20s %-21s %s\n", static_cast<long long>(t.id), t.role.c_str(),
                t.label.c_str(), FormatIsoTime(t.created_at).c_str(), state.c_str());
  }
  return 0;
}

}  // namespace

void AddUserCommand(CLI::App& root) {
  auto* user = root.add_subcommand("user", "Manage the accounts of a Vigil server.");
  user->require_subcommand(1);
  auto add = std::make_shared<UserAddFlags>();
  auto* cmd = user->add_subcommand("add", "Create an account (asks for its password twice).");
  cmd->add_option("name", add->name, "User name")->required();
  cmd->add_option("--role", add->role, "admin, editor, member or probe")->required();
  cmd->add_flag("--password-stdin", add->password_stdin, "Read the password from standard input");
  AddStoreFlags(cmd, add->store);
  cmd->callback([add] { ExitCode() = RunUserAdd(*add); });
  auto list = std::make_shared<StoreFlags>();
  auto* ls = user->add_subcommand("list", "List the accounts.");
  AddStoreFlags(ls, *list);
  ls->callback([list] { ExitCode() = RunUserList(*list); });
  for (const bool disable : {true, false}) {
    auto state = std::make_shared<UserStateFlags>();
    auto* sub = user->add_subcommand(disable ? "disable" : "enable",
                                     disable ? "Disable an account: it can no longer sign in, and its tokens are refused."
                                             : "Enable a disabled account again (its unrevoked tokens work again).");
    sub->add_option("name", state->name, "User name")->required();
    AddStoreFlags(sub, state->store);
    sub->callback([state, disable] { ExitCode() = RunUserSetDisabled(*state, disable); });
  }
}

void AddTokenCommand(CLI::App& root) {
  auto* token = root.add_subcommand("token", "Manage API tokens (Authorization: Bearer).");
  token->require_subcommand(1);
  auto create = std::make_shared<TokenFlags>();
  auto* cmd = token->add_subcommand("create", "Create a token for a user and print it (once).");
  cmd->add_option("--user", create->user, "Owner")->required();
  cmd->add_option("--role", create->role, "Role of the token (default: the user's)");
  cmd->add_option("--label", create->label, "What the token is for");
  cmd->add_option("--expires-days", create->expires_days, "Lifetime in days (default: no expiry)");
  AddStoreFlags(cmd, create->store);
  cmd->callback([create] { ExitCode() = RunTokenCreate(*create); });
  auto revoke = std::make_shared<TokenFlags>();
  auto* rv = token->add_subcommand("revoke", "Revoke a token by id (effective on the next request).");
  rv->add_option("id", revoke->id, "Token id (from token create or token list)")->required();
  AddStoreFlags(rv, revoke->store);
  rv->callback([revoke] { ExitCode() = RunTokenRevoke(*revoke); });
  auto list = std::make_shared<TokenFlags>();
  auto* ls = token->add_subcommand("list", "List a user's tokens.");
  ls->add_option("--user", list->user, "Owner")->required();
  AddStoreFlags(ls, list->store);
  ls->callback([list] { ExitCode() = RunTokenList(*list); });
}

}  // namespace vigil::app
