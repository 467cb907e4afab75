// commands.h — the bnlab subcommands, each in its own file.
#pragma once

#include <string>
#include <vector>

namespace bnlab {

struct RunArgs {
  std::string preset, config_file, out_dir, init_params, save_params, backend;
  std::vector<std::string> sets;
};

// `bnlab run`: trains headless, writes the run's files, prints a summary. Returns the exit code.
int run_command(const RunArgs& args);
// `bnlab presets`: one line per preset.
int presets_command();
// `bnlab bench`: steps/s of both backends on the paper network; a table and a CSV.
int bench_command(int rounds, const std::string& csv);

}  // namespace bnlab
