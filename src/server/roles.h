// Roles and permissions of `vigil serve`: the one table that says which role may do what.
// Every route names the Permission it needs (server.cc); Allowed() is the only check.
// Reading published data needs no account; every write needs a token whose role the
// table allows.
//
// Thread-safety: pure functions over constant tables.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace vigil::server {

// kAnonymous is no token at all; the others are the roles of users and tokens.
enum class Role { kAnonymous, kProbe, kMember, kEditor, kAdmin };

enum class Permission {
  kReadPublished,      // query API, raw measurements, health, OpenAPI, the dashboard
  kSubmitMeasurements, // the collector (unless the server runs with --open-collector)
  kReadOwnAccount,     // GET /api/v1/me
  kViewMetrics,        // GET /metrics
  kManageAccounts,     // user and token administration
  kSubmitSignals,      // POST /api/v1/signals (the prober, importers)
  kSubmitWatch,        // a watching probe's check-ins and journal uploads
};

bool Allowed(Role role, Permission permission);

// "admin", "editor", "member", "probe"; "anonymous" for kAnonymous.
std::string_view RoleName(Role role);
// The four account roles (not "anonymous"); nullopt for anything else.
std::optional<Role> ParseRole(std::string_view name);
// The account roles, most powerful first.
const std::vector<Role>& AccountRoles();
std::string_view PermissionName(Permission permission);

// Whether a user of role `user` may hold a token of role `token`: an admin may create a
// token of any role (e.g. probe tokens to hand out); others only of their own role.
bool MayHoldToken(Role user, Role token);

}  // namespace vigil::server
