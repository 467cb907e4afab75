// lab_view.cpp — one frame of the lab: layout, tabs, shortcuts, and the help overlay.
//
// [SECTION] Shortcuts
// [SECTION] Help overlay
// [SECTION] Frame

#include "ui/lab_view.h"

#include <algorithm>

#include <imgui_internal.h>  // ClosePopupToLevel

#include "ui/panel_common.h"

namespace bnlab {

namespace {

constexpr const char* kTabNames[] = {"Figure 1", "Percentiles", "Histograms", "Over time", "Health", "γ, β, running stats",
                                     "Why BN works", "One batch"};
constexpr const char* kTabTips[] = {
    "The paper's Figure 1, live: test accuracy, train loss, and the 15/50/85th percentiles of one sigmoid's input in "
    "the last hidden layer, per network.",
    "The percentile bands of every layer (or its typical unit) over training.",
    "The latest distribution of each layer's three taps, with the saturating regions shaded.",
    "Each layer's distribution over training as a heatmap.",
    "Saturation, gradient norm and update-to-weight ratio per layer over training.",
    "γ, β and BN's running mean and variance per unit.",
    "Santurkar et al. 2018's test of why BN helps: internal covariate shift as a change of each layer's gradient, "
    "and how smooth the loss is along the gradient, measured live.",
    "One mini-batch through BN at one unit, live: the batch's x with its μ and σ, x̂ = (x − μ)/σ and γx̂ + β, one dot per "
    "example."};
// Where the full names do not fit the bar (1280 or 1366 pixels with the side panel shown): whole
// words still, and the tooltips give the full name.
constexpr const char* kTabShortNames[] = {"Fig. 1", "Bands", "Hist.", "Time", "Health", "γ, β", "Why BN", "Batch"};
static_assert(sizeof kTabNames / sizeof kTabNames[0] == static_cast<size_t>(LabTab::Count), "one name per tab");
static_assert(sizeof kTabShortNames / sizeof kTabShortNames[0] == static_cast<size_t>(LabTab::Count), "one name per tab");

// Whether the tab bar's tabs and trailing buttons, with their full names, fit in `width` (ImGui
// places them apart by ItemInnerSpacing).
bool full_tab_names_fit(float width) {
  float w = 0;
  for (const char* name : kTabNames) w += ImGui::TabItemCalcSize(name, false).x + ImGui::GetStyle().ItemInnerSpacing.x;
  for (const char* name : {kExportLabel, kSavePngLabel})
    w += ImGui::TabItemCalcSize(name, false).x + ImGui::GetStyle().ItemInnerSpacing.x;
  return w <= width;
}

// B: BatchNorm on every layer of the selected network, or off when any layer has it.
void toggle_bn(LabSession& lab, int net) {
  RunConfig d = lab.desired();
  if (net < 0 || net >= static_cast<int>(d.networks.size())) return;
  auto& norm = d.networks[net].model.norm;
  const bool has_bn = std::any_of(norm.begin(), norm.end(), [](Norm n) { return n == Norm::Batch; });
  std::fill(norm.begin(), norm.end(), has_bn ? Norm::None : Norm::Batch);
  lab.configure(d);
}

}  // namespace

// [SECTION] Shortcuts

void handle_shortcuts(LabSession& lab, ViewOptions& v) {
  const std::vector<ViewOptions::KeyPress> presses = std::move(v.key_presses);
  v.key_presses.clear();
  v.escape = std::any_of(presses.begin(), presses.end(), [](const ViewOptions::KeyPress& p) { return p.key == keys::kEscape; });
  const ImGuiIO& io = ImGui::GetIO();
  if (io.WantTextInput) return;  // a text field's own keys (its Ctrl+Z undoes typing)
  for (const ViewOptions::KeyPress& p : presses)
    if (p.ctrl && p.key == keys::kZ && !p.repeat) lab.undo();
  if (io.KeyCtrl || io.KeyAlt || io.KeySuper) return;
  for (const ViewOptions::KeyPress& p : presses) {
    if (p.ctrl) continue;
    if (p.key == keys::kS) lab.step(1);  // held down: repeats, stepping on
    if (p.repeat) continue;
    switch (p.key) {
      case keys::kSpace: lab.toggle_playing(); break;
      case keys::kR: lab.reset(); break;
      case keys::kB: toggle_bn(lab, v.selected_net); break;
      case keys::kF: v.fullscreen = !v.fullscreen; break;
      case keys::kH: v.show_controls = !v.show_controls; break;
      case keys::kF1: v.show_help = !v.show_help; break;
      case keys::kPageDown: step_lesson(lab, v, +1); break;
      case keys::kPageUp: step_lesson(lab, v, -1); break;
      default: break;
    }
  }
  // +, − and ? are read as typed characters, so they work on any keyboard layout.
  for (ImWchar c : io.InputQueueCharacters) {
    if (c == '+' || c == '=') v.font_size = std::min(v.font_size + 1, kFontSizeCount - 1), v.font_auto = false;
    if (c == '-' || c == 0x2212) v.font_size = std::max(v.font_size - 1, 0), v.font_auto = false;
    if (c == '?') v.show_help = !v.show_help;
  }
}

// [SECTION] Help overlay

void panel_help(ViewOptions& v) {
  if (!v.show_help) return;
  const ImGuiViewport* vp = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(ImVec2(vp->WorkPos.x + vp->WorkSize.x * 0.5f, vp->WorkPos.y + vp->WorkSize.y * 0.5f),
                          ImGuiCond_Always, ImVec2(0.5f, 0.5f));
  ImGui::SetNextWindowBgAlpha(0.97f);
  if (ImGui::Begin("Keyboard and what you see (F1 or ? to close)", &v.show_help,
                   ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings)) {
    constexpr const char* kKeys[][2] = {{"Space", "play / pause"},
                                        {"S", "pause and train one step"},
                                        {"R", "reset to the identical initial weights"},
                                        {"Ctrl+Z", "undo a reset, new seed, lesson opened or network removed"},
                                        {"B", "BatchNorm on/off in every layer of the selected network"},
                                        {"F", "fullscreen"},
                                        {"+ / −", "larger / smaller text"},
                                        {"H", "hide / show the controls"},
                                        {"Page Down / Up", "next / previous lesson (a presenter's remote)"},
                                        {"F1 or ?", "this help"}};
    if (ImGui::BeginTable("keys", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV)) {
      for (const auto& k : kKeys) {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(k[0]);
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(k[1]);
      }
      ImGui::EndTable();
    }
    ImGui::Separator();
    ImGui::PushTextWrapPos(ImGui::GetFontSize() * 36);
    ImGui::TextUnformatted(
        "Each network has one colour in every view. The default lesson is Ioffe & Szegedy (2015), Figure 1: "
        "two identical sigmoid networks on MNIST from the same initial weights and batches, one without and one "
        "with Batch Normalization. Watch the percentiles of one unit's input: without BN they drift and spread as "
        "the layers below learn (internal covariate shift); with BN they stay put. Shaded regions mark where the "
        "sigmoid saturates and its gradient vanishes. Drag the learning rate up until the plain network diverges.");
    ImGui::PopTextWrapPos();
  }
  ImGui::End();
}

// [SECTION] Frame

int tab_from_id(const std::string& id) {
  for (int t = 0; t < static_cast<int>(LabTab::Count); ++t)
    if (id == kTabIds[t]) return t;
  return -1;
}

void draw_lab(LabSession& lab, ViewOptions& v) {
  handle_shortcuts(lab, v);
  // Escape closes any popup (menus, combos, Save PNG): ImGui 1.86 does so only with keyboard
  // navigation on, which would also move focus with the arrow keys.
  if (v.escape && ImGui::IsPopupOpen("", ImGuiPopupFlags_AnyPopup)) ImGui::ClosePopupToLevel(0, true);
  v.popup_button = {};
  v.frame_items.clear();
  const std::shared_ptr<const LabState> state = lab.state();  // kept alive for the whole frame
  const LabState& s = *state;

  const ImGuiViewport* vp = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(vp->WorkPos);
  ImGui::SetNextWindowSize(vp->WorkSize);
  ImGui::Begin("bnlab", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoBackground);  // the app clears to WindowBg
  if (v.show_controls) {
    ImGui::PushFont(controls_font(v));
    ImGui::BeginChild("controls", ImVec2(ImGui::GetFontSize() * 21, 0), true);
    ImGui::PushItemWidth(-ImGui::GetFontSize() * 7.5f);  // room for labels such as "learning rate" at any text size
    panel_controls(lab, s, v);
    ImGui::PopItemWidth();
    ImGui::EndChild();
    ImGui::PopFont();
    ImGui::SameLine();
  }
  ImGui::BeginChild("views", ImVec2(0, 0), false);
  if (!s.data_notice.empty()) {  // the full MNIST is missing: never train on the subset silently
    ImGui::PushStyleColor(ImGuiCol_Text, v.dark ? IM_COL32(255, 110, 110, 255) : IM_COL32(190, 0, 0, 255));
    ImGui::TextWrapped("%s", s.data_notice.c_str());
    ImGui::PopStyleColor();
  }
  panel_lesson(lab, v);
  if (!s.ready) {
    ImGui::TextWrapped("%s", s.error.empty() ? "Loading data and building the networks…" : s.error.c_str());
  } else if (v.compact_tabs = !full_tab_names_fit(ImGui::GetContentRegionAvail().x);
             ImGui::BeginTabBar("tabs", ImGuiTabBarFlags_FittingPolicyScroll)) {
    // Tabs that do not fit even with their short names keep them whole and the bar scrolls
    // (arrows at its end): shrunk to fit, they read "F P H O" at 1280 pixels in presentation mode.
    const int requested = v.select_tab ? static_cast<int>(v.tab) : -1;  // read before the loop changes v.tab
    for (int t = 0; t < static_cast<int>(LabTab::Count); ++t) {
      // Selecting the persisted (or requested) tab once, on the first frame the tab bar is drawn;
      // the ID is the tab's, whichever name it shows.
      const std::string label = std::string(v.compact_tabs ? kTabShortNames[t] : kTabNames[t]) + "###" + kTabIds[t];
      const bool open = ImGui::BeginTabItem(label.c_str(), nullptr, requested == t ? ImGuiTabItemFlags_SetSelected : 0);
      if (ImGui::IsItemHovered()) tip((std::string(kTabNames[t]) + ": " + kTabTips[t]).c_str());
      v.frame_items.push_back({kTabIds[t], {ImGui::GetItemRectMin(), ImGui::GetItemRectMax()}});
      if (!open) continue;
      v.tab = static_cast<LabTab>(t);
      ImGui::BeginChild("tab", ImVec2(0, 0), false);
      v.png.view_min = ImGui::GetWindowPos();  // what "Save PNG ▸ this view" saves
      v.png.view_size = ImGui::GetWindowSize();
      switch (v.tab) {
        case LabTab::Figure1:
          figure1_toolbar(s, v);
          panel_figure1(s, v);
          break;
        case LabTab::Percentiles: panel_percentiles(s, v); break;
        case LabTab::Histograms: panel_histograms(s, v); break;
        case LabTab::OverTime: panel_over_time(s, v); break;
        case LabTab::Health: panel_health(s, v); break;
        case LabTab::Affine: panel_affine(s, v); break;
        case LabTab::WhyBn: panel_why_bn(lab, s, v); break;
        case LabTab::BnStrip: panel_bn_strip(s, v); break;
        case LabTab::Count: break;
      }
      ImGui::EndChild();
      ImGui::EndTabItem();
    }
    panel_export(lab, s, v);
    panel_png_export(s, v);
    ImGui::EndTabBar();
    v.select_tab = false;
  }
  plot_png_export(s, v);  // after every plot; the popup opens where the plot was clicked
  ImGui::EndChild();
  ImGui::End();
  panel_help(v);
}

}  // namespace bnlab
