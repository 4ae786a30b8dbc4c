// Subcommands of the `ncbench` program. Each Add* registers one subcommand on the app and
// sets *run to the code to execute when it is chosen; the code returns the exit status.
//
// Exit status: 0 done, 2 a run-level error (printed), 3 the run finished but some samples
// failed (the report says which), 4 a `compare --fail-on` gate tripped, 130 interrupted.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace ncb::cli {

using Runner = std::function<int()>;

void AddEvalCommand(CLI::App& app, Runner* run, const std::vector<std::string>& argv);
void AddMergeCommand(CLI::App& app, Runner* run, const std::vector<std::string>& argv);
void AddDatasetsCommand(CLI::App& app, Runner* run);
void AddCheckpointsCommand(CLI::App& app, Runner* run);
void AddReportCommands(CLI::App& app, Runner* run);
void AddBenchPeersCommand(CLI::App& app, Runner* run);

}  // namespace ncb::cli
