// png_export.cpp — the "Save PNG ▾" button and saving the lab offscreen (see png_export.h).
//
// [SECTION] Paths
// [SECTION] The button and its popup
// [SECTION] Saving

#include "ui/png_export.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "ui/lab_view.h"
#include "ui/offscreen.h"

#include <imgui_stdlib.h>  // after imgui.h, which it needs

namespace bnlab {

// [SECTION] Paths

std::string default_png_path(const ViewOptions& v, long long step) {
  const std::string name = std::string("bnlab-") + (v.png.whole_window ? "window" : kTabIds[static_cast<int>(v.tab)]) + "-" +
                           std::to_string(step) + ".png";
  const char* home = std::getenv("HOME");
  return home && *home ? (std::filesystem::path(home) / name).string() : name;
}

namespace {

// "~/x.png" as the shell would read it.
std::string expand_home(const std::string& path) {
  const char* home = std::getenv("HOME");
  if (path.rfind("~/", 0) == 0 && home && *home) return (std::filesystem::path(home) / path.substr(2)).string();
  return path;
}

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

void panel_png_export(const LabState& s, ViewOptions& v) {
  PngExport& e = v.png;
  if (ImGui::TabItemButton("Save PNG ▾", ImGuiTabItemFlags_Trailing | ImGuiTabItemFlags_NoTooltip)) ImGui::OpenPopup("save_png");
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Save this view or the whole window as a PNG, drawn again at 1×, 2× or 4× the screen's pixels\n"
                      "(sharp on a slide or in print, not an enlarged screenshot).");
  if (!ImGui::BeginPopup("save_png")) return;
  int what = e.whole_window ? 1 : 0;
  ImGui::RadioButton("this view", &what, 0);
  ImGui::SameLine();
  ImGui::RadioButton("whole window", &what, 1);
  e.whole_window = what == 1;
  for (int scale : {1, 2, 4}) {
    ImGui::RadioButton((std::to_string(scale) + "×").c_str(), &e.scale, scale);
    ImGui::SameLine();
  }
  const ImVec2 size = e.whole_window ? ImGui::GetIO().DisplaySize : e.view_size;
  ImGui::TextDisabled("%d × %d pixels", static_cast<int>(size.x) * e.scale, static_cast<int>(size.y) * e.scale);
  const std::string hint = default_png_path(v, static_cast<long long>(s.step));
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 22);
  ImGui::InputTextWithHint("file", hint.c_str(), &e.path);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Where to save; empty: %s", hint.c_str());
  if (ImGui::Button("Save")) e.requested = true;
  if (!e.message.empty()) {
    ImGui::PushTextWrapPos(ImGui::GetFontSize() * 26);
    if (e.message_is_error) ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(200, 30, 30, 255));
    ImGui::TextUnformatted(e.message.c_str());
    if (e.message_is_error) ImGui::PopStyleColor();
    ImGui::PopTextWrapPos();
  }
  ImGui::EndPopup();
}

// [SECTION] Saving

void save_lab_png(LabSession& lab, ViewOptions& v, ImVec2 display_size, float dpi) {
  PngExport& e = v.png;
  e.requested = false;
  const std::string path = e.path.empty() ? default_png_path(v, static_cast<long long>(lab.state()->step)) : expand_home(e.path);
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
  ViewOptions copy = v;
  copy.select_tab = true;
  try {
    Image img = render_offscreen(spec, [&] {
      apply_view(copy, dpi);
      draw_lab(lab, copy);
    });
    if (!e.whole_window) {
      const float s = static_cast<float>(e.scale);
      img = crop(img, static_cast<int>(std::lround(e.view_min.x * s)), static_cast<int>(std::lround(e.view_min.y * s)),
                 static_cast<int>(std::lround((e.view_min.x + e.view_size.x) * s)),
                 static_cast<int>(std::lround((e.view_min.y + e.view_size.y) * s)));
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
