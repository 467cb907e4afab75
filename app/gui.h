// gui.h — the live lab's window: `bnlab` with no subcommand, and its screenshot and benchmark modes.
#pragma once

#include <string>
#include <vector>

namespace bnlab {

struct GuiArgs {
  std::string preset = "paper-fig1";
  std::vector<std::string> sets;  // --set key=value, as for `bnlab run`
  std::string size = "1600x900";  // window size WxH
  std::string screenshot;         // save the window as PNG after `frames` frames, then exit
  int frames = 120;
  std::string plot_rects;         // the layout as JSON (tests): of the screenshot's frame, or the last one
  double bench_seconds = 0;       // > 0: train and draw for this long, report frame times and steps/s
  std::string bench_out;          // --bench-ui: also write the report to this file
  std::string tab;                // open this tab: figure1, percentiles, histograms, over-time, health, affine, why-bn, one-batch;
                                  // "all" with --screenshot: one picture (and --plot-rects file) per tab
  std::vector<std::string> hide;  // controls, text: start with the side panel or the lesson text hidden
  std::string theme;              // light | dark (default: the saved setting, light for screenshots)
  bool presentation = false;      // presentation mode: large text and thick lines
  bool early_phase = false;       // Figure 1 tab: the x axis over the first 2,000 steps
  std::string session;            // reopen this saved session (.bnlab.json)
  std::string record;             // record `frames` frames to this directory of PNGs (or NAME.mp4), then exit
  bool restore_run = false;       // no --preset/--set: reopen the run settings saved on the last exit (run.json)
};

// Opens the window and runs until it is closed (or the screenshot/benchmark is done). Returns the
// exit code: 2 for a bad preset or setting, 1 when no window can be opened.
int gui_command(const GuiArgs& args);

}  // namespace bnlab
