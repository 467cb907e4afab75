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

struct FigureArgs {
  std::string preset, out, kind, size = "1600x900", backend, at, plot_rects;
  std::vector<std::string> sets;
  long long steps = -1;  // −1: the preset's
  int scale = 1;
  bool list = false;
};
// `bnlab figure`: trains a preset headless and writes a lecture figure as PNG plus its data as CSV.
int figure_command(const FigureArgs& args);

}  // namespace bnlab
