// Where the larger shared data sets live: $VIGIL_SHARED_DATA, or ../shared/data beside the
// source tree ($VIGIL_SOURCE_DIR, set by ctest). A user's clone has neither; tests over
// these sets then skip with a message (the product's own data ships in data/).
#pragma once

#include <cstdlib>
#include <filesystem>

namespace vigil::test_support {

// Empty when neither variable is set.
inline std::filesystem::path SharedDataDir() {
  if (const char* env = std::getenv("VIGIL_SHARED_DATA"); env != nullptr && *env != '\0') return env;
  if (const char* src = std::getenv("VIGIL_SOURCE_DIR"); src != nullptr && *src != '\0') {
    return std::filesystem::path(src) / ".." / "shared" / "data";
  }
  return {};
}

}  // namespace vigil::test_support
