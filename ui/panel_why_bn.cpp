// panel_why_bn.cpp — the "Why BN works" tab: Santurkar et al. 2018's measurements live, for
// every network. Top row: the landscape along the gradient (loss variation, gradient
// predictiveness, effective β-smoothness); below, internal covariate shift per layer as their
// Definition 2.1 measures it (‖G − G′‖ and cos(G, G′)). Under each plot, one line saying what a
// smaller or larger value means. The meters' frequency is a control (landscape.every).

#include <cstdio>

#include "ui/panel_common.h"

namespace bnlab {

namespace {

constexpr int64_t kEveryChoices[] = {0, 10, 100, 1000};

std::string every_text(int64_t every) {
  return every == 0 ? std::string("off") : "every " + std::to_string(every) + " steps";
}

// off / every 10 / 100 / 1000 steps: applied live (LabSession::configure).
void frequency_control(LabSession& lab, const LabState& s) {
  const int64_t every = s.active.landscape.every;
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
  if (ImGui::BeginCombo("meters", every_text(every).c_str())) {
    for (int64_t choice : kEveryChoices)
      if (ImGui::Selectable(every_text(choice).c_str(), choice == every)) {
        RunConfig d = lab.desired();
        d.landscape.every = choice;
        lab.configure(d);
      }
    ImGui::EndCombo();
  }
  tip("How often the meters measure, at the current parameters on the next update's mini-batch. Each "
      "measurement costs about as many forward and backward passes as there are step sizes, plus two "
      "(7 for the paper's network): every 100 steps costs about a tenth of the training speed.");
}

// A plot's caption: one line in the dimmed text colour under it, clipped to the plot's width so
// that a narrow window never widens the grid.
void caption(const char* text, float width) {
  const ImVec2 at = ImGui::GetCursorScreenPos();
  const float h = ImGui::GetTextLineHeight();
  const ImVec4 clip(at.x, at.y, at.x + width, at.y + h);
  ImGui::GetWindowDrawList()->AddText(ImGui::GetFont(), ImGui::GetFontSize(), at, ImGui::GetColorU32(ImGuiCol_TextDisabled),
                                      text, nullptr, 0.f, &clip);
  ImGui::Dummy(ImVec2(width, h));
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", text);  // the whole line when it is clipped
}

// Every network's band between two meters, with its edges as thin lines.
void plot_meter_band(const LabState& s, const ViewOptions& v, Series NetworkHistory::*lo, Series NetworkHistory::*hi) {
  const auto& nets = s.history.networks();
  for (size_t n = 0; n < nets.size(); ++n) {
    const int net = static_cast<int>(n);
    const std::string& name = s.active.networks[n].name;
    plot_series_band(("##band" + name).c_str(), nets[n].*lo, nets[n].*hi, network_color(s, net, v, 0.22f));
    plot_series((name + " min").c_str(), nets[n].*lo, network_color(s, net, v), 0.6f * line_width(v));
    plot_series((name + " max").c_str(), nets[n].*hi, network_color(s, net, v), 0.6f * line_width(v));
  }
}

bool any_measured(const LabState& s) {
  for (const auto& n : s.history.networks())
    if (!n.beta_smooth.empty()) return true;
  return false;
}

void no_data_message(const LabState& s) {
  if (any_measured(s)) return;
  plot::PlotMessage(s.active.landscape.every == 0 ? "the meters are off: choose a frequency above"
                                                  : "waiting for the first measurement");
}

}  // namespace

void panel_why_bn(LabSession& lab, const LabState& s, const ViewOptions& v) {
  const auto& nets = s.history.networks();
  if (nets.empty()) return;
  frequency_control(lab, s);
  ImGui::SameLine();
  network_legend_row(s, v, "Santurkar et al. 2018: along the gradient g (top) and per layer (below)");

  size_t layers = 0;
  for (const auto& n : nets) layers = std::max(layers, n.ics.size());
  const int cols = std::max(3, static_cast<int>(layers) - 1);
  const float line = ImGui::GetTextLineHeightWithSpacing();
  ImVec2 cell = grid_cell(cols, 3, 150);
  cell.y -= line;  // room for each plot's caption
  const ImVec2 top_cell(ImGui::GetContentRegionAvail().x / 3 - ImGui::GetStyle().ItemSpacing.x * 2 / 3, cell.y);

  struct Landscape {
    const char* id;
    const char* title;
    const char* title_short;
    const char* y_label;
    const char* caption;
  };
  const Landscape kTop[] = {
      {"##why_loss", "loss landscape: L(θ − ηg) over η", "loss landscape", "loss",
       "Narrower: loss more predictable."},
      {"##why_gradpred", "gradient predictiveness over η", "gradient predictiveness", "‖Δ∇L‖",
       "Smaller: gradient more reliable."},
      {"##why_beta", "effective β-smoothness", "β-smoothness", "β",
       "Smaller: a smoother landscape."}};
  for (int k = 0; k < 3; ++k) {
    if (k) ImGui::SameLine();
    ImGui::BeginGroup();
    plot::Spec spec;
    spec.title = kTop[k].title;
    spec.title_short = kTop[k].title_short;
    spec.x_label = "training step";
    spec.y_label = kTop[k].y_label;
    spec.y_log = true;
    spec.legend = plot::Legend::Off;  // the row above names the networks
    if (plot::BeginPlot(kTop[k].id, spec, top_cell)) {
      if (k == 0) plot_meter_band(s, v, &NetworkHistory::loss_min, &NetworkHistory::loss_max);
      if (k == 1) plot_meter_band(s, v, &NetworkHistory::gradpred_min, &NetworkHistory::gradpred_max);
      if (k == 2)
        for (size_t n = 0; n < nets.size(); ++n)
          plot_series(s.active.networks[n].name.c_str(), nets[n].beta_smooth, network_color(s, static_cast<int>(n), v),
                      line_width(v));
      no_data_message(s);
      plot_event_markers(s, v);
      plot::EndPlot();
    }
    caption(kTop[k].caption, top_cell.x);
    ImGui::EndGroup();
  }

  // ICS per layer from layer 2 on: layer 1 has no layer before it, so G′ = G by definition.
  for (int row = 0; row < 2; ++row)
    for (size_t l = 1; l < layers; ++l) {
      if (l > 1) ImGui::SameLine();
      ImGui::BeginGroup();
      const std::string layer = l + 1 == layers ? "output layer" : "layer " + std::to_string(l + 1);
      const std::string title = (row == 0 ? "ICS ‖G − G′‖, " : "ICS cos(G, G′), ") + layer;
      plot::Spec spec;
      spec.title = title.c_str();
      spec.x_label = "training step";
      spec.y_label = row == 0 ? "‖G−G′‖" : "cosine";
      spec.y_log = row == 0;
      spec.legend = plot::Legend::Off;
      if (plot::BeginPlot(("##why_ics" + std::to_string(row) + "_" + std::to_string(l)).c_str(), spec, cell)) {
        for (size_t n = 0; n < nets.size(); ++n) {
          if (l >= nets[n].ics.size()) continue;
          const IcsHistory& h = nets[n].ics[l];
          plot_series(s.active.networks[n].name.c_str(), row == 0 ? h.l2 : h.cos, network_color(s, static_cast<int>(n), v),
                      line_width(v));
        }
        no_data_message(s);
        plot_event_markers(s, v);
        plot::EndPlot();
      }
      caption(row == 0 ? "Larger: more shift from below."
                       : "1: no shift; lower: more shift.",
              cell.x);
      ImGui::EndGroup();
    }
}

}  // namespace bnlab
