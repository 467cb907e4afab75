// test_ui_figure.cpp — lecture figures: the model, offscreen rendering at 1× and 2×, and
// `bnlab figure` end to end (PNG size, non-blank panels, CSV equal to `bnlab run`, determinism,
// no files after a failure).
//
// [SECTION] Helpers
// [SECTION] The figure model and its CSV
// [SECTION] Offscreen rendering
// [SECTION] In-app export
// [SECTION] bnlab figure end to end

#include <gtest/gtest.h>
#include <stb_image.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/backend.h"
#include "core/dataset.h"
#include "core/gl_context.h"
#include "core/run.h"
#include "core/speedup.h"
#include "core/lab_session.h"
#include "tests/test_util.h"
#include "tests/ui_test_frame.h"
#include "ui/figure.h"

namespace bnlab {
namespace {

namespace fs = std::filesystem;

// [SECTION] Helpers

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A short run of a preset on the CPU, as `bnlab figure` trains it.
FigureRun short_run(const std::string& preset, int64_t steps) {
  FigureRun run;
  run.cfg = build_config(preset, "", {"backend=cpu", "steps=" + std::to_string(steps), "log_every=50", "eval_every=100",
                                      "landscape.every=25"});
  const DataSplit data = load_data(run.cfg.data, run.cfg.seed);
  std::string why;
  std::unique_ptr<Trainer> trainer = make_trainer(run.cfg, data, &why);
  RunSummary s = run_training(*trainer, run.cfg, {});
  run.snapshots = std::move(s.snapshots);
  run.losses = std::move(s.losses);
  run.landscape = std::move(s.landscape);
  run.data = "test data";
  run.chance = chance_of(data.test.y);
  run.train_examples = data.train.size();
  return run;
}

const FigureRun& spiral_run() {
  static const FigureRun run = short_run("spiral-twins", 300);
  return run;
}

// The standard deviation of the pixels' grey values inside a rectangle: 0 for a blank area.
double pixel_std(const unsigned char* rgb, int width, int x0, int y0, int x1, int y1) {
  double sum = 0, sq = 0, n = 0;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) {
      const unsigned char* p = rgb + (static_cast<size_t>(y) * width + x) * 3;
      const double g = (p[0] + p[1] + p[2]) / 3.0;
      sum += g;
      sq += g * g;
      ++n;
    }
  return n > 0 ? std::sqrt(std::max(0.0, sq / n - (sum / n) * (sum / n))) : 0;
}

// A GL context for drawing, or a skip saying why there is none.
#define REQUIRE_GL(ctx)                                     \
  std::unique_ptr<GlContext> ctx;                           \
  try {                                                     \
    ctx = std::make_unique<GlContext>(false);               \
  } catch (const GpuError& e) {                             \
    GTEST_SKIP() << "no OpenGL for offscreen rendering: " << e.what(); \
  }

// [SECTION] The figure model and its CSV

TEST(Figure, EveryKindBuildsPanelsWithData) {
  for (const auto& k : figure_kinds()) {
    if (std::string(k.name) == "paper-fig1") continue;  // needs a no-BN and a BN network: below
    const Figure f = build_figure(k.name, spiral_run(), {});
    EXPECT_EQ(f.kind, k.name);
    ASSERT_FALSE(f.panels.empty()) << k.name;
    for (const auto& p : f.panels) {
      bool finite = false;
      for (const auto& s : p.series)
        for (float y : s.y) finite = finite || std::isfinite(y);
      EXPECT_TRUE(finite || p.series.empty()) << k.name << " panel " << p.id << " has no finite value";
    }
  }
  const Figure h = build_figure("histograms", spiral_run(), {});
  EXPECT_EQ(h.panels.size(), 2u * 2u);  // 2 hidden layers × 2 networks
  EXPECT_EQ(h.panels[0].shades.size(), 2u) << "spiral-twins is tanh: shaded beyond ±2.1 on both sides";
}

// ics and landscape plot the meters of the run (core/landscape.h) exactly, every measurement.
TEST(Figure, IcsAndLandscapePlotTheMetersOfEveryMeasurement) {
  const FigureRun& r = spiral_run();  // 2 hidden layers: ICS of layer 2 and the output layer
  ASSERT_EQ(r.landscape.size(), 12u);  // steps 0, 25, …, 275
  const Figure ics = build_figure("ics", r, {});
  ASSERT_EQ(ics.panels.size(), 4u);
  EXPECT_EQ(ics.panels[0].title, "(a) ‖G − G′‖, layer 2");
  EXPECT_EQ(ics.panels[3].title, "(d) cos(G, G′), output layer");
  const FigureSeries& l2 = ics.panels[1].series[1];  // output layer, second network
  EXPECT_EQ(l2.network, "bn");
  ASSERT_EQ(l2.y.size(), 12u);
  EXPECT_EQ(l2.x[3], 75.0);
  EXPECT_EQ(l2.y[3], r.landscape[3].networks[1].ics[2].l2);
  const Figure land = build_figure("landscape", r, {});
  ASSERT_EQ(land.panels.size(), 3u);
  const std::string csv = figure_csv(land);
  EXPECT_TRUE(Contains(csv, "landscape,a,baseline,loss_min,0,"));
  EXPECT_TRUE(Contains(csv, "landscape,b,bn,gradpred_max,275,"));
  EXPECT_TRUE(Contains(csv, "landscape,c,bn,beta_smooth,25,"));
  for (const auto& p : land.panels)
    for (const auto& s : p.series) {
      if (s.kind != FigureSeries::Band) continue;
      for (size_t i = 0; i < s.y.size(); ++i) EXPECT_LE(s.y[i], s.hi[i]) << p.title;
    }

  FigureRun off = r;
  off.landscape.clear();
  EXPECT_TRUE(Contains(error_of([&] { build_figure("landscape", off, {}); }), "landscape.every"));
}

TEST(Figure, PaperFig1PanelsShareTheirYRange) {
  const FigureRun run = short_run("paper-fig1", 200);
  const Figure f = build_figure("paper-fig1", run, {});
  ASSERT_EQ(f.panels.size(), 3u);
  EXPECT_EQ(f.panels[0].title, "(a) Test accuracy");
  EXPECT_EQ(f.panels[1].y_min, f.panels[2].y_min);
  EXPECT_EQ(f.panels[1].y_max, f.panels[2].y_max);
  EXPECT_TRUE(std::isfinite(f.panels[1].y_min));
  // The accuracy series holds every evaluation: steps 0, 100, 200.
  EXPECT_EQ(f.panels[0].series[0].x, (std::vector<double>{0, 100, 200}));
  // Then the speed-up mark (core/speedup.h) where BN reached the baseline's final accuracy, and
  // the sentence in the caption.
  const Speedup sp = speedup(test_accuracy_curve(run.snapshots, 0), test_accuracy_curve(run.snapshots, 1), run.chance);
  ASSERT_TRUE(sp.reached());
  ASSERT_EQ(f.panels[0].series.size(), 3u);
  const FigureSeries& mark = f.panels[0].series[2];
  EXPECT_EQ(mark.kind, FigureSeries::Marker);
  EXPECT_EQ(mark.name, "speedup_step");
  EXPECT_EQ(mark.network, "bn");
  EXPECT_EQ(mark.x, (std::vector<double>{static_cast<double>(sp.step)}));
  EXPECT_TRUE(Contains(f.caption, "bn reached baseline's final test accuracy")) << f.caption;
}

// A baseline that never learned — lesson 13's ten sigmoid layers without BN, at chance (one
// class for every digit) from the start — gets no speed-up mark, and the caption says there is nothing to measure
// rather than a factor over a chance-level target.
TEST(Figure, PaperFig1SaysWhenTheBaselineNeverLearned) {
  const FigureRun run = short_run("lesson-13-deeper-networks", 300);
  EXPECT_TRUE(speedup(test_accuracy_curve(run.snapshots, 0), test_accuracy_curve(run.snapshots, 1), run.chance).at_chance);
  const Figure f = build_figure("paper-fig1", run, {});
  ASSERT_EQ(f.panels[0].series.size(), 2u);  // the two accuracy lines, no mark
  EXPECT_TRUE(Contains(f.caption, "none never beat chance (")) << f.caption;
  EXPECT_TRUE(Contains(f.caption, "answering the most frequent class: 11.35%): no speed-up to measure.")) << f.caption;
  EXPECT_FALSE(Contains(f.caption, "fewer steps")) << f.caption;
}

// Lesson 14's figure: test and train accuracy on one scale, and the gap as their difference at
// every evaluation; the caption names the training examples and each network's dropout.
TEST(Figure, GeneralizationGapIsTrainMinusTestAccuracy) {
  const FigureRun run = short_run("lesson-14-bn-as-a-regularizer", 200);
  EXPECT_EQ(default_figure_kind("lesson-14-bn-as-a-regularizer"), "generalization");
  const Figure f = build_figure("generalization", run, {});
  ASSERT_EQ(f.panels.size(), 3u);
  EXPECT_EQ(f.panels[0].y_min, f.panels[1].y_min);
  EXPECT_EQ(f.panels[0].y_max, 1.0);
  EXPECT_EQ(f.panels[1].y_max, 1.0);
  for (size_t n = 0; n < 4; ++n) {
    const FigureSeries& test = f.panels[0].series.at(n), &train = f.panels[1].series.at(n), &gap = f.panels[2].series.at(n);
    EXPECT_EQ(train.name, "train_acc");
    EXPECT_EQ(gap.network, run.cfg.networks[n].name);
    EXPECT_EQ(gap.x, (std::vector<double>{0, 100, 200}));
    ASSERT_EQ(test.x, gap.x);
    for (size_t i = 0; i < gap.x.size(); ++i) EXPECT_FLOAT_EQ(gap.y[i], train.y[i] - test.y[i]);
  }
  EXPECT_TRUE(Contains(f.caption, "the first 1000 training examples")) << f.caption;
  EXPECT_TRUE(Contains(f.caption, "bn-dropout: norm batch, dropout 0.5, lr 0.5")) << f.caption;
}

TEST(Figure, CsvListsEveryPlottedValueOnce) {
  const Figure f = build_figure("overview", spiral_run(), {});
  const std::string csv = figure_csv(f);
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "figure,panel,network,series,x,value");
  size_t expected = 1;  // the header
  for (const auto& p : f.panels)
    for (const auto& s : p.series)
      if (s.csv) expected += s.x.size() * (s.kind == FigureSeries::Band ? 2 : 1);
  EXPECT_EQ(static_cast<size_t>(std::count(csv.begin(), csv.end(), '\n')), expected);
  EXPECT_TRUE(Contains(csv, "overview,a,baseline,test_acc,0,"));
  EXPECT_TRUE(Contains(csv, "overview,b,bn,train_loss_mean,50,"));  // the mean loss of steps 1–50
  EXPECT_EQ(csv, figure_csv(build_figure("overview", spiral_run(), {})));
}

