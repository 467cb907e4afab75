// main.cpp — the bnlab command line: parses arguments and hands over to one command.

#include <CLI/CLI.hpp>

#include "app/commands.h"
#include "app/gui.h"

int main(int argc, char** argv) {
  CLI::App app{"bnlab — watch Batch Normalization work while a network trains"};
  // No subcommand opens the live lab's window.
  app.require_subcommand(0, 1);
  bnlab::GuiArgs gui;
  app.add_option("--preset", gui.preset, "Window: the lesson to open (see `bnlab presets`); default paper-fig1");
  app.add_option("--set", gui.sets, "Window: override one key of the lesson, e.g. --set optim.lr=2")->allow_extra_args(false);
  app.add_option("--size", gui.size, "Window size WxH (default 1600x900)");
  app.add_option("--screenshot", gui.screenshot, "Run --frames frames, save the window as this PNG and exit");
  app.add_option("--frames", gui.frames, "Frames before the screenshot, counted once the data has loaded (default 120, about 2 s)")->check(CLI::Range(1, 1000000));
  app.add_option("--plot-rects", gui.plot_rects, "Write the layout as JSON (for tests): plots, tabs, popups, view state; of the screenshot's frame, or else of the last frame when the window closes");
  app.add_option("--bench-ui", gui.bench_seconds, "Train and draw for this many seconds; report frame times and steps/s")
      ->check(CLI::Range(0.001, 86400.0));
  app.add_option("--bench-out", gui.bench_out, "With --bench-ui: also write the report to this file");
  app.add_option("--tab", gui.tab,
                 "Window: open this tab (figure1, percentiles, histograms, over-time, health, affine, why-bn, one-batch); with "
                 "--screenshot, `all` saves one picture per tab (NAME-figure1.png, …)");
  app.add_option("--hide", gui.hide, "Window: start with these hidden: controls (the side panel, H), text (the lesson's text)")
      ->delimiter(',')
      ->check(CLI::IsMember({"controls", "text"}));
  app.add_option("--theme", gui.theme, "Window: light | dark");
  app.add_flag("--presentation", gui.presentation, "Window: presentation mode (large text, thick lines)");
  app.add_flag("--early", gui.early_phase, "Window: the Figure 1 tab shows the first 2,000 steps, not the whole run");
  app.add_option("--session", gui.session, "Window: reopen a saved session (.bnlab.json), paused at its step");
  app.add_option("--record", gui.record,
                 "Record --frames frames to this directory as PNGs (or to NAME.mp4 through ffmpeg), then exit");

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

  int bench_rounds = 3;
  std::string bench_csv = "bench/results/gpu.csv";
  CLI::App* cmd_bench = app.add_subcommand("bench", "Measure steps/s of the GPU and CPU backends on the paper network");
  cmd_bench->add_option("--rounds", bench_rounds, "Rounds of every case; the median is reported")->check(CLI::Range(1, 1000));
  cmd_bench->add_option("--csv", bench_csv, "Where to write the figures as CSV");

  bnlab::FigureArgs fig;
  CLI::App* cmd_fig = app.add_subcommand("figure", "Train a preset headless and write a lecture figure (PNG) and its data (CSV)");
  cmd_fig->add_flag("--list", fig.list, "List the figure kinds and each preset's default kind");
  cmd_fig->add_option("--preset", fig.preset, "The preset to train (see `bnlab presets`); default paper-fig1");
  cmd_fig->add_option("--out", fig.out, "The PNG to write (default <preset>.png); the CSV goes beside it");
  cmd_fig->add_option("--kind", fig.kind, "paper-fig1 | histograms | saturation | lr-sweep | overview (default: the preset's)");
  cmd_fig->add_option("--steps", fig.steps, "Training steps (default: the preset's)")->check(CLI::Range(0LL, 1000000000LL));
  cmd_fig->add_option("--size", fig.size, "Logical size WxH (default 1600x900)");
  cmd_fig->add_option("--scale", fig.scale, "Pixels per logical pixel: 1, 2, 4 (rendered at that resolution)");
  cmd_fig->add_option("--at", fig.at, "Histograms: steps to show, e.g. 0,1000,50000 (the nearest snapshots)");
  cmd_fig->add_option("--set", fig.sets, "Override one key, e.g. --set optim.lr=0.1")->allow_extra_args(false);
  cmd_fig->add_option("--backend", fig.backend, "cpu (default: deterministic) | gpu | auto");
  cmd_fig->add_option("--plot-rects", fig.plot_rects, "Also write each panel's data area in pixels as JSON (for tests)");

  CLI11_PARSE(app, argc, argv);
  if (app.got_subcommand("figure")) return bnlab::figure_command(fig);
  if (app.got_subcommand("bench")) return bnlab::bench_command(bench_rounds, bench_csv);
  if (app.got_subcommand("run")) return bnlab::run_command(run);
  if (app.got_subcommand("presets")) return bnlab::presets_command();
  gui.restore_run = app.count("--preset") == 0 && app.count("--set") == 0;
  return bnlab::gui_command(gui);
}
