// panel_bn_strip.cpp — one mini-batch through BatchNorm at one unit: the "One batch" tab.
//
// [SECTION] Colours and numbers
// [SECTION] One network's strip
// [SECTION] The panel
//
// For the chosen layer, each network's strip (core/stats.h BatchStrip: the last training step's
// batch at the typical unit) as rows of dots on one shared x axis, one dot per example, coloured
// by its class, and a thin line joining each example's dots from row to row:
//   x           the unit's input W u (+ b), with μ_B marked and a bar from μ − σ to μ + σ;
//   x̂           (x − μ)/σ: the same dots, shifted to mean 0 and scaled to spread 1;
//   γx̂ + β      what the nonlinearity gets: scaled by γ and shifted to β (bar from β − γ to β + γ).
// One axis for the three rows, so the shift and the scale are seen, not only printed. A layer
// without BN has one row, x — which the nonlinearity gets as it is — with the batch's own mean
// and spread marked for reference; so does LayerNorm (it normalizes each example over its units:
// there is no batch μ, σ to show), and a diverged network gets a sentence instead.

#include <cmath>
#include <cstdio>

#include "ui/panel_common.h"

namespace bnlab {

namespace {

// [SECTION] Colours and numbers

// Ten classes (MNIST's digits), distinguishable on both themes: Tableau's ten, with the
// yellow and grey darkened enough to read on white.
constexpr ImU32 kClassColors[] = {IM_COL32(78, 121, 167, 255),  IM_COL32(242, 142, 43, 255), IM_COL32(225, 87, 89, 255),
                                  IM_COL32(118, 183, 178, 255), IM_COL32(89, 161, 79, 255),  IM_COL32(200, 165, 30, 255),
                                  IM_COL32(176, 122, 161, 255), IM_COL32(255, 130, 150, 255), IM_COL32(156, 117, 95, 255),
                                  IM_COL32(120, 110, 105, 255)};
constexpr int kClassColorCount = static_cast<int>(sizeof kClassColors / sizeof kClassColors[0]);

ImU32 class_color(int32_t label, float alpha = 1.f) {
  const int k = ((label % kClassColorCount) + kClassColorCount) % kClassColorCount;
  ImVec4 c = ImGui::ColorConvertU32ToFloat4(kClassColors[k]);
  c.w = alpha;
  return ImGui::ColorConvertFloat4ToU32(c);
}

// A number for the strip's captions: 3 significant digits, "−" for minus (as elsewhere in the lab).
std::string num(float v) {
  if (!std::isfinite(v)) return "—";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", static_cast<double>(v));
  std::string s = buf;
  if (!s.empty() && s[0] == '-') s = "−" + s.substr(1);
  return s;
}

// Pieces of text in a row, each moved to the next line where it would pass `right` (the cell's
// right edge, in screen pixels: never into the next cell); the first in `first_color` (a
// network's name), the rest in the text colour.
void text_pieces(const std::vector<std::string>& pieces, ImU32 first_color, float right) {
  const float spacing = ImGui::GetFontSize() * 0.9f;
  // A piece wider than the cell itself wraps at its spaces, at the cell's edge (window coordinates).
  ImGui::PushTextWrapPos(right - ImGui::GetWindowPos().x + ImGui::GetScrollX());
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (i && ImGui::GetItemRectMax().x + spacing + ImGui::CalcTextSize(pieces[i].c_str()).x <= right)
      ImGui::SameLine(0, spacing);
    if (i == 0) ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(first_color), "%s", pieces[i].c_str());
    else ImGui::TextUnformatted(pieces[i].c_str());
  }
  ImGui::PopTextWrapPos();
}

// [SECTION] One network's strip

// Rows from the bottom (the categorical y axis counts up): what the nonlinearity gets at the
// bottom, x on top, as the signal flows down the page.
constexpr const char* kBnRows[] = {"γx̂ + β", "x̂", "x"};
constexpr const char* kNoisyRows[] = {"γx̂ + β + noise", "x̂", "x"};  // noisy BN (bn.noise_mean/noise_std)
constexpr const char* kPlainRows[] = {"x"};

