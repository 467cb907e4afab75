// test_ui_export.cpp — the real app under Xvfb: a saved session reopens (--session) paused at its
// step with every plot drawn; a damaged one is refused by name; --record writes N PNG frames of
// the window's size, MP4 through ffmpeg (when installed) holds every frame, and without ffmpeg
// says how to get it; the run's settings persist from one launch to the next (run.json), and
// screenshots neither read nor write them. Skips, saying why, only when Xvfb is not installed.

#include <gtest/gtest.h>

#include <stb_image.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <imgui_internal.h>  // ImGui::FindWindowByName: is the outcome window up?

#include "core/session_file.h"
#include "tests/test_util.h"
#include "tests/xvfb_launch.h"
#include "tests/ui_test_frame.h"

namespace bnlab {
namespace {

namespace fs = std::filesystem;

class UiExport : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_xvfb())
      GTEST_SKIP() << "xvfb-run is not installed (Debian packages xvfb and xauth; third_party/setup-debian.sh installs them)";
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // `bnlab args` in a window under Xvfb, with the settings directory inside the test's directory.
  // `prefix` goes before the binary inside the X session (e.g. "env PATH=/nowhere").
  Launch window(const std::string& args, const std::string& prefix = "") { return xvfb(prefix + " " BNLAB_BINARY " " + args); }
  // An interactive launch (no --screenshot), closed as Ctrl+C in its terminal would close it,
  // once it has run for a few seconds.
  Launch interactive(const std::string& args) {
    return xvfb("sh -c '" BNLAB_BINARY " " + args + " & pid=$!; sleep 4; kill -TERM $pid; wait $pid'");
  }
  Launch xvfb(const std::string& command) { return launch_in_xvfb(dir_, config_dir(), command); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string config_dir() const { return (dir_ / "config").string(); }
  std::string run_json() const { return (dir_ / "config" / "bnlab" / "run.json").string(); }

  fs::path dir_ = fs::temp_directory_path() / ("bnlab_ui_export_" + std::to_string(::getpid()));
};

double saved_lr(const std::string& run_json) {
  std::ifstream in(run_json);
  return nlohmann::json::parse(in)["config"]["networks"][0]["optim"]["lr"].get<double>();
}

// Headless frames of the whole lab: the outcome of an export stays up until dismissed, "● REC"
// adds to the tab bar while recording, and the region a recording follows is where it should be.
// Every export — data, session, recording, PNG — goes to one folder unless its name says
// otherwise: relative names land in the folder (created at the first save), absolute and "~/"
// names where they say; the folder is kept with the view settings; a folder that cannot be made
// is named in the message.
TEST(UiExportPanel, RelativeNamesGoToTheOneExportFolder) {
  const fs::path home = fs::temp_directory_path() / ("bnlab_export_home_" + std::to_string(::getpid()));
  fs::remove_all(home);
  fs::create_directories(home);
  const std::string old_home = std::getenv("HOME") ? std::getenv("HOME") : "";
  setenv("HOME", home.c_str(), 1);
  ExportState e;
  EXPECT_EQ(e.folder, "~/bnlab");
  EXPECT_EQ(export_path(e, "bnlab-data.csv"), (home / "bnlab" / "bnlab-data.csv").string());
  EXPECT_TRUE(fs::is_directory(home / "bnlab"));
  EXPECT_EQ(export_path(e, "/tmp/x.png"), "/tmp/x.png");
  EXPECT_EQ(export_path(e, "~/slides/x.png"), (home / "slides" / "x.png").string());
  e.folder = (home / "lecture 3").string();
  EXPECT_EQ(export_path(e, "s.bnlab.json"), (home / "lecture 3" / "s.bnlab.json").string());
  std::ofstream(home / "file") << "x";
  e.folder = (home / "file" / "sub").string();  // under a file: cannot be created
  try {
    export_path(e, "a.csv");
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& x) {
    EXPECT_TRUE(Contains(x.what(), (home / "file" / "sub").string())) << x.what();
  }
  ViewOptions v;
  v.exports.folder = "/srv/talks";
  EXPECT_EQ(view_options_from_json(to_json(v)).exports.folder, "/srv/talks");
  setenv("HOME", old_home.c_str(), 1);
  fs::remove_all(home);
}

TEST(UiExportPanel, OutcomeIndicatorAndRegion) {
  HeadlessUi ui;
  LabSession lab(build_config("spiral-twins", "", {"backend=cpu"}), /*playing=*/false);
  lab.wait_idle();
  ViewOptions v;
  ui.lab_frame(lab, v);
  ui.lab_frame(lab, v);
  const int plain = HeadlessUi::vertices();
  EXPECT_EQ(v.exports.region_min.x, 0);  // the whole window
  EXPECT_EQ(v.exports.region_max.x, 1600);

  v.exports.message = "Saved every series to /tmp/x.csv";
  ui.lab_frame(lab, v);
  const ImGuiWindow* outcome = ImGui::FindWindowByName("##chrome_outcome");
  ASSERT_NE(outcome, nullptr);
  EXPECT_TRUE(outcome->Active);
  v.exports.message.clear();
  ui.lab_frame(lab, v);
  EXPECT_FALSE(outcome->Active);

  v.exports.recording = true;
  v.exports.recorded_frames = 12;
  ui.lab_frame(lab, v);
  ui.lab_frame(lab, v);
  EXPECT_GT(HeadlessUi::vertices(), plain) << "no ● REC";
  const ImGuiWindow* rec = ImGui::FindWindowByName("##chrome_rec");
  ASSERT_NE(rec, nullptr);
  EXPECT_TRUE(rec->Active);

  v.exports.record_region = 1;  // the views: right of the controls, below nothing
  ui.lab_frame(lab, v);
  EXPECT_GT(v.exports.region_min.x, 100);
  EXPECT_LT(v.exports.region_max.x, 1601);
  EXPECT_GT(v.exports.region_max.y - v.exports.region_min.y, 600);
}

TEST_F(UiExport, SessionReopensPausedWithEveryPlotDrawn) {
  LabSnapshot snap;
  {
    LabSession lab(build_config("spiral-twins", "", {"backend=cpu"}), /*playing=*/false);
    lab.step(400);
    lab.wait_idle();
    snap = lab.capture();
  }
  const std::string file = path("twins.bnlab.json"), png = path("shot.png"), rects = path("plots.json");
  save_session(file, snap);
  const Launch r = window("--session " + file + " --screenshot " + png + " --frames 40 --plot-rects " + rects);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "step 400)")) << "paused at the saved step";
  std::ifstream in(rects);
  const nlohmann::json j = nlohmann::json::parse(in);
  ASSERT_GE(j["plots"].size(), 3u);
  int w = 0, h = 0, channels = 0;
  unsigned char* pixels = stbi_load(png.c_str(), &w, &h, &channels, 3);  // (h, w, 3)
  ASSERT_NE(pixels, nullptr);
  for (const auto& p : j["plots"]) {
    EXPECT_TRUE(p["has_data"].get<bool>()) << p["title"];
    long differing = 0, total = 0;
    for (int y = static_cast<int>(p["y0"].get<double>()) + 2; y < static_cast<int>(p["y1"].get<double>()) - 2; ++y)
      for (int x = static_cast<int>(p["x0"].get<double>()) + 2; x < static_cast<int>(p["x1"].get<double>()) - 2; ++x) {
        const unsigned char* px = pixels + (static_cast<size_t>(y) * w + x) * 3;
        differing += std::abs(px[0] - pixels[0]) + std::abs(px[1] - pixels[1]) + std::abs(px[2] - pixels[2]) > 30;
        ++total;
      }
    EXPECT_GT(static_cast<double>(differing) / static_cast<double>(total), 0.01) << p["title"];
  }
  stbi_image_free(pixels);
}

