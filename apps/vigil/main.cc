// vigil: one executable, several subcommands (see HACKING.md). This file only parses
// flags and dispatches; each subcommand's wiring lives in cmd_<name>.cc.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "apps/vigil/commands.h"
#include "core/log.h"

namespace vigil::app {

int& ExitCode() {
  static int code = 0;
  return code;
}

}  // namespace vigil::app

int main(int argc, char** argv) {
  CLI::App root{
      "Vigil: measure, document and prove internet censorship and shutdowns.\n"
      "Speaks OONI's data formats. Run `vigil COMMAND --help` for a command's options."};
  root.set_version_flag("--version", "vigil " VIGIL_VERSION);
  std::string log_level = "info";
  root.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->capture_default_str();
  root.require_subcommand(1);

  vigil::app::AddAnalyzeCommand(root);
  vigil::app::AddDetectCommand(root);
  vigil::app::AddBgpCommand(root);
  vigil::app::AddHelperCommand(root);
  vigil::app::AddProbeCommand(root);
  vigil::app::AddImportCommand(root);
  vigil::app::AddServeCommand(root);
  vigil::app::AddUserCommand(root);
  vigil::app::AddTokenCommand(root);
  vigil::app::AddProberCommand(root);

  root.parse_complete_callback([&] { vigil::SetUpLogging(log_level); });
  try {
    root.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return root.exit(e);
  }
  return vigil::app::ExitCode();
}
