// png_export.h — "Save PNG ▾": the lab's whole window, or the current tab's view, rendered
// offscreen (ui/offscreen.h) at 1×, 2× or 4× and saved as PNG.
//
// The button and its popup are drawn inside the tab bar; saving needs the GL context, so the
// button leaves a request here and the app (app/gui.cpp) calls save_lab_png between frames,
// which answers in the same struct.
#pragma once

#include <string>

#include <imgui.h>

namespace bnlab {

class LabSession;
struct LabState;
struct ViewOptions;

struct PngExport {
  bool whole_window = false;  // false: the current tab's view only
  int scale = 2;              // 1, 2 or 4
  std::string path;           // as typed; empty: ~/bnlab-<tab>-<step>.png
  bool requested = false;     // the app saves on its next frame, then clears it

  std::string message;  // the last save's path, or what went wrong
  bool message_is_error = false;
  ImVec2 view_min{0, 0}, view_size{0, 0};  // the current tab's view in ImGui units (set while drawing)
};

// The "Save PNG ▾" tab-bar button with its popup (whole window or this view, 1×/2×/4×, path);
// call inside the tab bar.
void panel_png_export(const LabState& s, ViewOptions& v);

// The file a save writes when no path was typed: ~/bnlab-<tab>-<step>.png (the current directory
// without $HOME).
std::string default_png_path(const ViewOptions& v, long long step);

// Renders the lab offscreen (draw_lab at display_size, with the app's content scale dpi) at
// v.png.scale and writes the whole window, or the current tab's view cut out of it, as PNG
// atomically. Call between frames with the window's GL context current. Sets v.png.message.
void save_lab_png(LabSession& lab, ViewOptions& v, ImVec2 display_size, float dpi);

}  // namespace bnlab