TEST_F(UiExport, DamagedSessionIsRefusedByName) {
  const std::string file = path("broken.bnlab.json");
  std::ofstream(file) << R"({"format": "bnlab-session", "version": 7})";
  const Launch r = window("--session " + file + " --screenshot " + path("x.png"));
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(Contains(r.output, file + ": session format version 7 was written by a newer bnlab"));
  EXPECT_FALSE(fs::exists(path("x.png")));
}

TEST_F(UiExport, RecordWritesOnePngPerFrameOfTheWindowSize) {
  const std::string out = path("clip");
  const Launch r = window("--preset spiral-twins --set backend=cpu --record " + out + " --frames 6 --size 800x600");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "Recorded 6 frames (800x600) to " + out));
  int files = 0;
  for (const auto& e : fs::directory_iterator(out)) {
    ++files;
    int w = 0, h = 0, channels = 0;
    ASSERT_TRUE(stbi_info(e.path().c_str(), &w, &h, &channels)) << e.path();
    EXPECT_EQ(w, 800);
    EXPECT_EQ(h, 600);
  }
  EXPECT_EQ(files, 6);
  EXPECT_TRUE(fs::exists(fs::path(out) / "frame_00001.png"));
  EXPECT_TRUE(fs::exists(fs::path(out) / "frame_00006.png"));
  // A second recording never mixes its frames into the first.
  const Launch again = window("--preset spiral-twins --record " + out + " --frames 2 --size 800x600");
  EXPECT_EQ(again.code, 1) << again.output;
  EXPECT_TRUE(Contains(again.output, "already holds a recording"));
}

