// main.cpp — the bnlab command line: parses arguments and hands over to one command.

#include <CLI/CLI.hpp>

#include "app/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"bnlab — watch Batch Normalization work while a network trains"};
  app.require_subcommand(1);

  bnlab::RunArgs run;
  CLI::App* cmd_run = app.add_subcommand("run", "Train headless and write metrics, layer statistics and histograms");
  cmd_run->add_option("--preset", run.preset, "Start from a built-in preset (see `bnlab presets`); default paper-fig1");
  cmd_run->add_option("--config", run.config_file, "Start from a JSON config file instead of a preset");
  cmd_run->add_option("--set", run.sets, "Override one key, e.g. --set optim.lr=0.1 --set model.hidden=50,50")
      ->allow_extra_args(false);
  cmd_run->add_option("--backend", run.backend, "auto | gpu | cpu (same as --set backend=...)");
  cmd_run->add_option("--init-params", run.init_params, "Start from .npy parameters in this directory");
  cmd_run->add_option("--save-params", run.save_params, "Write the final parameters as .npy files here");
  cmd_run->add_option("--out", run.out_dir, "Output directory (default runs/<preset or config name>)");

  app.add_subcommand("presets", "List the built-in presets, one per line");

  CLI11_PARSE(app, argc, argv);
  if (app.got_subcommand("run")) return bnlab::run_command(run);
  return bnlab::presets_command();
}
