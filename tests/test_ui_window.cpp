// test_ui_window.cpp — the real window under Xvfb: `bnlab --screenshot` writes a PNG in which
// every plot's data area has content (not just background), and a JSON of where the plots are.
// Skips, saying why, only when Xvfb is not installed; in CI the setup script installs it. No
// OpenGL window under Xvfb is a failure.

#include <gtest/gtest.h>

#include <stb_image.h>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/xvfb_launch.h"

namespace bnlab {
namespace {

namespace fs = std::filesystem;

TEST(UiWindow, ScreenshotHasContentInEveryPlot) {
  if (!have_xvfb())
    GTEST_SKIP() << "xvfb-run is not installed (Debian packages xvfb and xauth; third_party/setup-debian.sh installs them)";
  const fs::path dir = fs::temp_directory_path() / ("bnlab_ui_window_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string png = (dir / "shot.png").string(), rects = (dir / "plots.json").string();
  const Launch r = launch_in_xvfb(dir, dir.string(),
                                  BNLAB_BINARY " --screenshot " + png + " --frames 150 --size 1600x900 --plot-rects " + rects);
  ASSERT_EQ(r.code, 0) << r.output;

  int w = 0, h = 0, channels = 0;
  unsigned char* pixels = stbi_load(png.c_str(), &w, &h, &channels, 3);  // (h, w, 3)
  ASSERT_NE(pixels, nullptr) << "cannot read " << png;
  EXPECT_EQ(w, 1600);
  EXPECT_EQ(h, 900);
  std::ifstream in(rects);
  const nlohmann::json j = nlohmann::json::parse(in);
  ASSERT_GE(j["plots"].size(), 5u);
  const unsigned char* bg = pixels;  // the top-left pixel is window background
  for (const auto& p : j["plots"]) {
    const int x0 = static_cast<int>(p["x0"].get<double>()) + 2, x1 = static_cast<int>(p["x1"].get<double>()) - 2;
    const int y0 = static_cast<int>(p["y0"].get<double>()) + 2, y1 = static_cast<int>(p["y1"].get<double>()) - 2;
    ASSERT_LT(x0, x1);
    ASSERT_LT(y0, y1);
    long differing = 0, total = 0;
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x) {
        const unsigned char* px = pixels + (static_cast<size_t>(y) * w + x) * 3;
        differing += std::abs(px[0] - bg[0]) + std::abs(px[1] - bg[1]) + std::abs(px[2] - bg[2]) > 30;
        ++total;
      }
    // Grid lines alone cover well under 1% and are faint; data covers more.
    EXPECT_GT(static_cast<double>(differing) / static_cast<double>(total), 0.01) << p["title"];
    EXPECT_TRUE(p["has_data"].get<bool>()) << p["title"];
  }
  stbi_image_free(pixels);
  fs::remove_all(dir);
}

// --tab opens each tab (for screenshots of every view): the plots drawn are that tab's, and every
// one of them has data. An unknown tab name is an error, not a silent default.
TEST(UiWindow, TabOptionOpensEachTab) {
  if (!have_xvfb()) GTEST_SKIP() << "xvfb-run is not installed";
  const fs::path dir = fs::temp_directory_path() / ("bnlab_ui_tabs_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string log = (dir / "log.txt").string();
  const std::string bad = "XDG_CONFIG_HOME=" + dir.string() + " " BNLAB_BINARY " --tab nonsense > " + log + " 2>&1";
  EXPECT_EQ(WEXITSTATUS(std::system(bad.c_str())), 2);
  // (tab, a word in the title of each of its plots, the number of plots with the default lesson)
  const struct {
    const char* tab;
    const char* word;
    size_t plots;
  } kTabs[] = {{"percentiles", "layer", 6}, {"histograms", "layer", 9}, {"over-time", "layer", 6},
               {"health", "layer", 9},      {"affine", "layer", 12},  {"why-bn", "", 9}};
  for (const auto& t : kTabs) {
    const std::string png = (dir / (std::string(t.tab) + ".png")).string(), rects = (dir / "plots.json").string();
    // 150 frames: the default lesson loads the full MNIST (60,000 digits, about a second on a busy
    // machine) on the worker before the first step, and every plot needs a trained step.
    const Launch r = launch_in_xvfb(dir, dir.string(),
                                    BNLAB_BINARY " --screenshot " + png + " --frames 150 --tab " + t.tab + " --plot-rects " + rects);
    ASSERT_EQ(r.code, 0) << t.tab << ": " << r.output;
    std::ifstream in(rects);
    const nlohmann::json j = nlohmann::json::parse(in);
    EXPECT_EQ(j["plots"].size(), t.plots) << t.tab;
    for (const auto& p : j["plots"]) {
      EXPECT_NE(p["title"].get<std::string>().find(t.word), std::string::npos) << t.tab << ": " << p["title"];
      EXPECT_TRUE(p["has_data"].get<bool>()) << t.tab << ": " << p["title"];
    }
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace bnlab