TEST(Figure, HistogramStepsAreTheNearestSnapshots) {
  FigureOptions opt;
  opt.at = {0, 120, 10000};  // 120 → the snapshot at 100; 10000 → the last (300)
  const Figure f = build_figure("histograms", spiral_run(), opt);
  std::vector<std::string> names;
  for (const auto& s : f.panels[0].series) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"share@0", "share@100", "share@300"}));
}

TEST(Figure, UnknownKindIsNamed) {
  const std::string e = error_of([] { check_figure_kind("pie"); });
  EXPECT_TRUE(Contains(e, "\"pie\""));
  EXPECT_TRUE(Contains(e, "paper-fig1, histograms"));
}

// [SECTION] Offscreen rendering

TEST(Offscreen, FigureRendersAtTheRequestedSizeWithNonBlankPanels) {
  REQUIRE_GL(gl);
  const Figure f = build_figure("overview", spiral_run(), {});
  std::vector<PanelRect> rects;
  const Image img = render_figure(f, 640, 400, 1, &rects);
  EXPECT_EQ(img.width, 640);
  EXPECT_EQ(img.height, 400);
  ASSERT_EQ(rects.size(), f.panels.size());
  for (const auto& r : rects) {
    ASSERT_LT(r.x0 + 10, r.x1);
    ASSERT_LT(r.y0 + 10, r.y1);
    EXPECT_GT(pixel_std(img.rgb.data(), img.width, r.x0, r.y0, r.x1, r.y1), 3.0) << "panel " << r.id << " looks blank";
  }
  // The corner, outside every panel, is the paper theme's white.
  EXPECT_EQ(img.rgb[0], 255);
  EXPECT_EQ(img.rgb[1], 255);
}

