// png_export.cpp — the "Save PNG ▾" button, the plot's right-click popup, and saving the lab
// offscreen (see png_export.h).
//
// [SECTION] Paths
// [SECTION] The button and its popup
// [SECTION] Saving

#include "ui/png_export.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "ui/lab_view.h"
#include "ui/offscreen.h"
#include "ui/plot.h"

#include <imgui_stdlib.h>  // after imgui.h, which it needs

namespace bnlab {

// [SECTION] Paths

std::string default_png_path(const ViewOptions& v, long long step) {
  std::string what = kTabIds[static_cast<int>(v.tab)];
  if (v.png.area == PngArea::Window) what = "window";
  if (v.png.area == PngArea::Plot) {
    // The plot's title as a file name: lower-case letters and digits, anything else one '-'.
    what = "plot-";
    for (const char ch : v.png.plot_title) {
      if (std::isalnum(static_cast<unsigned char>(ch))) what += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      else if (what.back() != '-') what += '-';
      if (what.size() >= 48) break;
    }
    while (what.back() == '-') what.pop_back();
  }
  return "bnlab-" + what + "-" + std::to_string(step) + ".png";
}

namespace {

// The rectangle [x0, x1) × [y0, y1) of an image, clamped to it.
Image crop(const Image& img, int x0, int y0, int x1, int y1) {
  x0 = std::clamp(x0, 0, img.width);
  x1 = std::clamp(x1, x0, img.width);
  y0 = std::clamp(y0, 0, img.height);
  y1 = std::clamp(y1, y0, img.height);
  Image out;
  out.width = x1 - x0;
  out.height = y1 - y0;
  out.rgb.resize(static_cast<size_t>(out.width) * out.height * 3);  // (height, width, 3)
  for (int y = y0; y < y1; ++y)
    std::copy_n(img.rgb.data() + (static_cast<size_t>(y) * img.width + x0) * 3, static_cast<size_t>(out.width) * 3,
                out.rgb.data() + static_cast<size_t>(y - y0) * out.width * 3);
  return out;
}

}  // namespace

// [SECTION] The button and its popup

namespace {

// The popup's body: what to save (unless a plot was clicked), the scale, the file, Save.
void png_options(const LabState& s, ViewOptions& v) {
  PngExport& e = v.png;
  ImVec2 size = e.area == PngArea::Window ? ImGui::GetIO().DisplaySize : e.view_size;
  if (e.area == PngArea::Plot) {
    ImGui::Text("plot: %s", e.plot_title.c_str());
    size = e.plot_size;
  } else {
    int what = e.area == PngArea::Window ? 1 : 0;
    ImGui::RadioButton("this view", &what, 0);
    ImGui::SameLine();
    ImGui::RadioButton("whole window", &what, 1);
    e.area = what == 1 ? PngArea::Window : PngArea::View;
    ImGui::TextDisabled("(right-click a plot to save only that plot)");
  }
  for (int scale : {1, 2, 4}) {
    ImGui::RadioButton((std::to_string(scale) + "×").c_str(), &e.scale, scale);
    v.frame_items.push_back({"png_scale_" + std::to_string(scale), {ImGui::GetItemRectMin(), ImGui::GetItemRectMax()}});
    ImGui::SameLine();
  }
  ImGui::TextDisabled("%d × %d pixels", static_cast<int>(size.x) * e.scale, static_cast<int>(size.y) * e.scale);
  const std::string hint = default_png_path(v, static_cast<long long>(s.step));
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 22);
  export_folder_field(v.exports);
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 22);
  ImGui::InputTextWithHint("file", hint.c_str(), &e.path);
  // The outcome wraps within the file row, so a long path never widens the popup off the screen.
  const float right = ImGui::GetItemRectMax().x - ImGui::GetWindowPos().x;
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("The file, in the folder above unless it starts with / or ~/; empty: %s", hint.c_str());
  if (ImGui::Button("Save")) e.requested = true;
  v.frame_items.push_back({"png_save", {ImGui::GetItemRectMin(), ImGui::GetItemRectMax()}});
  if (!e.message.empty()) {
    ImGui::PushTextWrapPos(right);
    if (e.message_is_error) ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(200, 30, 30, 255));
    ImGui::TextUnformatted(e.message.c_str());
    if (e.message_is_error) ImGui::PopStyleColor();
    ImGui::PopTextWrapPos();
  }
}

}  // namespace

