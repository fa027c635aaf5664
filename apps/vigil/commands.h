// The vigil subcommands. Each Add*Command registers one subcommand (its flags and its
// callback) on the root CLI11 app; the callback wires real implementations from src/
// and returns the process exit code through ExitCode().
#pragma once

#include <CLI/CLI.hpp>

namespace vigil::app {

// Exit status the chosen subcommand asks for (set by its callback).
int& ExitCode();

// Where data shipped with Vigil lives (`relative` to the working folder, or to a folder
// above the executable, as in a build tree): the first such folder holding `marker`,
// or "" when none does. FindShipped("web/dist", "index.html").
std::string FindShipped(const std::string& relative, const std::string& marker);

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