TEST_F(UiExport, Mp4WithoutFfmpegSaysHowToGetIt) {
  const std::string out = path("clip.mp4");
  const Launch r = window("--preset spiral-twins --record " + out + " --frames 3 --size 800x600", "env PATH=/nonexistent");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(Contains(r.output, "ffmpeg is not installed; apt install ffmpeg, or record PNG frames"));
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out + ".part"));
}

// Only where Debian's ffmpeg is installed (it is optional): an MP4 of exactly the frames recorded,
// cropped to an even size as yuv420p needs, and no partial file beside it.
TEST_F(UiExport, Mp4ThroughFfmpegHoldsEveryFrame) {
  if (std::system("command -v ffmpeg > /dev/null 2>&1 && command -v ffprobe > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "ffmpeg is not installed (optional: apt install ffmpeg)";
  const std::string out = path("clip.mp4"), probe = path("probe.txt");
  const Launch r = window("--preset spiral-twins --record " + out + " --frames 12 --size 801x601");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "Recorded 12 frames (800x600, 30 fps) to " + out));
  EXPECT_FALSE(fs::exists(out + ".part"));
  ASSERT_EQ(std::system(("ffprobe -v error -count_frames -show_entries stream=width,height,nb_read_frames -of csv=p=0 " + out +
                         " > " + probe).c_str()),
            0);
  std::ifstream in(probe);
  const std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(Contains(got, "800,600,12")) << got;
}

TEST_F(UiExport, RunSettingsPersistBetweenLaunches) {
  // Screenshots are reproducible: they write no settings...
  ASSERT_EQ(window("--preset spiral-twins --set optim.lr=0.37 --screenshot " + path("a.png") + " --frames 5").code, 0);
  EXPECT_FALSE(fs::exists(run_json()));
  // ...an interactive launch does, on the way out...
  Launch r = interactive("--preset spiral-twins --set optim.lr=0.37");
  ASSERT_EQ(r.code, 0) << r.output;
  ASSERT_TRUE(fs::exists(run_json())) << r.output;
  EXPECT_EQ(saved_lr(run_json()), 0.37);
  // ...and the next launch without --preset/--set reopens them (and saves them again unchanged;
  // the default lesson would have written its own learning rate).
  r = interactive("");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(saved_lr(run_json()), 0.37);
  std::ifstream in(run_json());
  const nlohmann::json saved = nlohmann::json::parse(in);
  EXPECT_EQ(saved["config"]["data"]["kind"], "spiral");
  EXPECT_EQ(saved["preset"], "spiral-twins");
  // Settings that no longer resolve are reported and the default lesson opens.
  std::ofstream(run_json()) << R"({"preset": "", "config": {"optim": {"lr": "fast"}}})";
  r = interactive("");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "ignoring the saved run settings " + run_json()));
  std::ifstream in2(run_json());
  EXPECT_EQ(nlohmann::json::parse(in2)["config"]["data"]["kind"], "mnist");
}

}  // namespace
}  // namespace bnlab
