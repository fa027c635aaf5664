#include <filesystem>
#include <system_error>
#include <vector>

#include "apps/vigil/commands.h"

namespace vigil::app {

std::string FindShipped(const std::string& relative, const std::string& marker) {
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates{relative};
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (auto p = exe.parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path()) {
      candidates.push_back(p / relative);
    }
  }
  for (const auto& c : candidates) {
    if (fs::is_regular_file(c / marker, ec)) return c.string();
  }
  return {};
}

}  // namespace vigil::app
