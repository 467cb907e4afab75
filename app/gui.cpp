// gui.cpp — the live lab's window (GLFW + Dear ImGui's OpenGL3 backend), after ImGui's
// example_glfw_opengl3 at v1.86: the app owns its state, the loop polls, draws and presents.
//
// [SECTION] Settings files
// [SECTION] Window
// [SECTION] Screenshot
// [SECTION] Recording and reopening
// [SECTION] Benchmark report
// [SECTION] Main loop
//
// Training runs on the LabSession's worker thread; this thread only draws, at most 60 frames per
// second (Xvfb has no vsync, so the loop paces itself) and only when something changed.

#include "app/gui.h"

#include <epoxy/gl.h>
#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui_internal.h>  // the open popups' windows, for the click that closes them

#include <algorithm>
#include <chrono>
#include <ctime>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "app/recorder.h"
#include "core/format.h"
#include "core/lab_session.h"
#include "core/lessons.h"
#include "core/npy.h"
#include "core/session_file.h"
#include "ui/lab_view.h"
#include "ui/offscreen.h"
#include "ui/plot.h"

namespace bnlab {

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kFrameSeconds = 1.0 / 60;

static_assert(keys::kSpace == GLFW_KEY_SPACE && keys::kB == GLFW_KEY_B && keys::kF == GLFW_KEY_F &&
                  keys::kH == GLFW_KEY_H && keys::kR == GLFW_KEY_R && keys::kS == GLFW_KEY_S && keys::kZ == GLFW_KEY_Z && keys::kF1 == GLFW_KEY_F1 &&
                  keys::kPageUp == GLFW_KEY_PAGE_UP && keys::kPageDown == GLFW_KEY_PAGE_DOWN && keys::kEscape == GLFW_KEY_ESCAPE,
              "ui/lab_view.h's key codes are GLFW's");

// [SECTION] Settings files

// $XDG_CONFIG_HOME/bnlab, else ~/.config/bnlab; empty when neither is known.
std::filesystem::path config_dir() {
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) return std::filesystem::path(x) / "bnlab";
  if (const char* h = std::getenv("HOME"); h && *h) return std::filesystem::path(h) / ".config" / "bnlab";
  return {};
}

ViewOptions load_view(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return {};
  try {
    return view_options_from_json(nlohmann::json::parse(in));
  } catch (const nlohmann::json::exception& e) {
    std::cerr << "bnlab: ignoring " << file.string() << ": " << e.what() << "\n";
    return {};
  }
}

// Writes `text` atomically; false, with a message naming the file and what it holds, when it
// could not.
bool write_text(const std::string& file, const std::string& text, const char* what) {
  try {
    write_file_atomic(file, text);
    return true;
  } catch (const std::exception& e) {
    std::cerr << "bnlab: cannot save " << what << ": " << e.what() << "\n";
    return false;
  }
}

void save_view(const std::filesystem::path& file, const ViewOptions& v) {
  write_text(file.string(), to_json(v).dump(2) + "\n", "the view settings");
}

// The run's settings as the last session left them (run.json: {"preset": the lesson it came from,
// "config": to_json(RunConfig)}); nothing when there are none, or when they no longer resolve
// (e.g. written by an older bnlab) — then stderr says so.
std::optional<RunConfig> load_run(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  try {
    const nlohmann::json doc = nlohmann::json::parse(in);
    if (!doc.is_object() || !doc.contains("config")) throw std::runtime_error("no \"config\"");
    RunConfig cfg = resolve_config(doc["config"]);
    cfg.preset = doc.value("preset", "");  // not a config key: the lesson text follows it
    return cfg;
  } catch (const std::exception& e) {
    std::cerr << "bnlab: ignoring the saved run settings " << file.string() << " (" << e.what()
              << "); opening the default lesson\n";
    return std::nullopt;
  }
}

void save_run(const std::filesystem::path& file, const RunConfig& cfg) {
  write_text(file.string(), nlohmann::json{{"preset", cfg.preset}, {"config", to_json(cfg)}}.dump(2) + "\n",
             "the run settings");
}

// "shot.png" with suffix "histograms" → "shot-histograms.png"; an empty suffix changes nothing.
std::string with_suffix(const std::string& file, const std::string& suffix) {
  if (suffix.empty()) return file;
  const std::filesystem::path p(file);
  return (p.parent_path() / (p.stem().string() + "-" + suffix + p.extension().string())).string();
}

