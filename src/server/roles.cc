#include "server/roles.h"

#include <array>
#include <utility>

namespace vigil::server {
namespace {

constexpr std::array<std::pair<Role, std::string_view>, 5> kRoleNames{{
    {Role::kAnonymous, "anonymous"},
    {Role::kProbe, "probe"},
    {Role::kMember, "member"},
    {Role::kEditor, "editor"},
    {Role::kAdmin, "admin"},
}};

struct Grant {
  Permission permission;
  std::initializer_list<Role> roles;
};

// The role → permission table. Anything not listed is refused.
const std::array<Grant, 7>& Table() {
  static const std::array<Grant, 7> table{{
      {Permission::kReadPublished,
       {Role::kAnonymous, Role::kProbe, Role::kMember, Role::kEditor, Role::kAdmin}},
      {Permission::kSubmitMeasurements, {Role::kProbe, Role::kAdmin}},
      {Permission::kReadOwnAccount, {Role::kProbe, Role::kMember, Role::kEditor, Role::kAdmin}},
      {Permission::kViewMetrics, {Role::kAdmin}},
      {Permission::kManageAccounts, {Role::kAdmin}},
      {Permission::kSubmitSignals, {Role::kProbe, Role::kEditor, Role::kAdmin}},
      {Permission::kSubmitWatch, {Role::kProbe, Role::kAdmin}},
  }};
  return table;
}

}  // namespace

bool Allowed(Role role, Permission permission) {
  for (const auto& grant : Table()) {
    if (grant.permission != permission) continue;
    for (Role r : grant.roles) {
      if (r == role) return true;
    }
  }
  return false;
}

std::string_view RoleName(Role role) {
  for (const auto& [r, name] : kRoleNames) {
    if (r == role) return name;
  }
  return "anonymous";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (const auto& [r, n] : kRoleNames) {
    if (n == name && r != Role::kAnonymous) return r;
  }
  return std::nullopt;
}

const std::vector<Role>& AccountRoles() {
  static const std::vector<Role> roles{Role::kAdmin, Role::kEditor, Role::kMember, Role::kProbe};
  return roles;
}

std::string_view PermissionName(Permission permission) {
  switch (permission) {
    case Permission::kReadPublished:
      return "read_published";
    case Permission::kSubmitMeasurements:
      return "submit_measurements";
    case Permission::kReadOwnAccount:
      return "read_own_account";
    case Permission::kViewMetrics:
      return "view_metrics";
    case Permission::kManageAccounts:
      return "manage_accounts";
    case Permission::kSubmitSignals:
      return "submit_signals";
    case Permission::kSubmitWatch:
      return "submit_watch";
  }
  return "unknown";
}

bool MayHoldToken(Role user, Role token) { return user == Role::kAdmin || user == token; }

}  // namespace vigil::server