void panel_png_export(const LabState& s, ViewOptions& v) {
  const std::string label = std::string(v.compact_tabs ? kSavePngShortLabel : kSavePngLabel) + "###save_png";
  if (ImGui::TabItemButton(label.c_str(), ImGuiTabItemFlags_Trailing | ImGuiTabItemFlags_NoTooltip)) {
    if (v.png.area == PngArea::Plot) v.png.area = PngArea::View;
    ImGui::OpenPopup("save_png");
  }
  v.frame_items.push_back({"save_png", {ImGui::GetItemRectMin(), ImGui::GetItemRectMax()}});
  if (ImGui::IsPopupOpen("save_png")) v.popup_button = {ImGui::GetItemRectMin(), ImGui::GetItemRectMax()};
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Save this view or the whole window as a PNG, drawn again at 1×, 2× or 4× the screen's pixels\n"
                      "(sharp on a slide or in print, not an enlarged screenshot). Right-click a plot to save only it.");
  if (!ImGui::BeginPopup("save_png")) return;
  png_options(s, v);
  ImGui::EndPopup();
}

void plot_png_export(const LabState& s, ViewOptions& v) {
  const plot::Context* plots = plot::GetCurrentContext();
  if (plots && plots->clicked_plot >= 0) {
    const plot::PlotRecord& r = plots->frame_plots[static_cast<size_t>(plots->clicked_plot)];
    PngExport& e = v.png;
    e.area = PngArea::Plot;
    e.plot_min = r.frame_min;
    e.plot_size = ImVec2(r.frame_max.x - r.frame_min.x, r.frame_max.y - r.frame_min.y);
    e.plot_title = r.title;
    e.plot_index = plots->clicked_plot;
    e.path.clear();  // the hint names this plot
    e.message.clear();
    ImGui::OpenPopup("save_plot_png");
  }
  if (!ImGui::BeginPopup("save_plot_png")) return;
  ImGui::TextUnformatted("Save PNG");
  ImGui::Separator();
  png_options(s, v);
  ImGui::EndPopup();
}

// [SECTION] Saving

void save_lab_png(LabSession& lab, ViewOptions& v, ImVec2 display_size, float dpi) {
  PngExport& e = v.png;
  e.requested = false;
  std::string path;
  try {
    path = export_path(v.exports, e.path.empty() ? default_png_path(v, static_cast<long long>(lab.state()->step)) : e.path);
  } catch (const std::exception& x) {
    e.message = x.what();
    e.message_is_error = true;
    return;
  }
  OffscreenSpec spec;
  spec.width = static_cast<int>(display_size.x);
  spec.height = static_cast<int>(display_size.y);
  spec.scale = e.scale;
  spec.font_dpi = dpi;
  spec.frames = 3;  // the tab bar selects the tab in one frame and shows it from the next
  const ImVec4 bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
  spec.clear = ImVec4(bg.x, bg.y, bg.z, 1);
  // Drawn from a copy: the picture shows the lab as it is, without the popup, and nothing the
  // offscreen frames do reaches the window's own options. "This view" is cut out of the whole
  // window, so it has exactly the on-screen layout, at the export's resolution.
  // The copy carries none of the window's own messages, badges or popups into the picture.
  ViewOptions copy = v;
  copy.select_tab = true;
  copy.exports.message.clear();
  copy.exports.recording = false;
  copy.png.message.clear();
  copy.keep_lesson_height = true;
  // The area is found again in the offscreen frame: text measured with fonts rasterized at 2× or
  // 4× wraps a little differently (the lesson's box may gain a line), which moves what is below.
  ImVec2 at = e.area == PngArea::Plot ? e.plot_min : e.view_min;
  ImVec2 size = e.area == PngArea::Plot ? e.plot_size : e.view_size;
  try {
    Image img = render_offscreen(spec, [&] {
      apply_view(copy, dpi);
      draw_lab(lab, copy);
      if (e.area == PngArea::View) {
        at = copy.png.view_min;
        size = copy.png.view_size;
      }
      const std::vector<plot::PlotRecord>& plots = plot::GetCurrentContext()->frame_plots;
      if (e.area == PngArea::Plot && e.plot_index >= 0 && e.plot_index < static_cast<int>(plots.size()) &&
          plots[static_cast<size_t>(e.plot_index)].title == e.plot_title) {
        const plot::PlotRecord& r = plots[static_cast<size_t>(e.plot_index)];
        at = r.frame_min;
        size = ImVec2(r.frame_max.x - r.frame_min.x, r.frame_max.y - r.frame_min.y);
      }
    });
    if (e.area != PngArea::Window) {
      const float s = static_cast<float>(e.scale);
      img = crop(img, static_cast<int>(std::lround(at.x * s)), static_cast<int>(std::lround(at.y * s)),
                 static_cast<int>(std::lround((at.x + size.x) * s)), static_cast<int>(std::lround((at.y + size.y) * s)));
    }
    write_png(path, img);
    e.message = "Saved " + path + " (" + std::to_string(img.width) + "×" + std::to_string(img.height) + ")";
    e.message_is_error = false;
  } catch (const std::exception& x) {
    e.message = "Not saved: " + std::string(x.what());
    e.message_is_error = true;
  }
}

}  // namespace bnlab