// [SECTION] Window

// SIGINT and SIGTERM close the window as its close button does, so settings are saved on the way out.
// A second one ends the process at once, whatever the worker thread is busy with.
volatile std::sig_atomic_t g_quit = 0;
void on_quit_signal(int sig) {
  g_quit = 1;
  std::signal(sig, SIG_DFL);
}

// Set by any input event; installed before ImGui's GLFW callbacks, which chain to these.
bool g_input_seen = true;
void on_cursor(GLFWwindow*, double, double) { g_input_seen = true; }
void on_button(GLFWwindow*, int, int, int) { g_input_seen = true; }
void on_scroll(GLFWwindow*, double, double) { g_input_seen = true; }
// Key presses in order, taken by the next frame: GLFW reports a tap shorter than a frame as a
// press and a release in the same poll, which ImGui's io.KeysDown never sees down.
std::vector<ViewOptions::KeyPress> g_key_presses;
void on_key(GLFWwindow*, int key, int, int action, int mods) {
  g_input_seen = true;
  if (action != GLFW_RELEASE) g_key_presses.push_back({key, action == GLFW_REPEAT, (mods & GLFW_MOD_CONTROL) != 0});
}
void on_char(GLFWwindow*, unsigned) { g_input_seen = true; }
void on_size(GLFWwindow*, int, int) { g_input_seen = true; }
void on_focus(GLFWwindow*, int) { g_input_seen = true; }

void track_input(GLFWwindow* w) {
  glfwSetCursorPosCallback(w, on_cursor);
  glfwSetMouseButtonCallback(w, on_button);
  glfwSetScrollCallback(w, on_scroll);
  glfwSetKeyCallback(w, on_key);
  glfwSetCharCallback(w, on_char);
  glfwSetFramebufferSizeCallback(w, on_size);
  glfwSetWindowFocusCallback(w, on_focus);
}

void glfw_error(int code, const char* text) { std::cerr << "bnlab: GLFW error " << code << ": " << text << "\n"; }

bool parse_size(const std::string& s, int* w, int* h) {
  return std::sscanf(s.c_str(), "%dx%d", w, h) == 2 && *w >= 320 && *h >= 240 && *w <= 16384 && *h <= 16384;
}

void set_fullscreen(GLFWwindow* window, bool on, int windowed[4]) {
  if (on) {
    glfwGetWindowPos(window, &windowed[0], &windowed[1]);
    glfwGetWindowSize(window, &windowed[2], &windowed[3]);
    GLFWmonitor* m = glfwGetPrimaryMonitor();
    const GLFWvidmode* mode = m ? glfwGetVideoMode(m) : nullptr;
    if (mode) glfwSetWindowMonitor(window, m, 0, 0, mode->width, mode->height, mode->refreshRate);
  } else {
    glfwSetWindowMonitor(window, nullptr, windowed[0], windowed[1], windowed[2], windowed[3], 0);
  }
}

// [SECTION] Screenshot

// A rectangle of the back buffer: (h, w, 3) RGB, bottom row first (GL's origin is bottom-left).
std::vector<unsigned char> read_pixels(int x, int y, int w, int h) {
  std::vector<unsigned char> rgb(static_cast<size_t>(w) * h * 3);  // (h, w, 3)
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadBuffer(GL_BACK);
  glReadPixels(x, y, w, h, GL_RGB, GL_UNSIGNED_BYTE, rgb.data());
  return rgb;
}