TEST(Offscreen, TwoTimesIsRenderedNotPixelDoubled) {
  REQUIRE_GL(gl);
  const Figure f = build_figure("overview", spiral_run(), {});
  std::vector<PanelRect> r1, r2;
  const Image one = render_figure(f, 480, 300, 1, &r1);
  const Image two = render_figure(f, 480, 300, 2, &r2);
  ASSERT_EQ(two.width, 960);
  ASSERT_EQ(two.height, 600);
  // The same layout: every panel where it was, twice as far from the corner.
  ASSERT_EQ(r1.size(), r2.size());
  for (size_t i = 0; i < r1.size(); ++i) {
    EXPECT_NEAR(r2[i].x0, 2 * r1[i].x0, 2);
    EXPECT_NEAR(r2[i].y1, 2 * r1[i].y1, 2);
  }
  // A pixel-doubled image is made of uniform 2×2 blocks; a real 2× rendering has edges inside
  // many blocks (glyph outlines, anti-aliased lines).
  int mixed = 0, blocks = 0;
  for (int y = 0; y + 1 < two.height; y += 2)
    for (int x = 0; x + 1 < two.width; x += 2) {
      const auto at = [&](int dx, int dy) { return two.rgb.data() + (static_cast<size_t>(y + dy) * two.width + x + dx) * 3; };
      ++blocks;
      if (!std::equal(at(0, 0), at(0, 0) + 3, at(1, 0)) || !std::equal(at(0, 0), at(0, 0) + 3, at(0, 1)) ||
          !std::equal(at(0, 0), at(0, 0) + 3, at(1, 1)))
        ++mixed;
    }
  EXPECT_GT(mixed, blocks / 100) << mixed << " of " << blocks << " 2×2 blocks have detail";
}