// The points of the strip, alive until EndPlot: dots (rows × m), their colours, the links between
// rows, the μ/σ marks.
struct StripDrawing {
  std::vector<double> dot_x, link_x, mark_x;
  std::vector<float> dot_y, link_y, mark_y;
  std::vector<ImU32> dot_color, link_color;

  // Row r's dots at values v (m), coloured by class.
  void row(const std::vector<float>& v, const std::vector<int32_t>& labels, float r) {
    for (size_t j = 0; j < v.size(); ++j) {
      dot_x.push_back(v[j]);
      dot_y.push_back(r);
      dot_color.push_back(class_color(j < labels.size() ? labels[j] : 0));
    }
  }
  // Each example's link from row `r0` (values a) to row `r1` (values b).
  void links(const std::vector<float>& a, float r0, const std::vector<float>& b, float r1,
             const std::vector<int32_t>& labels) {
    for (size_t j = 0; j < a.size() && j < b.size(); ++j) {
      link_x.insert(link_x.end(), {static_cast<double>(a[j]), static_cast<double>(b[j])});
      link_y.insert(link_y.end(), {r0, r1});
      link_color.push_back(class_color(j < labels.size() ? labels[j] : 0, 0.35f));
    }
  }
  // On row r: a tick at `centre` and a bar from centre − spread to centre + spread, just below
  // the dots, so the marks never hide one.
  void mark(double centre, double spread, float r) {
    const float below = r - 0.28f, tick = 0.14f;
    mark_x.insert(mark_x.end(), {centre - spread, centre + spread, centre, centre, centre - spread, centre - spread,
                                 centre + spread, centre + spread});
    mark_y.insert(mark_y.end(), {below, below, below - tick, below + tick, below - tick * 0.6f, below + tick * 0.6f,
                                 below - tick * 0.6f, below + tick * 0.6f});
  }
};

// The strip of network h's `layer` when there is one to draw (a healthy network after a step), else null.
const BatchStrip* shown_strip(const NetworkHistory& h, int layer) {
  if (layer >= static_cast<int>(h.latest.layers.size()) || h.diverged_at >= 0) return nullptr;
  const BatchStrip& st = h.latest.layers[layer].strip;
  return st.step >= 0 && !st.x.empty() ? &st : nullptr;
}

// Whether the strip has BN's three rows.
bool has_bn_rows(const BatchStrip* st) {
  return st && st->norm == Norm::Batch && st->xhat.size() == st->x.size() && st->y.size() == st->x.size();
}

