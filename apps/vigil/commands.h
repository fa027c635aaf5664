// The vigil subcommands. Each Add*Command registers one subcommand (its flags and its
// callback) on the root CLI11 app; the callback wires real implementations from src/
// and returns the process exit code through ExitCode().
#pragma once

#include <CLI/CLI.hpp>

namespace vigil::app {

// Exit status the chosen subcommand asks for (set by its callback).
int& ExitCode();

void AddAnalyzeCommand(CLI::App& root);
void AddDetectCommand(CLI::App& root);
void AddBgpCommand(CLI::App& root);
void AddHelperCommand(CLI::App& root);
void AddProbeCommand(CLI::App& root);
// `vigil probe watch` and `vigil probe journal verify` (cmd_watch.cc), registered under `probe`.
void AddProbeWatchSubcommands(CLI::App& probe_cmd);
void AddImportCommand(CLI::App& root);
// `vigil import mrt` (cmd_import_mrt.cc), registered under `import`.
void AddImportMrtCommand(CLI::App& import);
void AddServeCommand(CLI::App& root);
void AddUserCommand(CLI::App& root);
void AddTokenCommand(CLI::App& root);
void AddProberCommand(CLI::App& root);

}  // namespace vigil::app
