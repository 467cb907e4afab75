// figure_command.cpp — `bnlab figure`: train a preset headless, draw a lecture figure, write PNG + CSV.
//
// [SECTION] Arguments
// [SECTION] --list
// [SECTION] The command
//
// Everything that can be wrong with the command line or the output path is found before the
// training starts (a 50,000-step run is not thrown away for a typo), and nothing is written
// unless both files can be: each is written atomically, and the PNG is removed again when the
// CSV cannot be written after it.

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <sstream>

#include "app/commands.h"
#include "core/backend.h"
#include "core/dataset.h"
#include "core/gl_context.h"
#include "core/npy.h"
#include "core/run.h"
#include "core/trainer.h"
#include "ui/figure.h"

namespace bnlab {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Bad input: the message names it; exit code 2 as `bnlab run`.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// [SECTION] Arguments

void parse_size(const std::string& s, int* w, int* h) {
  char tail = 0;
  if (std::sscanf(s.c_str(), "%dx%d%c", w, h, &tail) != 2 || *w < 200 || *h < 150 || *w > 16384 || *h > 16384)
    throw UsageError("--size " + s + ": expected WxH with W ≥ 200 and H ≥ 150, e.g. 1600x900");
}

std::vector<int64_t> parse_steps(const std::string& list) {
  std::vector<int64_t> at;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) {
    char* end = nullptr;
    const long long v = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end != 0 || v < 0) throw UsageError("--at " + list + ": expected steps ≥ 0 separated by commas, e.g. 0,1000,50000");
    at.push_back(v);
  }
  return at;
}

// The output can be written: the directory exists and takes a new file. Checked by making (and
// removing) a temporary file there, as write_file_atomic will.
void check_writable(const fs::path& out) {
  const fs::path dir = out.has_parent_path() ? out.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw UsageError("--out " + out.string() + ": the directory " + dir.string() + " does not exist");
  std::string probe = (dir / ".bnlab-figure-XXXXXX").string();
  const int fd = mkstemp(probe.data());
  if (fd < 0) throw UsageError("--out " + out.string() + ": cannot write in " + dir.string() + ": " + std::strerror(errno));
  close(fd);
  fs::remove(probe, ec);
}

// "mnist (shipped subset): 8000 train / 2000 test, 784 features, 10 classes" → up to the test count.
std::string short_data(const std::string& description) {
  const size_t cut = description.find(" test");
  return cut == std::string::npos ? description : description.substr(0, cut + 5);
}

void progress(int64_t done, int64_t total, double rate) {
  if (!isatty(STDERR_FILENO)) return;
  std::fprintf(stderr, "\r  %lld/%lld steps  %.0f steps/s   ", static_cast<long long>(done), static_cast<long long>(total), rate);
  if (done == total) std::fputc('\n', stderr);
}

void write_rects(const std::string& file, const std::vector<PanelRect>& rects, const Image& img) {
  nlohmann::json j = {{"width", img.width}, {"height", img.height}, {"panels", nlohmann::json::array()}};
  for (const auto& r : rects)
    j["panels"].push_back({{"id", r.id}, {"title", r.title}, {"x0", r.x0}, {"y0", r.y0}, {"x1", r.x1}, {"y1", r.y1}});
  write_file_atomic(file, j.dump(2) + "\n");
}

// [SECTION] --list

int list_figures() {
  std::printf("figure kinds (--kind):\n");
  for (const auto& k : figure_kinds()) std::printf("  %-12s %s\n", k.name, k.what);
  std::printf("\npresets (--preset) and the kind they draw by default:\n");
  const std::vector<PresetInfo> presets = list_presets();
  int width = 0;
  for (const auto& p : presets) width = std::max(width, static_cast<int>(p.name.size()));
  for (const auto& p : presets)
    std::printf("  %-*s  %-12s %s\n", width, p.name.c_str(), default_figure_kind(p.name).c_str(), p.summary.c_str());
  return 0;
}

}  // namespace

// [SECTION] The command