// Network n's strip of `layer` in a cell `size` big (its caption lines, then the plot).
void network_strip(const LabState& s, const ViewOptions& v, int n, int layer, ImVec2 size) {
  const NetworkHistory& h = s.history.networks()[n];
  const NetworkConfig& nc = s.active.networks[n];
  const ImU32 color = network_color(s, n, v);
  const float fs = ImGui::GetFontSize();
  const BatchStrip* st = shown_strip(h, layer);
  const bool has = st != nullptr, bn = has_bn_rows(st);
  const bool noisy = bn && (nc.bn.noise_mean > 0 || nc.bn.noise_std > 0);  // the bottom row has the step's noise in it

  const ImVec2 start = ImGui::GetCursorPos();
  ImGui::BeginGroup();
  // Caption, one line where it fits: the network and the numbers its rows were made with (the
  // layer, unit and step are the same for every network: said once, above).
  std::vector<std::string> caption = {nc.name};
  if (bn) {
    for (std::string n : {"μ = " + num(st->mu), "σ = " + num(st->sigma), "γ = " + num(st->gamma), "β = " + num(st->beta)})
      caption.push_back(n);
    if (noisy) caption.push_back("noisy BN: the last row adds this step's noise");
  } else if (has && st->norm == Norm::None) {
    caption.push_back("no BN: the " + std::string(to_string(nc.model.activation)) + " gets x itself;");
    caption.push_back("bar: the batch's mean " + num(st->mu) + " ± std " + num(st->sigma) + ", for reference");
  } else if (has && st->norm == Norm::Layer) {
    caption.push_back("LayerNorm: normalizes each example over its units, not over the batch;");
    caption.push_back("bar: the batch's mean " + num(st->mu) + " ± std " + num(st->sigma) + ", for reference");
  }
  text_pieces(caption, color, ImGui::GetCursorScreenPos().x + size.x);
  const float used = ImGui::GetCursorPosY() - start.y;
  const ImVec2 plot_size(size.x, std::max(size.y - used, fs * 5.f));

  plot::Spec spec;
  const bool ln = has && st->norm == Norm::Layer;
  spec.title = noisy ? "x → x̂ = (x − μ)/σ → γx̂ + β + noise"
               : bn  ? "x → x̂ = (x − μ)/σ → γx̂ + β"
               : ln  ? "x = Wu + b, before LayerNorm"
                     : "x = Wu (+b)";
  spec.title_short = noisy ? "x → x̂ → γx̂ + β + noise" : bn ? "x → x̂ → γx̂ + β" : "x";
  spec.x_label = "value";
  spec.x_is_step = false;
  spec.legend = plot::Legend::Off;
  spec.y_tick_labels = noisy ? kNoisyRows : bn ? kBnRows : kPlainRows;
  spec.y_tick_count = bn ? 3 : 1;
  spec.y_min = -0.6;
  spec.y_max = spec.y_tick_count - 0.5;
  // What to draw, before BeginPlot: the x axis is set from it.
  StripDrawing d;
  std::string message;
  if (!has) {
    message = h.diverged_at >= 0 ? "diverged at step " + with_thousands(h.diverged_at) + ": no batch to show"
                                 : "no training step yet: press S to train one";
  } else if (bn) {
    d.links(st->x, 2, st->xhat, 1, st->labels);
    d.links(st->xhat, 1, st->y, 0, st->labels);
    d.row(st->x, st->labels, 2);
    d.row(st->xhat, st->labels, 1);
    d.row(st->y, st->labels, 0);
    d.mark(st->mu, st->sigma, 2);
    d.mark(0, 1, 1);
    d.mark(st->beta, std::abs(st->gamma), 0);
  } else {
    d.row(st->x, st->labels, 0);
    d.mark(st->mu, st->sigma, 0);
  }
  // The x axis a little wider than the dots and bars, so that the outermost dots are whole.
  double lo = INFINITY, hi = -INFINITY;
  for (const std::vector<double>* xs : {&d.dot_x, &d.mark_x})
    for (double x : *xs)
      if (std::isfinite(x)) lo = std::min(lo, x), hi = std::max(hi, x);
  if (hi > lo) {
    spec.x_min = lo - 0.03 * (hi - lo);
    spec.x_max = hi + 0.03 * (hi - lo);
  }
  if (!plot::BeginPlot(("##strip" + std::to_string(n)).c_str(), spec, plot_size)) {
    ImGui::EndGroup();
    return;
  }
  if (!message.empty()) plot::PlotMessage(message.c_str());
  const float radius = std::max(2.f, fs * 0.2f);
  plot::PlotSegments("##links", d.link_x.data(), d.link_y.data(), static_cast<int>(d.link_x.size()), 0, 1.f,
                     d.link_color.data());
  plot::PlotSegments("##marks", d.mark_x.data(), d.mark_y.data(), static_cast<int>(d.mark_x.size()),
                     ImGui::GetColorU32(ImGuiCol_Text), std::round(line_width(v)));
  plot::PlotDots("##dots", d.dot_x.data(), d.dot_y.data(), static_cast<int>(d.dot_x.size()), 0, radius, d.dot_color.data());
  plot::EndPlot();
  ImGui::EndGroup();
}

}  // namespace

// [SECTION] The panel