TEST(Offscreen, AbsurdSizesAreRefusedWithTheLimit) {
  REQUIRE_GL(gl);
  OffscreenSpec spec;
  spec.width = 100000;
  spec.height = 100;
  const std::string e = error_of([&] { render_offscreen(spec, [] {}); });
  EXPECT_TRUE(Contains(e, "100000x100"));
  EXPECT_TRUE(Contains(e, "pixels a side"));
}

TEST(Offscreen, PngHasTheImageSize) {
  Image img;
  img.width = 7;
  img.height = 3;
  img.rgb.assign(7 * 3 * 3, 200);
  const std::string png = encode_png(img);
  int w = 0, h = 0, c = 0;
  unsigned char* px = stbi_load_from_memory(reinterpret_cast<const unsigned char*>(png.data()), static_cast<int>(png.size()), &w,
                                            &h, &c, 3);
  ASSERT_NE(px, nullptr);
  EXPECT_EQ(w, 7);
  EXPECT_EQ(h, 3);
  EXPECT_EQ(px[0], 200);
  stbi_image_free(px);
}

// [SECTION] In-app export
//
// The app's Save PNG: the lab drawn again offscreen at 2×, the whole window, or the tab's view or
// a right-clicked plot cut out of it, while the app's own ImGui context stays current.

