// panel_common.cpp — helpers shared by the panels.

#include "ui/panel_common.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace bnlab {

ImU32 network_color(const LabState& s, int net, const ViewOptions& v, float alpha) {
  const auto& nets = s.history.networks();
  return network_color(net >= 0 && net < static_cast<int>(nets.size()) ? nets[net].color : net, v, alpha);
}

void tip(const char* text) {
  if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) {  // a greyed-out control says why too
    ImGui::BeginTooltip();
    ImGui::PushTextWrapPos(ImGui::GetFontSize() * 24);
    ImGui::TextUnformatted(text);
    ImGui::PopTextWrapPos();
    ImGui::EndTooltip();
  }
}

void same_line_if_fits(float width, float spacing) {
  if (spacing < 0) spacing = ImGui::GetStyle().ItemSpacing.x;
  const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
  if (ImGui::GetItemRectMax().x + spacing + width <= right) ImGui::SameLine(0, spacing);
}

float toggle_width(const char* label) {
  return ImGui::GetFrameHeight() + ImGui::GetStyle().ItemInnerSpacing.x + ImGui::CalcTextSize(label).x;
}

ImVec2 grid_cell(int cols, int rows, float min_height) {
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const ImGuiStyle& st = ImGui::GetStyle();
  const float w = (avail.x - st.ItemSpacing.x * static_cast<float>(cols - 1)) / static_cast<float>(std::max(1, cols));
  const float h = (avail.y - st.ItemSpacing.y * static_cast<float>(rows - 1)) / static_cast<float>(std::max(1, rows));
  return ImVec2(std::floor(std::max(w, 120.f)), std::floor(std::max(h, min_height)));
}

void network_layer_grid(const LabState& s, float min_height, const std::string& suffix, const std::string& short_suffix,
                        const std::function<void(int n, int l, plot::Spec& spec, ImVec2 cell)>& draw) {
  const auto& nets = s.history.networks();
  const int count = static_cast<int>(nets.size());
  int layers = 0;
  for (const auto& n : nets) layers = std::max(layers, static_cast<int>(n.layers.size()));
  std::vector<std::string> titles, short_titles;  // (networks, layers); empty past a network's depth
  for (int n = 0; n < count; ++n)
    for (int l = 0; l < layers; ++l) {
      const NetworkConfig& cfg = s.active.networks[n];
      const bool has = l < static_cast<int>(nets[n].layers.size());
      titles.push_back(has ? cfg.name + ", " + layer_label(cfg, l) + suffix : "");
      short_titles.push_back(has ? cfg.name + ", " + layer_label_short(cfg, l) + short_suffix : "");
    }
  float min_width = ImGui::GetFontSize() * 8;  // a plot's axes; its title may span its whole width
  for (const std::string& t : short_titles) min_width = std::max(min_width, ImGui::CalcTextSize(t.c_str()).x);
  // Networks wrap into balanced groups (six as 3 + 3, not 5 + 1), each group with all its layers;
  // rows several groups deep scroll rather than shrink below what a plot's axes need.
  const float spacing = ImGui::GetStyle().ItemSpacing.x;
  const int fit = std::max(1, static_cast<int>((ImGui::GetContentRegionAvail().x + spacing) / (min_width + spacing)));
  const int groups = (count + fit - 1) / fit;
  const int per_row = (count + groups - 1) / groups;
  const ImVec2 cell = grid_cell(per_row, layers * groups, std::max(min_height, ImGui::GetFontSize() * 7));
  for (int first = 0; first < count; first += per_row) {
    for (int l = 0; l < layers; ++l) {
      for (int n = first; n < std::min(count, first + per_row); ++n) {
        if (n > first) ImGui::SameLine();
        const size_t k = static_cast<size_t>(n * layers + l);
        if (titles[k].empty()) {
          ImGui::Dummy(cell);
          continue;
        }
        plot::Spec spec;
        spec.title = titles[k].c_str();
        spec.title_short = short_titles[k].c_str();
        draw(n, l, spec, cell);
      }
    }
  }
}

void plot_series(const char* label, const Series& s, ImU32 color, float width) {
  plot::PlotLine(label, s.x(), s.mean(), s.size(), color, width);
}

void plot_series_band(const char* label, const Series& lo, const Series& hi, ImU32 color) {
  plot::PlotBand(label, lo.x(), lo.mean(), hi.mean(), std::min(lo.size(), hi.size()), color);
}

