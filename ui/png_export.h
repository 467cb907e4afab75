// png_export.h — "Save PNG ▾": the lab's whole window, the current tab's view, or one plot
// (right-click it), rendered offscreen (ui/offscreen.h) at 1×, 2× or 4× and saved as PNG.
//
// The button and its popup are drawn inside the tab bar, the plot's popup where the plot was
// clicked; saving needs the GL context, so either leaves a request here and the app
// (app/gui.cpp) calls save_lab_png between frames, which answers in the same struct.
#pragma once

#include <string>

#include <imgui.h>

namespace bnlab {

class LabSession;
struct LabState;
struct ViewOptions;

enum class PngArea { View, Window, Plot };

struct PngExport {
  PngArea area = PngArea::View;  // the current tab's view, the whole window, or plot_title's plot
  int scale = 2;                 // 1, 2 or 4
  std::string path;           // as typed (export_path); empty: default_png_path
  bool requested = false;     // the app saves on its next frame, then clears it

  std::string message;  // the last save's path, or what went wrong
  bool message_is_error = false;
  ImVec2 view_min{0, 0}, view_size{0, 0};  // the current tab's view in ImGui units (set while drawing)
  ImVec2 plot_min{0, 0}, plot_size{0, 0};  // the right-clicked plot, title and labels included
  std::string plot_title;
  int plot_index = -1;  // its place among the frame's plots (plot::Context::frame_plots)
};

// The "Save PNG ▾" tab-bar button with its popup (whole window or this view, 1×/2×/4×, path);
// call inside the tab bar.
void panel_png_export(const LabState& s, ViewOptions& v);
// The same popup for the plot right-clicked this frame (plot::Context::clicked_plot); call once
// per frame after every plot is drawn.
void plot_png_export(const LabState& s, ViewOptions& v);

// The file name a save uses when none was typed, in the export folder (panel_export.h):
// bnlab-<tab>-<step>.png, bnlab-window-<step>.png or bnlab-plot-<title>-<step>.png.
std::string default_png_path(const ViewOptions& v, long long step);

// Renders the lab offscreen (draw_lab at display_size, with the app's content scale dpi) at
// v.png.scale and writes the whole window, or the view or plot cut out of it, as PNG atomically.
// Call between frames with the window's GL context current. Sets v.png.message.
void save_lab_png(LabSession& lab, ViewOptions& v, ImVec2 display_size, float dpi);

}  // namespace bnlab