TEST(PngExport, WindowAndViewAtTwiceTheResolution) {
  REQUIRE_GL(gl);
  const fs::path dir = fs::temp_directory_path() / ("bnlab_png_export_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  LabSession lab(build_config("spiral-twins", "", {"backend=cpu"}), false);
  lab.step(60);
  lab.wait_idle();
  HeadlessUi ui(ImVec2(900, 560));
  ImGuiContext* app = ImGui::GetCurrentContext();
  ViewOptions v;
  v.tab = LabTab::Histograms;
  ui.lab_frame(lab, v);
  ui.lab_frame(lab, v);
  ASSERT_GT(v.png.view_size.x, 100);

  v.png.scale = 2;
  v.png.area = PngArea::Window;
  v.png.path = (dir / "window.png").string();
  save_lab_png(lab, v, ImVec2(900, 560), 1.f);
  EXPECT_FALSE(v.png.message_is_error) << v.png.message;
  EXPECT_EQ(ImGui::GetCurrentContext(), app);
  int w = 0, h = 0, c = 0;
  unsigned char* px = stbi_load(v.png.path.c_str(), &w, &h, &c, 3);
  ASSERT_NE(px, nullptr);
  EXPECT_EQ(w, 1800);
  EXPECT_EQ(h, 1120);
  stbi_image_free(px);

  v.png.area = PngArea::View;
  v.png.path = (dir / "view.png").string();
  save_lab_png(lab, v, ImVec2(900, 560), 1.f);
  EXPECT_TRUE(Contains(v.png.message, "Saved"));
  px = stbi_load(v.png.path.c_str(), &w, &h, &c, 3);
  ASSERT_NE(px, nullptr);
  EXPECT_NEAR(w, 2 * v.png.view_size.x, 1);
  EXPECT_NEAR(h, 2 * v.png.view_size.y, 1);
  EXPECT_GT(pixel_std(px, w, 0, 0, w, h), 3.0);
  stbi_image_free(px);

  // A right-click on a plot opens the popup for that plot alone, named after its title.
  const plot::PlotRecord target = ui.plots().frame_plots.at(1);
  ImGuiIO& io = ImGui::GetIO();
  io.MousePos = ImVec2((target.min.x + target.max.x) * 0.5f, (target.min.y + target.max.y) * 0.5f);
  io.MouseDown[1] = true;
  ui.lab_frame(lab, v);
  io.MouseDown[1] = false;
  ui.lab_frame(lab, v);
  io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
  EXPECT_EQ(v.png.area, PngArea::Plot);
  EXPECT_EQ(v.png.plot_title, target.title);
  EXPECT_TRUE(Contains(default_png_path(v, 60), "bnlab-plot-layer-1-")) << default_png_path(v, 60);
  v.png.path = (dir / "plot.png").string();
  save_lab_png(lab, v, ImVec2(900, 560), 1.f);
  EXPECT_FALSE(v.png.message_is_error) << v.png.message;
  px = stbi_load(v.png.path.c_str(), &w, &h, &c, 3);
  ASSERT_NE(px, nullptr);
  EXPECT_NEAR(w, 2 * (target.frame_max.x - target.frame_min.x), 1);
  EXPECT_NEAR(h, 2 * (target.frame_max.y - target.frame_min.y), 1);
  EXPECT_GT(pixel_std(px, w, 0, 0, w, h), 3.0);
  stbi_image_free(px);

  v.png.path = "/proc/bnlab-view.png";  // not writable, even for root
  save_lab_png(lab, v, ImVec2(900, 560), 1.f);
  EXPECT_TRUE(v.png.message_is_error);
  EXPECT_TRUE(Contains(v.png.message, "/proc/bnlab-view.png"));
  EXPECT_FALSE(fs::exists(v.png.path));
  fs::remove_all(dir);
}

// [SECTION] bnlab figure end to end

class FigureCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("bnlab_figure_" + std::to_string(::getpid()) + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // `bnlab <args>`: the exit code; stderr in err_.
  int bnlab(const std::string& args) {
    const std::string cmd = std::string("'") + BNLAB_BINARY + "' " + args + " >'" + path("out.txt") + "' 2>'" + path("err.txt") + "'";
    const int status = std::system(cmd.c_str());
    err_ = slurp(path("err.txt"));
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  fs::path dir_;
  std::string err_;
};

// test_acc by (network, step) from metrics.csv of `bnlab run`, as written.
std::map<std::pair<std::string, std::string>, std::string> run_accuracy(const std::string& metrics) {
  std::map<std::pair<std::string, std::string>, std::string> acc;
  std::stringstream in(metrics);
  std::string line;
  std::getline(in, line);  // step,network,train_loss,train_loss_mean,test_loss,test_acc,train_acc,diverged_at
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream row(line);
    for (std::string cell; std::getline(row, cell, ',');) f.push_back(cell);
    if (f.size() >= 6 && !f[5].empty()) acc[{f[1], f[0]}] = f[5];
  }
  return acc;
}

TEST_F(FigureCli, PaperFig1PngCsvAndTheSameAccuracyAsBnlabRun) {
  const std::string common = "--preset paper-fig1 --set steps=200 --set eval_every=100";
  ASSERT_EQ(bnlab("figure " + common + " --size 600x300 --out '" + path("f.png") + "' --plot-rects '" + path("rects.json") + "'"), 0)
      << err_;
  int w = 0, h = 0, c = 0;
  unsigned char* px = stbi_load(path("f.png").c_str(), &w, &h, &c, 3);
  ASSERT_NE(px, nullptr);
  EXPECT_EQ(w, 600);
  EXPECT_EQ(h, 300);
  const auto rects = nlohmann::json::parse(slurp(path("rects.json")));
  ASSERT_EQ(rects["panels"].size(), 3u);
  for (const auto& r : rects["panels"])
    EXPECT_GT(pixel_std(px, w, r["x0"], r["y0"], r["x1"], r["y1"]), 3.0) << r.dump();
  stbi_image_free(px);

  // Every accuracy the figure plots is the test_acc `bnlab run` writes for the same config.
  ASSERT_EQ(bnlab("run " + common + " --backend cpu --out '" + path("run") + "'"), 0) << err_;
  const auto expected = run_accuracy(slurp(path("run/metrics.csv")));
  std::stringstream csv(slurp(path("f.csv")));
  std::string line;
  int compared = 0;
  while (std::getline(csv, line)) {
    std::vector<std::string> f;
    std::stringstream row(line);
    for (std::string cell; std::getline(row, cell, ',');) f.push_back(cell);
    if (f.size() != 6 || f[3] != "test_acc") continue;
    const auto it = expected.find({f[2], f[4]});
    ASSERT_NE(it, expected.end()) << line;
    EXPECT_EQ(f[5], it->second) << line;
    ++compared;
  }
  EXPECT_EQ(compared, 2 * 3);  // baseline and bn at steps 0, 100, 200
  EXPECT_EQ(expected.size(), 6u);
}

TEST_F(FigureCli, SameCommandTwiceGivesTheSameCsv) {
  const std::string args = "figure --preset spiral-twins --steps 150 --size 400x300 --out ";
  ASSERT_EQ(bnlab(args + "'" + path("a.png") + "'"), 0) << err_;
  ASSERT_EQ(bnlab(args + "'" + path("b.png") + "'"), 0) << err_;
  const std::string a = slurp(path("a.csv"));
  EXPECT_GT(a.size(), 1000u);
  EXPECT_EQ(a, slurp(path("b.csv")));
}

TEST_F(FigureCli, FailuresLeaveNoFiles) {
  // A directory that does not exist, and one that cannot hold files (even for root).
  EXPECT_EQ(bnlab("figure --steps 10 --out '" + path("missing/f.png") + "'"), 2);
  EXPECT_TRUE(Contains(err_, "does not exist"));
  EXPECT_NE(bnlab("figure --steps 10 --out /proc/bnlab-figure.png"), 0);
  EXPECT_TRUE(Contains(err_, "/proc"));
  EXPECT_FALSE(fs::exists("/proc/bnlab-figure.csv"));
  EXPECT_EQ(bnlab("figure --steps 10 --kind pie --out '" + path("f.png") + "'"), 2);
  EXPECT_TRUE(Contains(err_, "unknown figure kind \"pie\""));
  EXPECT_EQ(bnlab("figure --steps 10 --preset nope --out '" + path("f.png") + "'"), 2);
  EXPECT_TRUE(Contains(err_, "nope"));
  EXPECT_EQ(bnlab("figure --steps 10 --size 12x5 --out '" + path("f.png") + "'"), 2);
  EXPECT_TRUE(Contains(err_, "--size 12x5"));
  EXPECT_EQ(bnlab("figure --steps 10 --size 9000x9000 --scale 4 --out '" + path("f.png") + "'"), 2);
  EXPECT_TRUE(Contains(err_, "larger than this GL driver can render"));
  EXPECT_EQ(bnlab("figure --steps 10 --out '" + path("f.jpg") + "'"), 2);
  for (const auto& e : fs::directory_iterator(dir_)) {
    const std::string name = e.path().filename().string();
    EXPECT_TRUE(name == "out.txt" || name == "err.txt") << "left behind: " << name;
  }
}

TEST_F(FigureCli, ListNamesEveryKindAndPreset) {
  ASSERT_EQ(bnlab("figure --list"), 0);
  const std::string out = slurp(path("out.txt"));
  for (const auto& k : figure_kinds()) EXPECT_TRUE(Contains(out, k.name));
  EXPECT_TRUE(Contains(out, "spiral-twins"));
}

}  // namespace
}  // namespace bnlab
