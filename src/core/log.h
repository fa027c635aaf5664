// Logging setup. Vigil logs through spdlog to stderr; stdout is reserved for a command's
// output (JSON lines, tables) so that it can be piped.
#pragma once

#include <string_view>

#include <spdlog/spdlog.h>

namespace vigil {

// Sets the global logger: level from "trace|debug|info|warn|error|off" (unknown names
// fall back to "info"), coloured when stderr is a terminal.
void SetUpLogging(std::string_view level);

}  // namespace vigil