void plot_percentile_bands(const std::array<Series, 5>& pct, ImU32 color, const ViewOptions& v) {
  const ImVec4 c = ImGui::ColorConvertU32ToFloat4(color);
  auto alpha = [&](float a) { return ImGui::ColorConvertFloat4ToU32(ImVec4(c.x, c.y, c.z, a)); };
  // Three bands that do not overlap (2–15, 15–85, 85–98) rather than two that do: the same
  // picture with every pixel filled once.
  // On the dark theme faint colours sink into the background: more opaque there.
  const float faint = v.dark ? 0.28f : 0.15f, strong = v.dark ? 0.58f : 0.45f;
  plot_series_band("2nd-98th", pct[0], pct[1], alpha(faint));
  plot_series_band("2nd-98th", pct[3], pct[4], alpha(faint));
  plot_series_band("15th-85th", pct[1], pct[3], alpha(strong));
  plot_series("median", pct[2], color, line_width(v));
}

PercentileRanges percentile_ranges(const LabState& s, int layer, bool unit, YScale mode) {
  const auto& nets = s.history.networks();
  PercentileRanges r;
  r.y.assign(nets.size(), {INFINITY, -INFINITY});
  for (size_t n = 0; n < nets.size(); ++n) {
    if (layer >= static_cast<int>(nets[n].layers.size())) continue;
    const auto& pct = unit ? nets[n].layers[layer].unit_pct : nets[n].layers[layer].pct;
    auto& [lo, hi] = r.y[n];
    for (int i = 0; i < pct[0].size(); ++i)
      if (std::isfinite(pct[0].lo()[i])) lo = std::min(lo, static_cast<double>(pct[0].lo()[i]));
    for (int i = 0; i < pct[4].size(); ++i)
      if (std::isfinite(pct[4].hi()[i])) hi = std::max(hi, static_cast<double>(pct[4].hi()[i]));
  }
  double widest = 0, narrowest = INFINITY, lo_all = INFINITY, hi_all = -INFINITY;
  for (const auto& [lo, hi] : r.y) {
    if (!(hi > lo)) continue;
    widest = std::max(widest, hi - lo), narrowest = std::min(narrowest, hi - lo);
    lo_all = std::min(lo_all, lo), hi_all = std::max(hi_all, hi);
  }
  r.shared = mode == YScale::Shared || (mode == YScale::Auto && !(widest > kOwnScaleRatio * narrowest));
  for (auto& [lo, hi] : r.y) {
    if (r.shared) lo = lo_all, hi = hi_all;
    if (!(hi > lo)) {
      lo = hi = plot::kAuto;
      continue;
    }
    const double pad = 0.06 * (hi - lo);
    lo -= pad, hi += pad;
  }
  return r;
}

void y_scale_combo(ViewOptions& v) {
  const char* names[] = {"auto", "shared", "own"};
  int k = static_cast<int>(v.y_scale);
  ImGui::SetNextItemWidth(ImGui::CalcTextSize("shared").x + ImGui::GetFrameHeight() + ImGui::GetStyle().FramePadding.x * 2);
  if (ImGui::Combo("y scale", &k, names, 3)) v.y_scale = static_cast<YScale>(k);
  tip("The percentile plots' y axes. shared: one scale for every network, so drift compares by eye; own: each "
      "network's plot fits its own values; auto: shared unless one network's range is over ten times another's "
      "(then a shared scale flattens the narrow one into a line).");
}

void plot_histogram(const char* label, const Histogram& h, ImU32 color, std::vector<float>* shares, int slot, int slots) {
  if (h.counts.empty()) return;
  *shares = histogram_shares(h);
  const double w = (h.hi - h.lo) / static_cast<double>(h.counts.size());
  plot::PlotBars(label, h.lo, w, shares->data(), static_cast<int>(shares->size()), color, slot, slots);
}

void plot_histogram_outline(const char* label, const Histogram& h, ImU32 color, float width, std::vector<double>* xs,
                            std::vector<float>* shares) {
  if (h.counts.empty()) return;
  const std::vector<float> per_bin = histogram_shares(h);
  const size_t bins = h.counts.size();
  const double w = (h.hi - h.lo) / static_cast<double>(bins);
  xs->resize(2 * bins);
  shares->resize(2 * bins);
  for (size_t b = 0; b < bins; ++b) {
    const float share = per_bin[b];
    (*xs)[2 * b] = h.lo + w * static_cast<double>(b);
    (*xs)[2 * b + 1] = h.lo + w * static_cast<double>(b + 1);
    (*shares)[2 * b] = (*shares)[2 * b + 1] = share;
  }
  plot::PlotLine(label, xs->data(), shares->data(), static_cast<int>(xs->size()), color, width);
}