// The back buffer as a PNG (rows flipped: GL's origin is bottom-left), written atomically.
bool save_png(const std::string& file, int w, int h) {
  const std::vector<unsigned char> rgb = read_pixels(0, 0, w, h);  // (h, w, 3)
  Image img{w, h, std::vector<unsigned char>(rgb.size())};
  const size_t row = static_cast<size_t>(w) * 3;
  for (int y = 0; y < h; ++y) std::copy_n(rgb.data() + static_cast<size_t>(h - 1 - y) * row, row, img.rgb.data() + static_cast<size_t>(y) * row);
  try {
    write_png(file, img);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

// The windows (and child windows) whose contents are wider than what they show, with no
// horizontal scrollbar to reach the rest: text or controls there are cut at the right edge.
// (ImGui measures a window's contents as its items' extent, in the frame before.)
nlohmann::json overflowing_windows() {
  nlohmann::json out = nlohmann::json::array();
  for (const ImGuiWindow* w : ImGui::GetCurrentContext()->Windows) {
    if (!w->Active || w->Hidden || w->ScrollbarX) continue;
    const float shown = w->InnerRect.GetWidth() - 2 * w->WindowPadding.x;
    if (w->ContentSize.x > shown + 1) out.push_back({{"window", w->Name}, {"content", w->ContentSize.x}, {"shown", shown}});
  }
  return out;
}

// What a test needs to check or drive the frame, in framebuffer pixels: each plot's data area
// (every plot drew something?) and the texts it had to cut, the tabs and tab-bar buttons (where to
// click), the windows whose contents are cut at the right, whether a popup is open, and the view's
// state. `preset` is the lesson or preset open as the lesson box shows it (the session's desired
// settings: a lesson just opened counts before its data has loaded). False when it could not be
// written (stderr says why).
bool save_plot_rects(const std::string& file, const plot::Context& pc, const ViewOptions& v, const LabSession& lab,
                     float scale, int w, int h) {
  nlohmann::json j = {{"width", w},
                      {"height", h},
                      {"plots", nlohmann::json::array()},
                      {"items", nlohmann::json::array()},
                      {"popup_open", ImGui::IsPopupOpen("", ImGuiPopupFlags_AnyPopup)},
                      {"tab", kTabIds[static_cast<int>(v.tab)]},
                      {"show_controls", v.show_controls},
                      {"show_lesson", v.show_lesson},
                      {"font_px", ImGui::GetFontSize() * scale},
                      {"overflow", overflowing_windows()},
                      {"preset", lab.desired().preset},
                      {"playing", lab.state()->playing}};
  for (const auto& r : pc.frame_plots)
    j["plots"].push_back({{"title", r.title},
                          {"x0", r.min.x * scale},
                          {"y0", r.min.y * scale},
                          {"x1", r.max.x * scale},
                          {"y1", r.max.y * scale},
                          {"has_data", r.has_data},
                          {"cut", r.cut},
                          {"frame", {r.frame_min.x * scale, r.frame_min.y * scale, r.frame_max.x * scale, r.frame_max.y * scale}}});
  for (const auto& [name, r] : v.frame_items)
    j["items"].push_back({{"name", name},
                          {"x0", r.min.x * scale},
                          {"y0", r.min.y * scale},
                          {"x1", r.max.x * scale},
                          {"y1", r.max.y * scale}});
  return write_text(file, j.dump(2) + "\n", "the --plot-rects layout");
}

// Clicks that ImGui 1.86 would lose, held back one frame by the app. (1) A click outside an open
// popup should close it and act where it landed, as in other programs; ImGui swallows it (the
// popup blocks every other window in the frame of the press), so the app closes the popup first.
// (2) A press that arrives together with the pointer's move onto an item (a quick click, a touch
// screen, xdotool) misses tabs, which act only on an item hovered the frame before. In both, the
// frame is drawn without the press and the press comes in the next; then the mouse's real state
// (a click completes on its release).
class ClickReplay {
 public:
  // A press is held back for the next frame, which must then be drawn however long ago the
  // input came.
  bool pending() const { return pending_ >= 0; }
  // Before ImGui::NewFrame, after the backend set io.MouseDown and io.MousePos; `v` as the last
  // frame left it (the button of the open popup).
  void before_frame(ImGuiIO& io, const ViewOptions& v) {
    if (pending_ >= 0) {
      io.MouseDown[pending_] = true;
      pending_ = -1;
      g_input_seen = true;  // the frame of the press is drawn
    } else {
      const bool moved = io.MousePos.x != last_pos_.x || io.MousePos.y != last_pos_.y;
      for (int b = 0; b < 2; ++b) {
        if (!io.MouseDown[b] || was_down_[b]) continue;
        const bool outside = ImGui::IsPopupOpen("", ImGuiPopupFlags_AnyPopup) && !on_popup(io.MousePos, v);
        if (outside) ImGui::ClosePopupToLevel(0, /*restore_focus_to_window_under_popup=*/true);
        if (!outside && !moved) continue;
        io.MouseDown[b] = false;
        pending_ = b;
        g_input_seen = true;
        break;
      }
    }
    for (int b = 0; b < 2; ++b) was_down_[b] = io.MouseDown[b];
    last_pos_ = io.MousePos;
  }

 private:
  // On an open popup, or on the button that opened it (a click there closes it as ImGui does).
  static bool on_popup(ImVec2 at, const ViewOptions& v) {
    if (ImRect(v.popup_button.min, v.popup_button.max).Contains(at)) return true;
    for (const ImGuiPopupData& p : GImGui->OpenPopupStack)
      if (p.Window && p.Window->Rect().Contains(at)) return true;
    return false;
  }

  bool was_down_[2] = {false, false};
  ImVec2 last_pos_{-FLT_MAX, -FLT_MAX};
  int pending_ = -1;  // the button pressed in the next frame
};

// Renders the frame's draw lists of the lab (chrome = false) or of the app's chrome, the windows
// named kChromePrefix… (true): the lab is rendered, screenshots and recordings read it, and the
// chrome goes on top just before the swap.
void render_lists(ImDrawData* all, bool chrome) {
  std::vector<ImDrawList*> lists;  // (CmdListsCount) at most
  for (int i = 0; i < all->CmdListsCount; ++i) {
    const char* owner = all->CmdLists[i]->_OwnerName;
    const bool is_chrome = owner && std::strncmp(owner, kChromePrefix, std::strlen(kChromePrefix)) == 0;
    if (is_chrome == chrome) lists.push_back(all->CmdLists[i]);
  }
  if (lists.empty()) return;
  ImDrawData part = *all;
  part.CmdLists = lists.data();
  part.CmdListsCount = static_cast<int>(lists.size());
  ImGui_ImplOpenGL3_RenderDrawData(&part);
}

// [SECTION] Recording and reopening

// Starts recording a rectangle of w × h framebuffer pixels (even for MP4); throws the message.
std::unique_ptr<Recorder> start_recording(const std::string& path, int w, int h, bool lossless) {
  const bool mp4 = is_mp4_path(path);
  return std::make_unique<Recorder>(path, mp4 ? w & ~1 : w, mp4 ? h & ~1 : h, lossless);
}

// Hands this frame's rectangle, whose top-left corner is (x, y) in framebuffer pixels from the
// top, to the recorder; false when the window has become smaller than the recording.
bool record_frame(Recorder& r, int x, int y, int fb_w, int fb_h) {
  if (fb_w < r.width() || fb_h < r.height()) return false;
  x = std::clamp(x, 0, fb_w - r.width());
  y = std::clamp(y, 0, fb_h - r.height());
  r.add_frame(read_pixels(x, fb_h - y - r.height(), r.width(), r.height()));  // GL counts rows from the bottom
  return true;
}

// The recording's part of a frame, after rendering and before the swap: starts the recording the
// Export menu (or --record) asks for, hands it this frame, and stops it when asked, when the
// window shrinks below it, or when --record has its --frames. False when a scripted recording is
// over (*result: its exit code).
bool drive_recording(std::unique_ptr<Recorder>& recorder, ExportState& ex, const GuiArgs& args, ImVec2 scale, int fb_w,
                     int fb_h, int* result) {
  const bool scripted = !args.record.empty();
  if (ex.start_recording || (scripted && !recorder)) {
    // The Export menu's region, fixed in size from now on; --record: the whole window.
    const bool region = !scripted && ex.region_max.x > ex.region_min.x && ex.region_max.y > ex.region_min.y;
    const bool add_mp4 = ex.record_mp4 && !is_mp4_path(ex.record_path);
    std::string path = scripted ? args.record : add_mp4 ? ex.record_path + ".mp4" : ex.record_path;
    ex.start_recording = false;
    try {
      if (!scripted) path = export_path(ex, path);  // --record: as given, like every other argument
      recorder = start_recording(path, region ? static_cast<int>((ex.region_max.x - ex.region_min.x) * scale.x) : fb_w,
                                 region ? static_cast<int>((ex.region_max.y - ex.region_min.y) * scale.y) : fb_h,
                                 /*lossless=*/scripted);
      ex.message.clear();  // "● REC" says it; nothing more in the picture
    } catch (const std::exception& e) {
      ex.message = e.what();
      ex.message_is_error = true;
      if (scripted) {
        std::cerr << "bnlab: --record " << path << ": " << e.what() << "\n";
        *result = 1;
        return false;
      }
    }
  }
  if (recorder && recorder->due(Clock::now()) &&
      !record_frame(*recorder, static_cast<int>(ex.region_min.x * scale.x), static_cast<int>(ex.region_min.y * scale.y), fb_w, fb_h))
    ex.stop_recording = true;  // the window became smaller than the recording
  if (recorder && (ex.stop_recording || (scripted && recorder->frames_taken() >= args.frames))) {
    ex.message = recorder->finish();
    ex.message_is_error = !recorder->succeeded();
    recorder.reset();
    ex.stop_recording = false;
    if (scripted) {
      std::cerr << "bnlab: " << ex.message << "\n";
      *result = ex.message_is_error ? 1 : 0;
      return false;
    }
  }
  ex.recording = recorder != nullptr && !scripted;  // "● REC" only where someone can press Stop
  ex.recorded_frames = recorder ? recorder->frames_taken() : 0;
  return true;
}

// The window's title names what is open, and says when its data is still loading: a taskbar
// shows which lesson this window is, and a script driving the window (the tests) can wait for
// "bnlab — " at the start, which means the lab is ready (or says why not).
void set_title(GLFWwindow* window, const LabSession& lab, std::string* shown) {
  const std::shared_ptr<const LabState> s = lab.state();
  const std::string preset = lab.desired().preset;
  const std::string title = std::string(!s->ready && s->error.empty() ? "bnlab (loading data…)" : "bnlab") + " — " +
                            (preset.empty() ? "" : preset + " — ") + "Batch Normalization, live";
  if (title == *shown) return;
  glfwSetWindowTitle(window, title.c_str());
  *shown = title;
}

// Replaces the running session with a saved one (the Export menu's "Open session").
void reopen(std::unique_ptr<LabSession>& lab, ExportState& e) {
  const std::string path = e.open_session;
  e.open_session.clear();
  try {
    auto saved = std::make_shared<const LabSnapshot>(load_session(path));
    lab.reset();  // one trainer and one copy of the data at a time
    lab = std::make_unique<LabSession>(saved);
    e.message = "Opened " + path + ", paused at step " + with_thousands(saved->step) +
                ". Play trains on from the saved parameters (momentum restarts at zero).";
    e.message_is_error = false;
  } catch (const std::exception& x) {
    e.message = x.what();
    e.message_is_error = true;
  }
}

// [SECTION] Benchmark report


// CPU time of the calling thread: a frame's own work, apart from the time it waits for llvmpipe's
// rasterizer threads, the X server or a machine busy with other processes — which a frame's
// wall-clock time includes, and which on a loaded machine can hide what the frame itself costs.
double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = p / 100 * static_cast<double>(v.size() - 1);
  const size_t i = static_cast<size_t>(pos);
  return i + 1 < v.size() ? v[i] + (v[i + 1] - v[i]) * (pos - static_cast<double>(i)) : v[i];
}

// Steps per second of the same session with no window: the reference the UI's cost is measured
// against (same schedule of snapshots and evaluations as with the window).
double headless_rate(const RunConfig& cfg, double seconds) {
  LabSession lab(cfg, true);
  while (!lab.state()->ready && lab.state()->error.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const auto t0 = Clock::now();
  const int64_t s0 = lab.state()->step;
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
  return static_cast<double>(lab.state()->step - s0) / dt;
}

}  // namespace

// [SECTION] Main loop

int gui_command(const GuiArgs& args) {
  std::signal(SIGINT, on_quit_signal);
  std::signal(SIGTERM, on_quit_signal);
  RunConfig cfg;
  std::shared_ptr<const LabSnapshot> saved;  // --session
  std::string lesson_tab;  // a lesson named on the command line starts on the tab its text refers to
  try {
    cfg = build_config(args.preset, "", args.sets);
    if (!args.preset.empty())
      if (const std::optional<Lesson> l = lesson_of(args.preset)) lesson_tab = l->tab;
    if (!args.session.empty()) {
      saved = std::make_shared<const LabSnapshot>(load_session(args.session));
      cfg = saved->config;
    }
  } catch (const std::exception& e) {
    std::cerr << "bnlab: " << e.what() << "\n";
    return 2;
  }
  int width = 0, height = 0;
  if (!parse_size(args.size, &width, &height)) {
    std::cerr << "bnlab: --size " << args.size << ": expected WxH, e.g. 1600x900 (320x240 at least)\n";
    return 2;
  }
  const bool every_tab = args.tab == "all";
  if (every_tab && args.screenshot.empty()) {
    std::cerr << "bnlab: --tab all needs --screenshot (it saves one picture per tab)\n";
    return 2;
  }
  const int tab = every_tab ? 0 : !args.tab.empty() ? tab_from_id(args.tab) : !lesson_tab.empty() ? tab_from_id(lesson_tab) : -2;
  if (tab == -1) {
    std::cerr << "bnlab: --tab " << args.tab << ": expected all or one of";
    for (const char* id : kTabIds) std::cerr << " " << id;
    std::cerr << "\n";
    return 2;
  }
  if (!args.theme.empty() && args.theme != "light" && args.theme != "dark") {
    std::cerr << "bnlab: --theme " << args.theme << ": expected light or dark\n";
    return 2;
  }
  const bool scripted = !args.screenshot.empty() || args.bench_seconds > 0 || !args.record.empty();
  double reference_rate = 0;
  if (args.bench_seconds > 0) {
    std::cerr << "bnlab: measuring the training rate without a window (" << args.bench_seconds << " s)...\n";
    reference_rate = headless_rate(cfg, args.bench_seconds);
  }

  // On Mesa's software rasterizer, one drawing thread: its default of one per core fights the
  // training thread for the same cores and makes both slower. A user's own setting wins.
  setenv("LP_NUM_THREADS", "1", /*overwrite=*/0);
  glfwSetErrorCallback(glfw_error);
  if (!glfwInit()) {
    std::cerr << "bnlab: cannot open a window (no display?). Under a headless server use xvfb-run, or `bnlab run` to "
                 "train without a window.\n";
    return 1;
  }
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
  GLFWwindow* window = glfwCreateWindow(width, height, "bnlab — Batch Normalization, live", nullptr, nullptr);
  if (!window) {
    std::cerr << "bnlab: cannot create an OpenGL 3.0 window\n";
    glfwTerminate();
    return 1;
  }
  glfwMakeContextCurrent(window);
  glfwSwapInterval(1);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  plot::Context* plots = plot::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  // Screenshots and benchmarks are reproducible: they neither read nor write the user's settings.
  const std::filesystem::path dir = scripted ? std::filesystem::path() : config_dir();
  std::error_code ec;
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  const std::string ini = dir.empty() || ec ? std::string() : (dir / "imgui.ini").string();
  io.IniFilename = ini.empty() ? nullptr : ini.c_str();
  if (args.restore_run && !saved && !ini.empty())
    if (std::optional<RunConfig> run = load_run(dir / "run.json")) cfg = *run;
  ViewOptions view = ini.empty() ? ViewOptions{} : load_view(dir / "view.json");
  view.fullscreen = false;
  if (tab >= 0) view.tab = static_cast<LabTab>(tab);
  if (!args.theme.empty()) view.dark = args.theme == "dark";
  if (args.presentation) view.presentation = true;
  for (const std::string& part : args.hide) (part == "controls" ? view.show_controls : view.show_lesson) = false;
  if (args.early_phase) view.early_phase = true;

  float dpi = 1, dpi_y = 1;
  glfwGetWindowContentScale(window, &dpi, &dpi_y);
  dpi = std::clamp(dpi, 1.f, 4.f);
  const std::string font_message = load_fonts(io.Fonts, dpi);
  if (!font_message.empty()) std::cerr << "bnlab: " << font_message << "\n";
  track_input(window);
  ImGui_ImplGlfw_InitForOpenGL(window, true);
  ImGui_ImplOpenGL3_Init("#version 130");
  // Glyphs are drawn 1:1 from the atlas (rasterized at the window's text size), so the nearest
  // texel is the right one: on a software rasterizer, sampling one texel instead of four for every
  // pixel of text, lines and fills saves a fifth of the frame's drawing (12.3 → 9.8 ms of llvmpipe
  // time a frame at 1600x900). Exports, which draw S× glyphs at 1/S, keep the default filtering.
  ImGui_ImplOpenGL3_CreateDeviceObjects();
  glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(reinterpret_cast<intptr_t>(io.Fonts->TexID)));
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);

  int result = 0;
  {
    std::unique_ptr<LabSession> lab = saved ? std::make_unique<LabSession>(saved) : std::make_unique<LabSession>(cfg, true);
    std::unique_ptr<Recorder> recorder;
    std::vector<double> frame_ms, frame_cpu_ms;
    int windowed[4] = {0, 0, width, height};
    bool fullscreen = false;
    int frame = 0;
    const auto start = Clock::now();
    int64_t bench_step0 = -1;
    Clock::time_point bench_t0;
    uint64_t drawn_version = 0;
    ClickReplay click_replay;
    std::string title;  // the window's, as last set
    auto last_input = Clock::now();
    int frames_since_input = 0;
    for (;;) {
      if (glfwWindowShouldClose(window) || g_quit) break;
      // A frame is drawn only when there is something new to show: a state the session published
      // (at most 30 a second while training), or input (and half a second after it, so hover
      // and ImGui's own animations settle). Idle frames cost nothing, and training gets the CPU.
      glfwWaitEventsTimeout(kFrameSeconds);
      const auto t0 = Clock::now();
      const double cpu0 = thread_cpu_seconds();
      if (g_input_seen) last_input = t0, frames_since_input = 0;
      g_input_seen = false;
      const uint64_t version = lab->state()->version;
      // Input is followed by half a second of frames and by at least three, however slow they are
      // (a popup opened by a click appears in the frame after it; a press held back by
      // ClickReplay acts in the next).
      const bool input_recent = std::chrono::duration<double>(t0 - last_input).count() < 0.5 || frames_since_input < 3 ||
                                click_replay.pending();
      if (version == drawn_version && !input_recent && args.screenshot.empty() && args.record.empty() && !recorder) continue;
      ++frames_since_input;
      drawn_version = version;
      if (view.fullscreen != fullscreen) {
        fullscreen = view.fullscreen;
        set_fullscreen(window, fullscreen, windowed);
      }
      if (view.font_auto) {
        int w = 0, h = 0;
        glfwGetWindowSize(window, &w, &h);
        view.font_size = auto_font_size(static_cast<float>(h) / dpi);
      }
      apply_view(view, dpi);
      ImGui_ImplOpenGL3_NewFrame();
      ImGui_ImplGlfw_NewFrame();
      // No hover readout in the picture (a screenshot's mouse works until its frame: tests click).
      if ((!args.screenshot.empty() && frame + 1 == args.frames) || !args.record.empty()) io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
      click_replay.before_frame(io, view);
      ImGui::NewFrame();
      plot::NewFrame();
      view.key_presses = std::move(g_key_presses);
      g_key_presses.clear();
      // A screenshot counts only frames that show the tab asked for: not those while the data
      // loads, nor the tab bar's first frame (ImGui shows its first tab there, the selected one
      // from the next). A session that failed to load counts too: its message is the picture.
      const bool counts = !view.select_tab || !lab->state()->error.empty();
      draw_lab(*lab, view);
      ImGui::Render();
      int fb_w = 0, fb_h = 0;
      glfwGetFramebufferSize(window, &fb_w, &fb_h);
      glViewport(0, 0, fb_w, fb_h);
      const ImVec4 bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
      glClearColor(bg.x, bg.y, bg.z, 1);
      glClear(GL_COLOR_BUFFER_BIT);
      render_lists(ImGui::GetDrawData(), /*chrome=*/false);
      frame += counts;
      if (!args.screenshot.empty() && frame == args.frames) {
        const char* suffix = every_tab ? kTabIds[static_cast<int>(view.tab)] : "";
        const std::string png = with_suffix(args.screenshot, suffix);
        if (!save_png(png, fb_w, fb_h)) {
          std::cerr << "bnlab: cannot write " << png << "\n";
          result = 1;
        } else {
          std::cerr << "bnlab: saved " << png << " (" << fb_w << "x" << fb_h << ", step " << lab->state()->step << ")\n";
        }
        if (!args.plot_rects.empty() &&
            !save_plot_rects(with_suffix(args.plot_rects, suffix), *plots, view, *lab, io.DisplayFramebufferScale.x, fb_w, fb_h))
          result = 1;
        if (!every_tab || view.tab == static_cast<LabTab>(static_cast<int>(LabTab::Count) - 1)) break;
        view.tab = static_cast<LabTab>(static_cast<int>(view.tab) + 1);
        view.select_tab = true;
        frame = 0;
      }
      if (!drive_recording(recorder, view.exports, args, io.DisplayFramebufferScale, fb_w, fb_h, &result)) break;
      render_lists(ImGui::GetDrawData(), /*chrome=*/true);  // after the pictures: "● REC", an export's outcome
      // Save PNG ▾: drawn again offscreen at its scale, between frames, on the window's context.
      if (view.png.requested) save_lab_png(*lab, view, io.DisplaySize, dpi);
      glfwSwapBuffers(window);
      set_title(window, *lab, &title);
      const double spent = std::chrono::duration<double>(Clock::now() - t0).count();
      const double spent_cpu = thread_cpu_seconds() - cpu0;

      if (args.bench_seconds > 0) {
        // The first second is warm-up (data loading, first snapshots); then frames are timed.
        const double since = std::chrono::duration<double>(Clock::now() - start).count();
        if (since > 1 && bench_step0 < 0 && lab->state()->ready) {
          bench_step0 = lab->state()->step;
          bench_t0 = Clock::now();
        }
        if (bench_step0 >= 0) {
          frame_ms.push_back(spent * 1e3);
          frame_cpu_ms.push_back(spent_cpu * 1e3);
        }
        if (bench_step0 >= 0 && std::chrono::duration<double>(Clock::now() - bench_t0).count() > args.bench_seconds) break;
      }
      if (spent < kFrameSeconds) std::this_thread::sleep_for(std::chrono::duration<double>(kFrameSeconds - spent));
      if (!view.exports.open_session.empty()) reopen(lab, view.exports);
    }

    if (args.bench_seconds > 0) {
      const auto s = lab->state();
      const double secs = std::chrono::duration<double>(Clock::now() - bench_t0).count();
      const double rate = static_cast<double>(s->step - bench_step0) / secs;
      char report[1024];
      std::snprintf(report, sizeof report,
                    "bnlab --bench-ui %.0f  (preset %s, window %dx%d, backend %s, %zu networks)\n"
                    "frames            %zu (%.1f per second)\n"
                    "frame time        median %.2f ms, p99 %.2f ms, max %.2f ms\n"
                    "frame CPU time    median %.2f ms, p99 %.2f ms (the window's thread alone)\n"
                    "training          %.0f steps/s with the window, %.0f without (%.0f%%)\n"
                    "history memory    %.2f MB at step %lld\n",
                    args.bench_seconds, args.preset.c_str(), width, height, s->backend.c_str(), s->active.networks.size(),
                    frame_ms.size(), static_cast<double>(frame_ms.size()) / secs, percentile(frame_ms, 50),
                    percentile(frame_ms, 99), percentile(frame_ms, 100), percentile(frame_cpu_ms, 50),
                    percentile(frame_cpu_ms, 99), rate, reference_rate,
                    reference_rate > 0 ? 100 * rate / reference_rate : 0.0, static_cast<double>(s->history.bytes()) / 1e6,
                    static_cast<long long>(s->step));
      std::cout << report;
      if (!args.bench_out.empty() && !write_text(args.bench_out, report, "the --bench-ui report")) result = 1;
    }
    // Without --screenshot, the layout of the last frame drawn, when the window closes.
    if (!args.plot_rects.empty() && args.screenshot.empty() &&
        !save_plot_rects(args.plot_rects, *plots, view, *lab, io.DisplayFramebufferScale.x,
                         static_cast<int>(io.DisplaySize.x * io.DisplayFramebufferScale.x),
                         static_cast<int>(io.DisplaySize.y * io.DisplayFramebufferScale.y)))
      result = 1;
    if (recorder) std::cerr << "bnlab: " << recorder->finish() << "\n";  // closed while recording
    if (!ini.empty()) save_run(dir / "run.json", lab->desired());  // the next `bnlab` reopens these settings
  }
  if (!ini.empty()) save_view(dir / "view.json", view);
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  plot::DestroyContext(plots);
  glfwDestroyWindow(window);
  glfwTerminate();
  return result;
}

}  // namespace bnlab
