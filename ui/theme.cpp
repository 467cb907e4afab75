// theme.cpp — fonts, the two themes, network colours, and view options as JSON.
//
// [SECTION] Fonts
// [SECTION] Themes
// [SECTION] Network colours
// [SECTION] View options as JSON

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ui/lab_view.h"

namespace bnlab {

namespace {

// Latin-1, the combining circumflex of x̂, Greek (γ β σ μ ε), punctuation (– — …), super/subscripts, letterlike (ℓ), arrows (→), math
// operators (− ≤ ≥ √ ‖), geometric shapes (▶ ■) and dingbats (❚). Zero-terminated pairs; the
// atlas keeps the pointer until it is built, so the table lives at namespace scope.
constexpr ImWchar kGlyphRanges[] = {0x0020, 0x00FF, 0x0302, 0x0302, 0x0370, 0x03FF, 0x2010, 0x205E, 0x2070, 0x209F, 0x2100, 0x214F, 0x2190, 0x21FF,
                                    0x2200, 0x22FF, 0x25A0, 0x25FF, 0x2700, 0x27BF, 0};

// Okabe–Ito colours (distinguishable with the common colour-vision deficiencies); the dark theme
// uses lighter variants so thin lines stay visible on a dark background.
constexpr ImU32 kLightPalette[] = {IM_COL32(213, 94, 0, 255),  IM_COL32(0, 114, 178, 255), IM_COL32(0, 158, 115, 255),
                                   IM_COL32(204, 121, 167, 255), IM_COL32(230, 159, 0, 255), IM_COL32(86, 180, 233, 255),
                                   IM_COL32(90, 90, 90, 255),    IM_COL32(140, 86, 75, 255)};
constexpr ImU32 kDarkPalette[] = {IM_COL32(255, 128, 64, 255), IM_COL32(96, 186, 240, 255), IM_COL32(43, 212, 160, 255),
                                  IM_COL32(232, 154, 205, 255), IM_COL32(240, 190, 60, 255), IM_COL32(170, 215, 250, 255),
                                  IM_COL32(210, 210, 210, 255), IM_COL32(200, 150, 140, 255)};
constexpr int kPaletteSize = static_cast<int>(sizeof kLightPalette / sizeof kLightPalette[0]);

int font_index(const ViewOptions& v) { return std::clamp(v.font_size + (v.presentation ? 2 : 0), 0, kFontSizeCount - 1); }

}  // namespace

// [SECTION] Fonts

int auto_font_size(float height) {
  const float want = height / 47.f;
  int best = 0;
  for (int i = 1; i < kFontSizeCount; ++i)
    if (std::abs(kFontSizes[i] - want) < std::abs(kFontSizes[best] - want)) best = i;
  return best;
}

std::string load_fonts(ImFontAtlas* atlas, float dpi_scale) {
  atlas->Clear();
  std::FILE* f = std::fopen(kFontPath, "rb");
  const bool have_ttf = f != nullptr;
  if (f) std::fclose(f);
  for (float px : kFontSizes) {
    ImFontConfig cfg;
    cfg.SizePixels = px * dpi_scale;
    if (have_ttf) {
      cfg.OversampleH = 2;
      atlas->AddFontFromFileTTF(kFontPath, px * dpi_scale, &cfg, kGlyphRanges);
    } else {
      atlas->AddFontDefault(&cfg);
    }
  }
  atlas->Build();
  if (have_ttf) return {};
  return std::string("font ") + kFontPath +
         " not found (Debian package fonts-dejavu-core): using ImGui's built-in font, which has no Greek letters";
}

// [SECTION] Themes

void apply_view(const ViewOptions& v, float dpi_scale) {
  ImGuiIO& io = ImGui::GetIO();
  const int index = font_index(v);
  if (index < io.Fonts->Fonts.Size) io.FontDefault = io.Fonts->Fonts[index];
  ImGuiStyle style;
  if (v.dark) {
    ImGui::StyleColorsDark(&style);
    style.Colors[ImGuiCol_WindowBg] = ImVec4(0.10f, 0.10f, 0.12f, 1.f);
    style.Colors[ImGuiCol_FrameBg] = ImVec4(0.18f, 0.18f, 0.22f, 1.f);
    style.Colors[ImGuiCol_Text] = ImVec4(0.93f, 0.93f, 0.93f, 1.f);
    // Unselected radio buttons and checkboxes are their frame alone: a visible border keeps them
    // from vanishing into the background on a projector.
    style.Colors[ImGuiCol_Border] = ImVec4(1, 1, 1, 0.35f);
  } else {
    // High contrast for projectors: black on white, plots on a very light grey, firm borders.
    ImGui::StyleColorsLight(&style);
    style.Colors[ImGuiCol_Text] = ImVec4(0, 0, 0, 1);
    style.Colors[ImGuiCol_TextDisabled] = ImVec4(0.30f, 0.30f, 0.30f, 1);
    style.Colors[ImGuiCol_WindowBg] = ImVec4(1, 1, 1, 1);
    style.Colors[ImGuiCol_PopupBg] = ImVec4(1, 1, 1, 0.97f);
    style.Colors[ImGuiCol_FrameBg] = ImVec4(0.955f, 0.955f, 0.96f, 1);
    style.Colors[ImGuiCol_Border] = ImVec4(0, 0, 0, 0.35f);
    style.Colors[ImGuiCol_Button] = ImVec4(0.86f, 0.89f, 0.95f, 1);
    style.Colors[ImGuiCol_Header] = ImVec4(0.86f, 0.89f, 0.95f, 1);
    style.Colors[ImGuiCol_Tab] = ImVec4(0.86f, 0.89f, 0.95f, 1);
    style.Colors[ImGuiCol_TabActive] = ImVec4(0.55f, 0.70f, 0.95f, 1);
  }
  // The window background is the GL clear colour, and child windows draw none: on a software
  // rasterizer every full-screen layer costs milliseconds per frame.
  style.Colors[ImGuiCol_ChildBg] = ImVec4(0, 0, 0, 0);
  // Square corners: a rounded frame is an anti-aliased polygon of a dozen triangles, a square
  // one is two, and on a software rasterizer triangles are most of what text-heavy UI costs.
  style.FrameRounding = 0;
  style.GrabRounding = 0;
  style.TabRounding = 0;
  style.WindowBorderSize = 0;
  style.FrameBorderSize = 1.f;
  // A slider's value is printed over its knob: a translucent, narrow knob keeps every digit
  // readable wherever the knob sits.
  for (ImGuiCol c : {ImGuiCol_SliderGrab, ImGuiCol_SliderGrabActive}) style.Colors[c].w = 0.45f;
  style.GrabMinSize = 6;
  style.ScaleAllSizes(kFontSizes[index] / 13.f * dpi_scale);
  ImGui::GetStyle() = style;
}

ImFont* controls_font(const ViewOptions& v) {
  const ImFontAtlas* atlas = ImGui::GetIO().Fonts;
  const int index = std::clamp(v.font_size, 0, kFontSizeCount - 1);
  return index < atlas->Fonts.Size ? atlas->Fonts[index] : ImGui::GetFont();
}

float line_width(const ViewOptions& v) { return std::max(1.5f, kFontSizes[font_index(v)] / 9.f); }

// [SECTION] Network colours

ImU32 network_color(int net, const ViewOptions& v, float alpha) {
  const ImU32 c = (v.dark ? kDarkPalette : kLightPalette)[((net % kPaletteSize) + kPaletteSize) % kPaletteSize];
  const auto a = static_cast<ImU32>(std::clamp(alpha, 0.f, 1.f) * 255.f + 0.5f);
  return (c & ~IM_COL32_A_MASK) | (a << IM_COL32_A_SHIFT);
}

// [SECTION] View options as JSON

nlohmann::json to_json(const ViewOptions& v) {
  return {{"dark", v.dark},
          {"presentation", v.presentation},
          {"font_size", v.font_size},
          {"font_auto", v.font_auto},
          {"show_controls", v.show_controls},
          {"tab", static_cast<int>(v.tab)},
          {"selected_net", v.selected_net},
          {"unit_percentiles", v.unit_percentiles},
          {"y_scale", static_cast<int>(v.y_scale)},
          {"heatmap_tap", v.heatmap_tap},
          {"strip_layer", v.strip_layer},
          {"loss_smoothing", v.loss_smoothing},
          {"early_phase", v.early_phase},
          {"train_accuracy", v.train_accuracy},
          {"export_folder", v.exports.folder}};
}

ViewOptions view_options_from_json(const nlohmann::json& j) {
  ViewOptions v;
  if (!j.is_object()) return v;
  auto get = [&](const char* key, auto& field) {
    const auto it = j.find(key);
    if (it == j.end()) return;
    try {
      field = it->template get<std::decay_t<decltype(field)>>();
    } catch (const nlohmann::json::exception&) {
      // a wrong type keeps the default
    }
  };
  get("dark", v.dark);
  get("presentation", v.presentation);
  get("font_size", v.font_size);
  get("font_auto", v.font_auto);
  get("show_controls", v.show_controls);
  int tab = static_cast<int>(v.tab);
  get("tab", tab);
  get("selected_net", v.selected_net);
  get("unit_percentiles", v.unit_percentiles);
  int y_scale = static_cast<int>(v.y_scale);
  get("y_scale", y_scale);
  get("heatmap_tap", v.heatmap_tap);
  get("strip_layer", v.strip_layer);
  get("loss_smoothing", v.loss_smoothing);
  get("early_phase", v.early_phase);
  get("train_accuracy", v.train_accuracy);
  get("export_folder", v.exports.folder);
  // Out-of-range values from a hand-edited file are clamped, never trusted.
  v.font_size = std::clamp(v.font_size, 0, kFontSizeCount - 1);
  v.tab = static_cast<LabTab>(std::clamp(tab, 0, static_cast<int>(LabTab::Count) - 1));
  v.heatmap_tap = std::clamp(v.heatmap_tap, 0, kTapCount - 1);
  v.y_scale = static_cast<YScale>(std::clamp(y_scale, 0, 2));
  v.selected_net = std::max(0, v.selected_net);
  v.loss_smoothing = std::clamp(v.loss_smoothing, 0.f, 0.999f);
  return v;
}

}  // namespace bnlab