void network_legend_row(const LabState& s, const ViewOptions& v, const char* note) {
  for (size_t n = 0; n < s.active.networks.size(); ++n) {
    const std::string name = "■ " + s.active.networks[n].name;
    if (n) same_line_if_fits(ImGui::CalcTextSize(name.c_str()).x, ImGui::GetFontSize());
    const ImVec4 c = ImGui::ColorConvertU32ToFloat4(network_color(s, static_cast<int>(n), v));
    ImGui::TextColored(c, "%s", name.c_str());
  }
  if (note && *note) {
    // Beside the names when it gets a line's worth of room there, else on a line of its own: a
    // narrow column of seven wrapped lines would push the plots off the screen.
    const float spacing = ImGui::GetFontSize() * 1.5f;
    const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
    const float room = right - (ImGui::GetItemRectMax().x + spacing);
    if (room >= std::min(ImGui::CalcTextSize(note).x, ImGui::GetFontSize() * 24)) ImGui::SameLine(0, spacing);
    ImGui::PushTextWrapPos(0);
    ImGui::TextDisabled("%s", note);
    ImGui::PopTextWrapPos();
  }
}

const char* tap_label(int tap) {
  switch (tap) {
    case kTapPreNorm: return "pre-normalization x";
    case kTapNonlinIn: return "nonlinearity input";
    default: return "activation output";
  }
}

void plot_saturating_regions(Activation act, int tap) {
  double span[4];
  if (!saturating_spans(act, tap, span)) return;
  // A faint warning red; stronger on a dark background, where 30/255 of red barely shows.
  const bool dark_bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg].x < 0.5f;
  const ImU32 shade = IM_COL32(220, 40, 40, dark_bg ? 64 : 30);
  char label[64];
  std::snprintf(label, sizeof label, tap == kTapOutput ? "saturates (< %.2g or > %.2g)" : "saturates (|x| > %.2g)",
                tap == kTapOutput ? span[1] : span[2], span[2]);
  plot::PlotShadeX(label, span[0], span[1], shade);
  plot::PlotShadeX(label, span[2], span[3], shade);
}

void plot_event_markers(const LabState& s, const ViewOptions& v, int only) {
  const auto& nets = s.history.networks();
  const int count = static_cast<int>(std::min(nets.size(), s.active.networks.size()));
  for (const RunEvent& e : s.history.events()) {
    if (e.net >= count || (only >= 0 && e.net >= 0 && e.net != only)) continue;
    // On a plot of several networks a network's edit says whose it was.
    const std::string caption = e.net >= 0 && only < 0 ? s.active.networks[e.net].name + ": " + e.text : e.text;
    const ImU32 color = e.net >= 0 ? network_color(s, e.net, v, 0.8f) : ImGui::GetColorU32(ImGuiCol_Text, 0.6f);
    plot::PlotMarkerX(caption.c_str(), static_cast<double>(e.step), color, 1.5f);
  }
  for (int n = 0; n < count; ++n) {
    if (nets[n].diverged_at < 0 || (only >= 0 && n != only)) continue;
    const std::string caption = s.active.networks[n].name + " diverged at step " + with_thousands(nets[n].diverged_at);
    plot::PlotMarkerX(caption.c_str(), static_cast<double>(nets[n].diverged_at), network_color(s, n, v));
  }
}

std::string divergence_note(const LabState& s, int net) {
  const auto& nets = s.history.networks();
  if (net >= static_cast<int>(nets.size()) || nets[net].diverged_at < 0) return {};
  return "diverged at step " + with_thousands(nets[net].diverged_at) + " (last healthy snapshot: step " +
         with_thousands(nets[net].latest_step) + ")";
}

bool saturating_spans(Activation act, int tap, double span[4]) {
  if (tap == kTapPreNorm) return false;
  const bool out = tap == kTapOutput;
  switch (act) {
    case Activation::Sigmoid: {
      // σ(x) within 0.02 of 0 or 1 ⇔ |x| > ln(0.98/0.02) ≈ 3.89.
      const double x = std::log(0.98 / 0.02);
      span[0] = out ? 0 : -10;
      span[1] = out ? 0.02 : -x;
      span[2] = out ? 0.98 : x;
      span[3] = out ? 1 : 10;
      return true;
    }
    case Activation::Tanh: {
      const double x = std::atanh(0.97);  // ≈ 2.09
      span[0] = out ? -1 : -10;
      span[1] = out ? -0.97 : -x;
      span[2] = out ? 0.97 : x;
      span[3] = out ? 1 : 10;
      return true;
    }
    default:
      return false;
  }
}

namespace {
const char* norm_suffix(const NetworkConfig& n, int layer) {
  const Norm norm = layer < static_cast<int>(n.model.norm.size()) ? n.model.norm[layer] : Norm::None;
  return norm == Norm::Batch ? ", BN" : norm == Norm::Layer ? ", LN" : "";
}
}  // namespace

std::string layer_label(const NetworkConfig& n, int layer) {
  return "layer " + std::to_string(layer + 1) + " of " + std::to_string(n.model.hidden.size()) + " (" +
         std::to_string(n.model.hidden[layer]) + " " + to_string(n.model.activation) + norm_suffix(n, layer) + ")";
}

std::string layer_label_short(const NetworkConfig& n, int layer) {
  return "layer " + std::to_string(layer + 1) + norm_suffix(n, layer);
}

}  // namespace bnlab
