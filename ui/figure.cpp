// figure.cpp — figure kinds, the CSV, and drawing a figure in the paper theme (see figure.h).
//
// [SECTION] Kinds
// [SECTION] CSV
// [SECTION] Drawing
// [SECTION] Rendering

#include "ui/figure.h"

#include <algorithm>
#include <cstdio>

#include "core/lessons.h"
#include "ui/lab_view.h"

namespace bnlab {

// [SECTION] Kinds

const std::vector<FigureKindInfo>& figure_kinds() {
  static const std::vector<FigureKindInfo> kinds = {
      {"paper-fig1",
       "Ioffe & Szegedy 2015, Figure 1: (a) test accuracy, (b, c) 15/50/85th percentiles of a typical last-layer "
       "sigmoid input, without and with BN"},
      {"histograms", "each layer's nonlinearity input as histograms at chosen steps (--at), networks side by side, "
                     "saturating regions shaded"},
      {"saturation", "the share of saturated units per layer over training, one panel per network"},
      {"lr-sweep", "test accuracy and train loss over training for every network, divergence marked"},
      {"generalization", "test and train accuracy of every network and the gap between them (lesson 14)"},
      {"ics", "internal covariate shift per layer, Santurkar et al.'s Definition 2.1: ‖G − G′‖ and cos(G, G′)"},
      {"landscape", "loss variation, gradient predictiveness and β-smoothness along the gradient (Santurkar et al.)"},
      {"overview", "any preset: test accuracy, train loss, and each network's typical last-layer unit (15/50/85th)"},
  };
  return kinds;
}

void check_figure_kind(const std::string& name) {
  std::string names;
  for (const auto& k : figure_kinds()) {
    if (name == k.name) return;
    names += names.empty() ? k.name : std::string(", ") + k.name;
  }
  throw ConfigError("unknown figure kind \"" + name + "\" (allowed: " + names + ")");
}

std::string default_figure_kind(const std::string& preset) {
  if (preset == "paper-fig1") return "paper-fig1";
  const std::optional<Lesson> lesson = lesson_of(preset);
  return lesson && !lesson->figure.empty() ? lesson->figure : std::string("overview");
}

// [SECTION] CSV

namespace {

// Commas and quotes in names (network names cannot hold them; series and panels are ours) are
// quoted as RFC 4180 says, so the file always parses.
std::string field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

void put_number(std::string& out, double v) {
  if (std::isnan(v)) return;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.7g", v);
  out += buf;
}

}  // namespace

std::string figure_csv(const Figure& fig) {
  std::string out = "figure,panel,network,series,x,value\n";
  for (const FigurePanel& p : fig.panels)
    for (const FigureSeries& s : p.series) {
      if (!s.csv) continue;
      const std::string head = field(fig.kind) + "," + field(p.id) + "," + field(s.network) + ",";
      auto row = [&](const std::string& name, size_t i, float v) {
        out += head + field(name) + ",";
        put_number(out, s.x[i]);
        out += ",";
        put_number(out, v);
        out += "\n";
      };
      for (size_t i = 0; i < s.x.size(); ++i) {
        if (s.kind == FigureSeries::Band) {
          row(s.name + "_lo", i, s.y[i]);
          row(s.name + "_hi", i, s.hi[i]);
        } else {
          row(s.name, i, s.kind == FigureSeries::Marker ? kNaN : s.y[i]);
        }
      }
    }
  return out;
}

// [SECTION] Drawing

namespace {

// The text size for a figure of this logical size: 28 px at 1600×900 (readable from the back of a
// lecture room once projected), smaller for small figures, never below 13 px.
int font_index_for(ImVec2 size) {
  const float want = std::min(size.x / 56.f, size.y / 22.f);
  int index = 0;
  for (int i = 0; i < kFontSizeCount; ++i)
    if (kFontSizes[i] <= want) index = i;
  return index;
}

void draw_panel(const FigurePanel& p, ImVec2 size, float base_width) {
  plot::Spec spec;
  spec.title = p.title.c_str();
  spec.x_label = p.x_label.c_str();
  spec.y_label = p.y_label.c_str();
  spec.y_log = p.y_log;
  spec.x_is_step = p.x_is_step;
  spec.x_min = p.x_min;
  spec.y_min = p.y_min;
  spec.y_max = p.y_max;
  spec.legend = p.legend;
  if (!plot::BeginPlot(("##" + p.id).c_str(), spec, size)) return;
  const ImU32 shade = IM_COL32(220, 40, 40, 34);
  for (const auto& [x0, x1] : p.shades) plot::PlotShadeX(p.shade_label.c_str(), x0, x1, shade);
  // Histogram outlines: two points per bin, alive until EndPlot. (series, 2·bins)
  std::vector<std::vector<double>> outline_x;
  std::vector<std::vector<float>> outline_y;
  for (const FigureSeries& s : p.series) {
    const int n = static_cast<int>(s.x.size());
    switch (s.kind) {
      case FigureSeries::Line:
        plot::PlotLine(s.label.c_str(), s.x.data(), s.y.data(), n, s.color, base_width * s.width);
        break;
      case FigureSeries::Band:
        plot::PlotBand(s.label.c_str(), s.x.data(), s.y.data(), s.hi.data(), n, s.color);
        break;
      case FigureSeries::Histogram: {
        const double w = n > 1 ? s.x[1] - s.x[0] : 1;
        auto& ox = outline_x.emplace_back();
        auto& oy = outline_y.emplace_back();
        for (int i = 0; i < n; ++i) {
          ox.insert(ox.end(), {s.x[i] - w / 2, s.x[i] + w / 2});
          oy.insert(oy.end(), {s.y[i], s.y[i]});
        }
        plot::PlotLine(s.label.c_str(), ox.data(), oy.data(), static_cast<int>(ox.size()), s.color, base_width * s.width);
        break;
      }
      case FigureSeries::Marker:
        plot::PlotMarkerX(s.label.c_str(), s.x[0], s.color);
        break;
    }
  }
  plot::EndPlot();
}

}  // namespace

void draw_figure(const Figure& fig) {
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  const int cols = std::max(1, fig.columns);
  const int rows = (static_cast<int>(fig.panels.size()) + cols - 1) / cols;
  ViewOptions v;  // the light theme: black text on white
  // A step smaller for every row beyond two, so that small panels keep room for their data.
  v.font_size = std::max(0, font_index_for(display) - std::max(0, rows - 2));
  apply_view(v, 1.f);
  ImGuiStyle& style = ImGui::GetStyle();
  const float fs = ImGui::GetFontSize();
  style.WindowPadding = ImVec2(fs * 0.6f, fs * 0.5f);
  style.ItemSpacing = ImVec2(fs * 1.2f, fs * 0.6f);

  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(display);
  ImGui::Begin("##figure", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoBackground | ImGuiWindowFlags_NoSavedSettings);
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float caption_h =
      fig.caption.empty() ? 0.f : ImGui::CalcTextSize(fig.caption.c_str(), nullptr, false, avail.x).y + style.ItemSpacing.y;
  const ImVec2 cell((avail.x - style.ItemSpacing.x * (cols - 1)) / cols,
                    (avail.y - caption_h - style.ItemSpacing.y * (rows - 1)) / std::max(1, rows));
  for (size_t i = 0; i < fig.panels.size(); ++i) {
    if (i % cols) ImGui::SameLine();
    draw_panel(fig.panels[i], cell, line_width(v));
  }
  if (!fig.caption.empty()) {
    ImGui::PushTextWrapPos(0.f);
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.15f, 0.15f, 0.15f, 1));
    ImGui::TextUnformatted(fig.caption.c_str());
    ImGui::PopStyleColor();
    ImGui::PopTextWrapPos();
  }
  ImGui::End();
}

// [SECTION] Rendering

Image render_figure(const Figure& fig, int width, int height, int scale, std::vector<PanelRect>* rects) {
  OffscreenSpec spec;
  spec.width = width;
  spec.height = height;
  spec.scale = scale;
  std::vector<plot::PlotRecord> records;
  Image img = render_offscreen(spec, [&] {
    draw_figure(fig);
    records = plot::GetCurrentContext()->frame_plots;
  });
  if (rects) {
    rects->clear();
    for (size_t i = 0; i < records.size() && i < fig.panels.size(); ++i) {
      const auto& r = records[i];
      rects->push_back({fig.panels[i].id, r.title, static_cast<int>(std::lround(r.min.x * scale)),
                        static_cast<int>(std::lround(r.min.y * scale)), static_cast<int>(std::lround(r.max.x * scale)),
                        static_cast<int>(std::lround(r.max.y * scale))});
    }
  }
  return img;
}

}  // namespace bnlab
