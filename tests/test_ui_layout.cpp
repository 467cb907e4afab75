// test_ui_layout.cpp — the projector sizes are first-class: at 1280×720, 1366×768, 1600×900 and
// 1920×1080, in the normal view, in presentation mode, and in presentation mode with the side
// panel and the lesson text hidden (H, "hide text"), every tab of the real window (under Xvfb)
// shows all its text and controls: no plot had to cut a title or axis label short ("…"), no
// window's contents run past its right edge, every tab and tab-bar button is inside the window,
// every plot is inside the window's width — and, with the panel and text hidden, inside its
// height too: the tab's plots are all on screen without scrolling. The text size follows the
// window's height (about 47 lines). Lesson 3's six networks, one diverged, are checked at the
// smallest size and in presentation mode at the largest.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <ostream>
#include <nlohmann/json.hpp>
#include <string>

#include "core/config.h"
#include "core/lab_session.h"
#include "core/session_file.h"
#include "tests/xvfb_launch.h"
#include "ui/lab_view.h"

namespace bnlab {
namespace {

namespace fs = std::filesystem;

struct Screen {
  int w, h;
  bool presentation;
  bool hidden;           // the side panel and the lesson text hidden
  bool six = false;      // lesson 3's six networks (one of them diverged) instead of Figure 1's two
};

std::string name_of(const Screen& s) {
  return std::to_string(s.w) + "x" + std::to_string(s.h) + (s.presentation ? "_presentation" : "_normal") +
         (s.hidden ? "_hidden" : "") + (s.six ? "_lesson3" : "");
}

// The name in test output (gtest prints parameters as bytes otherwise).
void PrintTo(const Screen& s, std::ostream* os) { *os << name_of(s); }

class UiLayout : public ::testing::TestWithParam<Screen> {
 protected:
  // Sessions saved at step 300 (opened paused there), so every plot has data at the first frame.
  static void SetUpTestSuite() {
    fs::create_directories(dir());
    for (const bool six : {false, true}) {
      LabSession lab(build_config(six ? "lesson-3-learning-rates" : "paper-fig1", "", {}), /*playing=*/false);
      lab.step(300);
      lab.wait_idle();
      ASSERT_TRUE(lab.state()->ready) << lab.state()->error;
      save_session(session(six), lab.capture());
    }
  }
  static void TearDownTestSuite() { fs::remove_all(dir()); }
  static fs::path dir() { return fs::temp_directory_path() / ("bnlab_ui_layout_" + std::to_string(::getpid())); }
  static std::string session(bool six) { return (dir() / (six ? "lesson3.bnlab.json" : "fig1.bnlab.json")).string(); }
};

TEST_P(UiLayout, EveryTabShowsAllItsTextAndPlots) {
  if (!have_xvfb()) GTEST_SKIP() << "xvfb-run is not installed";
  const Screen screen = GetParam();
  const fs::path out = dir() / name_of(screen);
  fs::create_directories(out);
  const std::string size = std::to_string(screen.w) + "x" + std::to_string(screen.h);
  const Launch r = launch_in_xvfb(out, out.string(),
                                  BNLAB_BINARY " --session " + session(screen.six) + " --size " + size +
                                      (screen.presentation ? " --presentation" : "") + (screen.hidden ? " --hide controls,text" : "") +
                                      " --frames 3 --tab all --screenshot " + (out / "shot.png").string() +
                                      " --plot-rects " + (out / "layout.json").string(),
                                  size);
  ASSERT_EQ(r.code, 0) << r.output;
  // The text size for the height, two steps larger in presentation mode.
  const float font_px = kFontSizes[auto_font_size(static_cast<float>(screen.h)) + (screen.presentation ? 2 : 0)];
  for (const char* tab : kTabIds) {
    SCOPED_TRACE(tab);
    const nlohmann::json j = nlohmann::json::parse(std::ifstream(out / ("layout-" + std::string(tab) + ".json")));
    ASSERT_EQ(j["tab"], tab);
    ASSERT_EQ(j["width"], screen.w);
    ASSERT_EQ(j["height"], screen.h);
    EXPECT_EQ(j["font_px"].get<float>(), font_px);
    EXPECT_EQ(j["show_controls"], !screen.hidden);
    EXPECT_TRUE(j["overflow"].empty()) << j["overflow"].dump();
    // Plots scrolled out of view are not drawn: hidden, every tab shows all of its plots — five and
    // more, or one per network on the One batch tab.
    const size_t least = std::string(tab) == "one-batch" ? (screen.six ? 6u : 2u) : 5u;
    EXPECT_GE(j["plots"].size(), screen.hidden ? least : 1u);
    for (const auto& p : j["plots"]) {
      const std::string title = p["title"];
      EXPECT_TRUE(p["cut"].empty()) << title << ": " << p["cut"].dump();
      const auto& f = p["frame"];
      EXPECT_GE(f[0].get<double>(), 0) << title;
      EXPECT_LE(f[2].get<double>(), screen.w) << title;
      if (screen.hidden) {
        EXPECT_GE(f[1].get<double>(), 0) << title;
        EXPECT_LE(f[3].get<double>(), screen.h) << title;
      }
    }
    for (const auto& it : j["items"]) {
      EXPECT_GE(it["x0"].get<double>(), 0) << it["name"];
      EXPECT_LE(it["x1"].get<double>(), screen.w) << it["name"];
    }
  }
}

INSTANTIATE_TEST_SUITE_P(ProjectorSizes, UiLayout,
                         ::testing::Values(Screen{1280, 720, false, false}, Screen{1280, 720, true, false},
                                           Screen{1280, 720, true, true}, Screen{1366, 768, false, false},
                                           Screen{1366, 768, true, false}, Screen{1366, 768, true, true},
                                           Screen{1600, 900, false, false}, Screen{1600, 900, true, false},
                                           Screen{1600, 900, true, true}, Screen{1920, 1080, false, false},
                                           Screen{1920, 1080, true, false}, Screen{1920, 1080, true, true},
                                           Screen{1280, 720, false, false, true}, Screen{1280, 720, true, false, true},
                                           Screen{1280, 720, true, true, true}, Screen{1920, 1080, true, false, true}),
                         [](const ::testing::TestParamInfo<Screen>& info) { return name_of(info.param); });

}  // namespace
}  // namespace bnlab
