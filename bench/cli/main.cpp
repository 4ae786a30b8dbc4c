// ncbench: benchmarks and evaluates Neural Computer checkpoints. The subcommands live in
// one file each beside this one; this file only dispatches and maps errors to exit codes.
#include <clocale>
#include <iostream>

#include "bench/cli/commands.h"
#include "core/cpu_allocator.h"
#include "core/errors.h"
#include "core/sanitizer_defaults.h"

int main(int argc, char** argv) {
  std::setlocale(LC_NUMERIC, "C");
  ncb::InstallCachingCpuAllocator();
  std::vector<std::string> args(argv, argv + argc);
  CLI::App app{"ncbench: open-loop evaluation of Neural Computer checkpoints"};
  app.require_subcommand(1);
  ncb::cli::Runner run;
  ncb::cli::AddEvalCommand(app, &run, args);
  ncb::cli::AddMergeCommand(app, &run, args);
  ncb::cli::AddDatasetsCommand(app, &run);
  ncb::cli::AddCheckpointsCommand(app, &run);
  ncb::cli::AddReportCommands(app, &run);
  ncb::cli::AddBenchPeersCommand(app, &run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    return run ? run() : 0;
  } catch (const ncb::Error& e) {
    std::cerr << "ncbench: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "ncbench: error: " << e.what() << "\n";
    return 2;
  }
}