int figure_command(const FigureArgs& args) {
  try {
    if (args.list) return list_figures();
    const std::string preset = args.preset.empty() ? std::string("paper-fig1") : args.preset;
    preset_json(preset);  // an unknown preset is named before anything else
    const std::string kind = args.kind.empty() ? default_figure_kind(preset) : args.kind;
    check_figure_kind(kind);
    int width = 0, height = 0;
    parse_size(args.size, &width, &height);
    if (args.scale < 1 || args.scale > 8) throw UsageError("--scale " + std::to_string(args.scale) + ": expected 1 to 8");
    FigureOptions opt;
    if (!args.at.empty()) {
      if (kind != "histograms") throw UsageError("--at chooses the steps of --kind histograms; this figure is " + kind);
      opt.at = parse_steps(args.at);
    }
    const fs::path png = args.out.empty() ? fs::path(preset + ".png") : fs::path(args.out);
    std::string ext = png.extension().string();
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (ext != ".png") throw UsageError("--out " + png.string() + ": expected a file name ending in .png");
    const fs::path csv = fs::path(png).replace_extension(".csv");
    check_writable(png);

    // The CPU reference unless asked otherwise: it is deterministic, so the CSV is too.
    std::vector<std::string> sets = {"backend=cpu"};
    sets.insert(sets.end(), args.sets.begin(), args.sets.end());
    if (args.steps >= 0) sets.push_back("steps=" + std::to_string(args.steps));
    if (!args.backend.empty()) sets.push_back("backend=" + args.backend);
    FigureRun run;
    run.cfg = build_config(preset, "", sets);

    // The drawing context before the training, so that a machine without GL says so at once.
    std::unique_ptr<GlContext> gl;
    try {
      gl = std::make_unique<GlContext>(false);
    } catch (const GpuError& e) {
      std::fprintf(stderr, "bnlab figure: cannot draw without OpenGL: %s\n", e.what());
      return 1;
    }
    try {
      check_offscreen_size(width, height, args.scale);
    } catch (const OffscreenError& e) {
      throw UsageError("--size " + args.size + " at --scale " + std::to_string(args.scale) + ": " + e.what());
    }

    const auto t0 = Clock::now();
    {
      const DataSplit data = load_data(run.cfg.data, run.cfg.seed);
      run.data = short_data(data.description);
      run.chance = chance_of(data.test.y);
      run.train_examples = data.train.size();
      std::string why;
      std::unique_ptr<Trainer> trainer = make_trainer(run.cfg, data, &why);
      std::fprintf(stderr, "bnlab figure %s → %s\n  preset %s: %zu network(s), %lld steps on %s%s%s\n", kind.c_str(), png.string().c_str(),
                   preset.c_str(), run.cfg.networks.size(), static_cast<long long>(run.cfg.steps), trainer->backend_name().c_str(),
                   why.empty() ? "" : " — ", why.c_str());
      RunOptions ro;
      ro.progress = progress;
      RunSummary summary = run_training(*trainer, run.cfg, ro);
      run.snapshots = std::move(summary.snapshots);
      run.losses = std::move(summary.losses);
      run.landscape = std::move(summary.landscape);
    }  // a GPU trainer's own context goes here
    const double train_s = std::chrono::duration<double>(Clock::now() - t0).count();

    gl->make_current();
    const Figure fig = build_figure(kind, run, opt);
    const auto t1 = Clock::now();
    std::vector<PanelRect> rects;
    const Image img = render_figure(fig, width, height, args.scale, &rects);
    const std::string png_bytes = encode_png(img);
    const std::string csv_text = figure_csv(fig);
    const double draw_s = std::chrono::duration<double>(Clock::now() - t1).count();

    write_file_atomic(png.string(), png_bytes);
    try {
      write_file_atomic(csv.string(), csv_text);
    } catch (...) {
      std::error_code ec;
      fs::remove(png, ec);
      throw;
    }
    if (!args.plot_rects.empty()) write_rects(args.plot_rects, rects, img);
    std::printf("wrote %s (%dx%d) and %s; trained in %.1f s, drew in %.1f s\n", png.string().c_str(), img.width, img.height,
                csv.string().c_str(), train_s, draw_s);
    return 0;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "bnlab figure: %s\n", e.what());
    return 2;
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "bnlab figure: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bnlab figure: %s\n", e.what());
    return 1;
  }
}

}  // namespace bnlab