void panel_bn_strip(const LabState& s, ViewOptions& v) {
  const auto& nets = s.history.networks();
  if (nets.empty()) return;
  int layers = 0;
  for (const auto& n : s.active.networks) layers = std::max(layers, static_cast<int>(n.model.hidden.size()));
  if (layers == 0) return;
  if (v.strip_layer < 0 || v.strip_layer >= layers) v.strip_layer = layers - 1;  // the paper's: the last hidden layer

  // The layer, then the classes' colours: the legend of every strip below.
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("layer");
  for (int l = 0; l < layers; ++l) {
    ImGui::SameLine();
    const std::string label = std::to_string(l + 1) + "##strip_layer";
    if (ImGui::RadioButton(label.c_str(), v.strip_layer == l)) v.strip_layer = l;
    tip(("Show hidden layer " + std::to_string(l + 1) + "'s typical unit (stats.typical_unit).").c_str());
  }
  const float fs = ImGui::GetFontSize();
  // The unit and the batch, the same for every network (they train in lockstep on one batch).
  std::string batch = "unit " + std::to_string(s.active.stats.typical_unit);
  for (const auto& h : nets)
    if (const BatchStrip* st = shown_strip(h, v.strip_layer)) {
      batch += ", step " + with_thousands(st->step) + "'s batch of " + std::to_string(st->x.size());
      break;
    }
  same_line_if_fits(ImGui::CalcTextSize(batch.c_str()).x, fs);
  ImGui::TextUnformatted(batch.c_str());
  int classes = 0;
  for (const auto& h : nets)
    for (const LayerStats& l : h.latest.layers)
      for (int32_t y : l.strip.labels) classes = std::max(classes, y + 1);
  classes = std::min(classes, kClassColorCount);
  float legend = ImGui::CalcTextSize("class:").x;  // the whole legend on one line, here or on the next
  for (int k = 0; k < classes; ++k) legend += fs * 0.35f + ImGui::CalcTextSize(("●" + std::to_string(k)).c_str()).x;
  same_line_if_fits(legend, fs * 1.5f);
  ImGui::TextUnformatted("class:");
  for (int k = 0; k < classes; ++k) {
    const std::string digit = "●" + std::to_string(k);
    ImGui::SameLine(0, fs * 0.35f);
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(class_color(k)), "%s", digit.c_str());
  }
  ImGui::PushTextWrapPos(0);
  ImGui::TextDisabled("Each dot: one example of the last training batch at one unit; lines join an example's dots. "
                      "Bars: μ ± σ, 0 ± 1, β ± γ.");
  ImGui::PopTextWrapPos();
  tip("Batch Normalization (Ioffe & Szegedy 2015, Algorithm 1) on the mini-batch the last training step used, at the "
      "unit the Figure 1 plots follow (stats.typical_unit). x = Wu: the unit's input for each example; μ and σ = "
      "√(σ²_B + ε) are this batch's mean and spread. x̂ = (x − μ)/σ: the same dots shifted to mean 0 and scaled to "
      "spread 1. γx̂ + β: scaled by γ and shifted to β, what the nonlinearity gets. One axis for the three rows, so "
      "the shift and the scale show. Updated at every snapshot.");

  const int count = static_cast<int>(nets.size());
  const int cols = count <= 2 ? 1 : 2, rows = (count + cols - 1) / cols;
  const ImVec2 cell = grid_cell(cols, rows, fs * 6.5f);
  // Networks one above the other (one or two): the height shared out by rows of dots, so that a
  // plain network's single row does not take as much room as BN's three.
  std::vector<float> heights(static_cast<size_t>(count), cell.y);
  if (cols == 1) {
    const ImGuiStyle& style = ImGui::GetStyle();
    const float fixed = fs + style.ItemSpacing.y + fs * 4.f;  // a caption line, the plot's title and x axis
    float dot_rows = 0;
    for (int n = 0; n < count; ++n) dot_rows += (has_bn_rows(shown_strip(nets[n], v.strip_layer)) ? 3.f : 1.f) + 1.2f;
    const float avail = ImGui::GetContentRegionAvail().y - style.ItemSpacing.y * static_cast<float>(count - 1);
    const float per_row = std::max(fs * 1.2f, (avail - fixed * static_cast<float>(count)) / dot_rows);
    for (int n = 0; n < count; ++n)
      heights[n] = std::floor(fixed + per_row * ((has_bn_rows(shown_strip(nets[n], v.strip_layer)) ? 3.f : 1.f) + 1.2f));
  }
  for (int n = 0; n < count; ++n) {
    if (n % cols) ImGui::SameLine();
    network_strip(s, v, n, v.strip_layer, ImVec2(cell.x, heights[n]));
  }
}

}  // namespace bnlab
