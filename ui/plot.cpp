// plot.cpp — the plot module (see plot.h).
//
// [SECTION] Context
// [SECTION] Ticks
// [SECTION] Axes: fitting data and mapping to pixels
// [SECTION] Begin/End
// [SECTION] Drawing items
// [SECTION] Legend and hover readout
// [SECTION] Recording items

#include "ui/plot.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include <imgui_internal.h>

namespace bnlab::plot {

namespace {

Context* g_ctx = nullptr;  // the current context, as ImGui's own GImGui

bool finite(double v) { return std::isfinite(v); }

}  // namespace

// [SECTION] Context

Context* CreateContext() {
  auto* c = new Context();
  if (!g_ctx) g_ctx = c;
  return c;
}
void DestroyContext(Context* ctx) {
  if (g_ctx == ctx) g_ctx = nullptr;
  delete ctx;
}
void SetCurrentContext(Context* ctx) { g_ctx = ctx; }
Context* GetCurrentContext() { return g_ctx; }

void NewFrame() {
  g_ctx->frame_plots.clear();
  g_ctx->hover = Hover{};
  g_ctx->clicked_plot = -1;
}

std::string FitText(const char* text, float max_width) {
  std::string cut = text;
  if (ImGui::CalcTextSize(text).x <= max_width) return cut;
  do {
    while (!cut.empty() && (static_cast<unsigned char>(cut.back()) & 0xC0) == 0x80) cut.pop_back();  // UTF-8 continuation
    if (!cut.empty()) cut.pop_back();
  } while (!cut.empty() && ImGui::CalcTextSize((cut + "…").c_str()).x > max_width);
  return cut + "…";
}

// [SECTION] Ticks

std::vector<double> NiceTicks(double lo, double hi, int target) {
  std::vector<double> ticks;
  if (!(hi > lo) || !finite(lo) || !finite(hi)) return ticks;
  const double raw = (hi - lo) / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double frac = raw / mag;
  const double step = (frac < 1.5 ? 1 : frac < 3.5 ? 2 : frac < 7.5 ? 5 : 10) * mag;
  // k·step rather than a running sum, so ticks carry no accumulated rounding.
  for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; ++k) ticks.push_back(k == 0 ? 0.0 : k * step);
  return ticks;
}

std::string FormatTick(double v, double spacing, bool is_step) {
  char buf[32];
  const double a = std::abs(v);
  if (is_step && a >= 1e6) {
    std::snprintf(buf, sizeof buf, spacing >= 1e6 ? "%.0fM" : "%.1fM", v / 1e6);
  } else if (is_step && (a >= 1e4 || (a >= 1e3 && spacing >= 1e3))) {
    // Ticks 1000 or more apart are all in k (0, 5k, 10k), not "5000" beside "10k".
    std::snprintf(buf, sizeof buf, spacing >= 1e3 ? "%.0fk" : "%.1fk", v / 1e3);
  } else if (a != 0 && (a < 1e-4 || a >= 1e6)) {
    std::snprintf(buf, sizeof buf, "%.0e", v);
  } else {
    // Enough decimals to tell neighbouring ticks apart.
    const int decimals = spacing >= 1 ? 0 : std::min(6, static_cast<int>(std::ceil(-std::log10(spacing) - 1e-9)));
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  }
  return buf;
}

// [SECTION] Axes: fitting data and mapping to pixels

namespace {

struct Range {
  double lo = INFINITY, hi = -INFINITY;
  void add(double v) {
    if (!finite(v)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool valid() const { return lo <= hi; }
};

// The data window of the plot being drawn; y in log10 units on a log axis.
struct Axes {
  double x0, x1, y0, y1;
  bool y_log;
  ImVec2 min, max;  // the data area in pixels
  float px(double x) const { return min.x + static_cast<float>((x - x0) / (x1 - x0)) * (max.x - min.x); }
  float py(double y) const {
    const double t = y_log ? (y > 0 ? std::log10(y) : -INFINITY) : y;
    return max.y - static_cast<float>((t - y0) / (y1 - y0)) * (max.y - min.y);
  }
  double x_at(float px_) const { return x0 + (px_ - min.x) / (max.x - min.x) * (x1 - x0); }
  double y_at(float py_) const {
    const double t = y0 + (max.y - py_) / (max.y - min.y) * (y1 - y0);
    return y_log ? std::pow(10.0, t) : t;
  }
};

void fit_y(Range& r, double v, bool log) { r.add(log ? (v > 0 ? std::log10(v) : NAN) : v); }

// Fits the axes to the items, then applies the spec's fixed limits.
Axes fit(const Context& c, ImVec2 min, ImVec2 max) {
  Range x, y;
  const bool log = c.spec.y_log;
  for (const Item& it : c.items) {
    switch (it.kind) {
      case Item::Line:
      case Item::Band:
        for (int i = 0; i < it.count; ++i) {
          const bool any = finite(it.ys[i]) || (it.hi && finite(it.hi[i]));
          if (!any) continue;
          x.add(it.xs[i]);
          fit_y(y, it.ys[i], log);
          if (it.hi) fit_y(y, it.hi[i], log);
        }
        break;
      case Item::Bars:
        x.add(it.a);
        x.add(it.a + it.b * it.count);
        for (int i = 0; i < it.count; ++i) fit_y(y, it.ys[i], log);
        if (!log) y.add(0);
        break;
      case Item::Heatmap:
        for (int i = 0; i < it.count; ++i) x.add(it.xs[i]);
        fit_y(y, it.a, log);
        fit_y(y, it.b, log);
        break;
      case Item::Dots:
      case Item::Segments:
        for (int i = 0; i < it.count; ++i)
          if (finite(it.xs[i]) && finite(it.ys[i])) {
            x.add(it.xs[i]);
            fit_y(y, it.ys[i], log);
          }
        break;
      default:
        break;
    }
  }
  if (!x.valid()) x = {0, 1};
  if (!y.valid()) y = {0, 1};
  if (x.hi - x.lo < 1e-12) {
    // One x only (e.g. the step-0 snapshot): an axis of steps does not reach below step 0.
    if (!(c.spec.x_is_step && x.lo >= 0)) x.lo -= 1;
    x.hi += 1;
  }
  if (y.hi - y.lo < 1e-12 * std::max(1.0, std::abs(y.hi))) {
    const double pad = std::max(0.5, std::abs(y.hi) * 0.1);
    y.lo -= pad;
    y.hi += pad;
  } else {
    const double pad = 0.05 * (y.hi - y.lo);
    y.lo -= pad;
    y.hi += pad;
  }
  const Spec& s = c.spec;
  Axes a{finite(s.x_min) ? s.x_min : x.lo, finite(s.x_max) ? s.x_max : x.hi,
         finite(s.y_min) ? (log ? std::log10(s.y_min) : s.y_min) : y.lo,
         finite(s.y_max) ? (log ? std::log10(s.y_max) : s.y_max) : y.hi, log, min, max};
  if (!(a.x1 > a.x0)) a.x1 = a.x0 + 1;
  if (!(a.y1 > a.y0)) a.y1 = a.y0 + 1;
  return a;
}

ImU32 with_alpha(ImU32 c, float alpha) {
  ImVec4 v = ImGui::ColorConvertU32ToFloat4(c);
  v.w *= alpha;
  return ImGui::ColorConvertFloat4ToU32(v);
}

// Text rotated a quarter turn counter-clockwise, centred on `centre` (the y-axis label). ImGui
// draws text only horizontally, so the glyph quads are drawn and then their vertices rotated.
void add_vertical_text(ImDrawList* dl, ImVec2 centre, ImU32 col, const char* text) {
  const ImVec2 size = ImGui::CalcTextSize(text);
  const int first = dl->VtxBuffer.Size;
  // Glyphs are placed horizontally first, from the screen's left edge (AddText culls glyphs off
  // the screen, and a label centred on a plot at the left edge would reach past it), then turned
  // about the horizontal text's centre onto `centre`.
  const ImVec2 flat(size.x * 0.5f, centre.y);
  dl->PushClipRectFullScreen();
  dl->AddText(ImVec2(0, centre.y - size.y * 0.5f), col, text);
  dl->PopClipRect();
  for (int i = first; i < dl->VtxBuffer.Size; ++i) {
    ImVec2& p = dl->VtxBuffer[i].pos;
    const float dx = p.x - flat.x, dy = p.y - flat.y;
    p = ImVec2(centre.x + dy, centre.y - dx);
  }
}

void dashed_vline(ImDrawList* dl, float x, float y0, float y1, ImU32 col, float thickness) {
  const float dash = 6.f * thickness;
  for (float y = y0; y < y1; y += 2 * dash) dl->AddLine(ImVec2(x, y), ImVec2(x, std::min(y + dash, y1)), col, thickness);
}

}  // namespace

// [SECTION] Begin/End

bool BeginPlot(const char* id, const Spec& spec, ImVec2 size) {
  Context& c = *g_ctx;
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  if (size.x <= 0) size.x = std::max(avail.x + size.x, 50.f);
  if (size.y <= 0) size.y = std::max(avail.y + size.y, 50.f);
  const ImVec2 p = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton(id, size);
  if (!ImGui::IsItemVisible()) return false;
  c.spec = spec;
  c.frame_min = p;
  c.frame_max = ImVec2(p.x + size.x, p.y + size.y);
  c.hovered = ImGui::IsItemHovered();
  c.items.clear();
  return true;
}

namespace {

// [SECTION] Drawing items

// A line through finite points, reduced to at most one vertical min/max segment per pixel column
// (first, min, max, last of the column, in that order, so the line still joins its neighbours).
// NaN breaks the line.
void draw_line(ImDrawList* dl, const Axes& ax, const Item& it, std::vector<ImVec2>& pts) {
  const double* xs = it.xs;
  // Only the visible stretch, plus one point either side so the line reaches the edges.
  int i0 = static_cast<int>(std::lower_bound(xs, xs + it.count, ax.x0) - xs) - 1;
  int i1 = static_cast<int>(std::upper_bound(xs, xs + it.count, ax.x1) - xs) + 1;
  i0 = std::max(i0, 0);
  i1 = std::min(i1, it.count);
  pts.clear();
  // Whole-pixel thickness: ImGui then draws anti-aliased lines from its font atlas's line texture,
  // two triangles a segment instead of six — on a software rasterizer the triangle count is most
  // of a line's cost. Each segment is drawn on its own: a polyline's mitred joins fold over at the
  // sharp turns of noisy data (a spike up and straight down) and leave gaps in the line.
  const float thickness = std::max(1.f, std::round(it.thickness));
  // A line identical to others is drawn in dashes that take turns with theirs (slot `dash_slot`
  // of every `dash_of` dashes), so each colour shows where the curves coincide.
  const float dash = thickness * 6.f;
  auto segment = [&](ImVec2 a, ImVec2 b) {
    if (it.dash_of < 2) {
      dl->AddLine(a, b, it.color, thickness);
      return;
    }
    const float x_lo = std::min(a.x, b.x), x_hi = std::max(a.x, b.x);
    for (float d = std::floor(x_lo / dash); d * dash <= x_hi; d += 1) {
      if (static_cast<int>(std::fmod(d, static_cast<float>(it.dash_of))) != it.dash_slot) continue;
      // The part of a→b whose x lies in dash d (all of it for a vertical stretch in this column).
      const float t0 = x_hi > x_lo ? std::clamp((d * dash - a.x) / (b.x - a.x), 0.f, 1.f) : 0.f;
      const float t1 = x_hi > x_lo ? std::clamp(((d + 1) * dash - a.x) / (b.x - a.x), 0.f, 1.f) : 1.f;
      const float u0 = std::min(t0, t1), u1 = std::max(t0, t1);
      if (u1 > u0 || x_hi == x_lo)
        dl->AddLine(ImVec2(a.x + (b.x - a.x) * u0, a.y + (b.y - a.y) * u0), ImVec2(a.x + (b.x - a.x) * u1, a.y + (b.y - a.y) * u1),
                    it.color, thickness);
    }
  };
  auto flush = [&] {
    for (size_t k = 1; k < pts.size(); ++k)
      if (pts[k].x != pts[k - 1].x || pts[k].y != pts[k - 1].y) segment(pts[k - 1], pts[k]);
    if (pts.size() == 1) dl->AddCircleFilled(pts[0], thickness * 1.5f, it.color, 8);
    pts.clear();
  };
  float col_x = -INFINITY, first = 0, lo = 0, hi = 0, last = 0;
  int col_n = 0;
  auto emit_column = [&] {
    if (col_n == 0) return;
    pts.push_back(ImVec2(col_x, first));
    if (col_n > 1) {
      // Vertical extent of the column, drawn in the order that keeps the path monotone-ish.
      if (first <= last) {
        pts.push_back(ImVec2(col_x, lo));
        pts.push_back(ImVec2(col_x, hi));
      } else {
        pts.push_back(ImVec2(col_x, hi));
        pts.push_back(ImVec2(col_x, lo));
      }
      pts.push_back(ImVec2(col_x, last));
    }
    col_n = 0;
  };
  for (int i = i0; i < i1; ++i) {
    const float y = it.ys[i];
    if (!std::isfinite(y) || (ax.y_log && y <= 0)) {
      emit_column();
      flush();
      continue;
    }
    const float x = ax.px(xs[i]), py = ax.py(y);
    const float column = std::floor(x);
    if (col_n && column == col_x) {
      lo = std::min(lo, py);
      hi = std::max(hi, py);
      last = py;
      ++col_n;
    } else {
      emit_column();
      col_x = column;
      first = lo = hi = last = py;
      col_n = 1;
    }
  }
  emit_column();
  flush();
}

// Lines with the same points as another (two networks that train alike: lesson 6's train loss)
// would hide all but the last drawn: each group of identical lines shares dashes (Item::dash_of).
void mark_identical_lines(std::vector<Item>& items) {
  auto same = [](const Item& a, const Item& b) {
    if (a.count != b.count) return false;
    for (int i = 0; i < a.count; ++i) {
      if (a.xs[i] != b.xs[i]) return false;
      const float y = a.ys[i], z = b.ys[i];
      if (!(y == z || (std::isnan(y) && std::isnan(z)) || std::abs(y - z) <= 1e-6f * std::max(std::abs(y), std::abs(z))))
        return false;
    }
    return true;
  };
  for (Item& it : items) it.dash_of = it.dash_slot = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].kind != Item::Line || items[i].dash_of || items[i].count < 2) continue;
    std::vector<Item*> group{&items[i]};
    for (size_t j = i + 1; j < items.size(); ++j)
      if (items[j].kind == Item::Line && !items[j].dash_of && same(items[i], items[j])) group.push_back(&items[j]);
    for (size_t k = 0; k < group.size(); ++k) {
      group[k]->dash_of = static_cast<int>(group.size());
      group[k]->dash_slot = static_cast<int>(k);
    }
  }
}

// A band as trapezoids between neighbouring points, reduced to columns a few pixels wide.
constexpr float kBandColumn = 4.f;
void draw_band(ImDrawList* dl, const Axes& ax, const Item& it, std::vector<ImVec2>& pts) {
  // pts holds (x, top) and the bottom in a second half: (columns) each.
  std::vector<float> bottom;
  pts.clear();
  const ImDrawListFlags flags = dl->Flags;
  dl->Flags &= ~ImDrawListFlags_AntiAliasedFill;  // anti-aliased fringes would show seams between quads
  auto flush = [&] {
    for (size_t k = 1; k < pts.size(); ++k)
      dl->AddQuadFilled(ImVec2(pts[k - 1].x, pts[k - 1].y), ImVec2(pts[k].x, pts[k].y), ImVec2(pts[k].x, bottom[k]),
                        ImVec2(pts[k - 1].x, bottom[k - 1]), it.color);
    if (pts.size() == 1)
      dl->AddRectFilled(ImVec2(pts[0].x - 1.5f, pts[0].y), ImVec2(pts[0].x + 1.5f, bottom[0]), it.color);
    pts.clear();
    bottom.clear();
  };
  for (int i = 0; i < it.count; ++i) {
    const float l = it.ys[i], h = it.hi[i];
    if (!std::isfinite(l) || !std::isfinite(h) || (ax.y_log && l <= 0)) {
      flush();
      continue;
    }
    // Columns of kBandColumn pixels: a band is drawn as one quad per column, and on a software
    // rasterizer each thin quad costs about what a wide one does.
    const float x = std::floor(ax.px(it.xs[i]) / kBandColumn) * kBandColumn, top = ax.py(h), bot = ax.py(l);
    if (!pts.empty() && pts.back().x == x) {
      pts.back().y = std::min(pts.back().y, top);
      bottom.back() = std::max(bottom.back(), bot);
    } else {
      pts.push_back(ImVec2(x, top));
      bottom.push_back(bot);
    }
  }
  flush();
  dl->Flags = flags;
}

void draw_bars(ImDrawList* dl, const Axes& ax, const Item& it) {
  const float base = ax.y_log ? ax.max.y : ax.py(0);
  for (int i = 0; i < it.count; ++i) {
    if (!std::isfinite(it.ys[i]) || it.ys[i] == 0) continue;
    const double slot = static_cast<double>(it.rows) / it.vmax, next = (it.rows + 1.0) / it.vmax;
    const float x0 = ax.px(it.a + it.b * (i + slot)), x1 = ax.px(it.a + it.b * (i + next));
    const float y = ax.py(it.ys[i]);
    dl->AddRectFilled(ImVec2(x0, std::min(y, base)), ImVec2(std::max(x1 - 1.f, x0 + 1.f), std::max(y, base)), it.color);
  }
}

// Cells with the same colour level in a column merge into one rectangle, and empty cells are not
// drawn: a sparse histogram over time costs a few rectangles per column. Columns narrower than
// kMinColumn pixels are drawn in groups, each group as its latest column: a plot never draws more
// columns than it has room for, and on a software rasterizer every rectangle counts.
void draw_heatmap(ImDrawList* dl, const Axes& ax, const Item& it) {
  constexpr int kLevels = 16;
  constexpr float kMinColumn = 2.f;
  const float cell_h = static_cast<float>((it.b - it.a) / it.rows);
  int stride = 1;
  if (it.count > 1) {
    const float avg = (ax.px(it.xs[it.count - 1]) - ax.px(it.xs[0])) / static_cast<float>(it.count - 1);
    if (avg > 0 && avg < kMinColumn) stride = static_cast<int>(std::ceil(kMinColumn / avg));
  }
  auto left_edge = [&](int c) {
    return c > 0 ? 0.5 * (it.xs[c - 1] + it.xs[c]) : it.xs[c] - (it.count > 1 ? 0.5 * (it.xs[1] - it.xs[0]) : 0.5);
  };
  auto right_edge = [&](int c) {
    return c + 1 < it.count ? 0.5 * (it.xs[c] + it.xs[c + 1]) : it.xs[c] + (it.count > 1 ? 0.5 * (it.xs[c] - it.xs[c - 1]) : 0.5);
  };
  for (int g = 0; g < it.count; g += stride) {
    const int c = std::min(g + stride, it.count) - 1;  // the group's latest column stands for it
    const float x0 = ax.px(left_edge(g)), x1 = std::max(ax.px(right_edge(c)), x0 + 1.f);
    if (x1 < ax.min.x || x0 > ax.max.x) continue;
    const float* col = it.ys + static_cast<size_t>(c) * it.rows;
    int r = 0;
    while (r < it.rows) {
      const float v = std::isfinite(col[r]) ? col[r] : 0.f;
      const int level = std::min(kLevels, static_cast<int>(std::ceil(std::sqrt(std::max(0.f, v) / it.vmax) * kLevels)));
      int end = r + 1;
      while (end < it.rows) {
        const float w = std::isfinite(col[end]) ? col[end] : 0.f;
        if (std::min(kLevels, static_cast<int>(std::ceil(std::sqrt(std::max(0.f, w) / it.vmax) * kLevels))) != level) break;
        ++end;
      }
      if (level > 0) {
        const float y_bottom = ax.py(it.a + cell_h * r), y_top = ax.py(it.a + cell_h * end);
        dl->AddRectFilled(ImVec2(x0, y_top), ImVec2(x1, y_bottom), with_alpha(it.color, static_cast<float>(level) / kLevels));
      }
      r = end;
    }
  }
}

// [SECTION] Legend and hover readout

void draw_legend(ImDrawList* dl, const Context& c, const Axes& ax) {
  if (c.spec.legend == Legend::Off) return;
  std::vector<const Item*> entries;
  for (const Item& it : c.items) {
    if (it.kind == Item::Marker || it.kind == Item::Message || it.label.empty() || it.label.rfind("##", 0) == 0) continue;
    if (std::none_of(entries.begin(), entries.end(), [&](const Item* e) { return e->label == it.label; }))
      entries.push_back(&it);
  }
  if (entries.empty()) return;
  const float fs = ImGui::GetFontSize(), pad = fs * 0.35f, swatch = fs * 0.8f;
  float w = 0;
  for (const Item* e : entries) w = std::max(w, ImGui::CalcTextSize(e->label.c_str()).x);
  const ImVec2 size(w + swatch + 3 * pad, entries.size() * (fs + pad) + pad);
  ImVec2 p(ax.max.x - size.x - pad, ax.min.y + pad);
  if (c.spec.legend == Legend::TopLeft) p.x = ax.min.x + pad;
  if (c.spec.legend == Legend::BottomRight) p.y = ax.max.y - size.y - pad;
  const ImGuiStyle& st = ImGui::GetStyle();
  dl->AddRectFilled(p, ImVec2(p.x + size.x, p.y + size.y), ImGui::GetColorU32(ImGuiCol_PopupBg, 0.85f), st.FrameRounding);
  dl->AddRect(p, ImVec2(p.x + size.x, p.y + size.y), ImGui::GetColorU32(ImGuiCol_Border), st.FrameRounding);
  float y = p.y + pad;
  for (const Item* e : entries) {
    ImVec4 v = ImGui::ColorConvertU32ToFloat4(e->color);
    v.w = std::clamp(v.w * 1.6f, 0.3f, 1.f);  // faint bands and shades still get a visible swatch
    const ImU32 col = ImGui::ColorConvertFloat4ToU32(v);
    dl->AddRectFilled(ImVec2(p.x + pad, y + (fs - swatch) * 0.5f), ImVec2(p.x + pad + swatch, y + (fs + swatch) * 0.5f), col, 2.f);
    dl->AddText(ImVec2(p.x + 2 * pad + swatch, y), ImGui::GetColorU32(ImGuiCol_Text), e->label.c_str());
    y += fs + pad;
  }
}

// Index of the point whose x is nearest to x (xs sorted), or −1.
int nearest(const double* xs, int n, double x) {
  if (n == 0) return -1;
  const int i = static_cast<int>(std::lower_bound(xs, xs + n, x) - xs);
  if (i == 0) return 0;
  if (i == n) return n - 1;
  return x - xs[i - 1] <= xs[i] - x ? i - 1 : i;
}

void hover_readout(ImDrawList* dl, Context& c, const Axes& ax) {
  const ImVec2 m = ImGui::GetIO().MousePos;
  if (!c.hovered || m.x < ax.min.x || m.x > ax.max.x || m.y < ax.min.y || m.y > ax.max.y) return;
  Hover h;
  h.active = true;
  h.plot = c.spec.title;
  h.x = ax.x_at(m.x);
  h.y = ax.y_at(m.y);
  h.sample_x = h.x;
  bool snapped = false;
  const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text);
  dl->AddLine(ImVec2(m.x, ax.min.y), ImVec2(m.x, ax.max.y), with_alpha(text, 0.4f), 1.f);
  for (const Item& it : c.items) {
    if (it.label.empty() || it.label.rfind("##", 0) == 0) continue;
    HoverValue v;
    v.label = it.label;
    if (it.kind == Item::Line || it.kind == Item::Band) {
      const int i = nearest(it.xs, it.count, h.x);
      if (i < 0 || !std::isfinite(it.ys[i])) continue;
      if (!snapped) h.sample_x = it.xs[i];
      snapped = true;
      v.value = it.ys[i];
      if (it.kind == Item::Band) {
        v.band = true;
        v.value_hi = it.hi[i];
        // Bands sharing a label (2–15 and 85–98 of one "2nd-98th") read as one span.
        const auto same = std::find_if(h.values.begin(), h.values.end(), [&](const HoverValue& o) { return o.band && o.label == v.label; });
        if (same != h.values.end()) {
          same->value = std::min(same->value, v.value);
          same->value_hi = std::max(same->value_hi, v.value_hi);
          continue;
        }
      } else {
        dl->AddCircleFilled(ImVec2(ax.px(it.xs[i]), ax.py(it.ys[i])), it.thickness * 2.2f, it.color);
      }
    } else if (it.kind == Item::Bars) {
      const int i = static_cast<int>(std::floor((h.x - it.a) / it.b));
      if (i < 0 || i >= it.count) continue;
      v.value = it.ys[i];
    } else if (it.kind == Item::Heatmap) {
      const int col = nearest(it.xs, it.count, h.x);
      const int row = static_cast<int>(std::floor((h.y - it.a) / (it.b - it.a) * it.rows));
      if (col < 0 || row < 0 || row >= it.rows) continue;
      v.value = it.ys[static_cast<size_t>(col) * it.rows + row];
    } else {
      continue;
    }
    h.values.push_back(v);
  }
  ImGui::BeginTooltip();
  if (c.spec.x_is_step) ImGui::Text("%s %.0f", c.spec.x_label, std::round(h.sample_x));
  else ImGui::Text("%s %.4g", c.spec.x_label, h.sample_x);
  for (size_t k = 0; k < h.values.size(); ++k) {
    const HoverValue& v = h.values[k];
    const ImU32 col = [&] {
      for (const Item& it : c.items)
        if (it.label == v.label) return it.color;
      return text;
    }();
    ImGui::ColorButton(("##sw" + std::to_string(k)).c_str(), ImGui::ColorConvertU32ToFloat4(col | IM_COL32_A_MASK),
                       ImGuiColorEditFlags_NoTooltip, ImVec2(ImGui::GetFontSize() * 0.8f, ImGui::GetFontSize() * 0.8f));
    ImGui::SameLine();
    if (v.band) ImGui::Text("%s: %.4g … %.4g", v.label.c_str(), v.value, v.value_hi);
    else ImGui::Text("%s: %.4g", v.label.c_str(), v.value);
  }
  ImGui::EndTooltip();
  c.hover = std::move(h);
}

}  // namespace

void EndPlot() {
  Context& c = *g_ctx;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float fs = ImGui::GetFontSize();
  const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text);
  const ImU32 grid = with_alpha(text, 0.12f);

  // Layout: title on top, x tick labels and x label below, y label and y tick labels on the left.
  // The y tick labels' width depends on the axis, so fit once with a guess, then measure.
  // A plot shorter than 7 text lines (a projector's large text in a small window) gives the
  // x label's line to its data: the ticks and the hover readout still say what x is.
  const bool has_x_label = c.spec.x_label && *c.spec.x_label && c.frame_max.y - c.frame_min.y >= fs * 7;
  const bool has_y_label = c.spec.y_label && *c.spec.y_label;
  const float top = c.frame_min.y + fs * 1.5f;
  const float bottom = c.frame_max.y - fs * (has_x_label ? 2.5f : 1.4f);
  const float left_guess = c.frame_min.x + fs * (has_y_label ? 1.4f : 0.2f) + ImGui::CalcTextSize("-0.000").x;
  const float right = c.frame_max.x - fs * 0.8f;
  Axes ax = fit(c, ImVec2(left_guess, top), ImVec2(right, bottom));
  const int y_target = std::max(2, static_cast<int>((bottom - top) / (fs * 2.6f)));
  std::vector<double> yt;
  if (c.spec.y_tick_labels && c.spec.y_tick_count > 0) {
    for (int k = 0; k < c.spec.y_tick_count; ++k) yt.push_back(k);
  } else if (!ax.y_log) {
    yt = NiceTicks(ax.y0, ax.y1, y_target);
    // A short plot asks for 2 ticks and may get 1 (−4.3…4.3 gives only 0 at a step of 5): a finer
    // step, so every axis shows a scale.
    for (int t = y_target + 1; yt.size() < 2 && t <= y_target + 4; ++t) yt = NiceTicks(ax.y0, ax.y1, t);
    // Fewer, while more than two labels would overlap (−2, 0, 2 on a plot three lines high).
    for (int t = y_target - 1; t >= 1 && yt.size() > 2 && std::abs(ax.py(yt[1]) - ax.py(yt[0])) < fs * 1.1f; --t) {
      std::vector<double> fewer = NiceTicks(ax.y0, ax.y1, t);
      if (fewer.size() >= 2) yt = std::move(fewer);
    }
  } else {
    // Whole powers of ten, spaced to fit the plot's height but at least two of them; 1, 2 and
    // 5 × 10^k when fewer than two decades fall inside the axis, each only where its label clears
    // those already placed (powers of ten first, then 5s, then 2s): a short plot reads 0.1, 0.5,
    // not five labels on top of each other.
    auto decades = [&](double step) {
      std::vector<double> ticks;
      for (double t = std::ceil(ax.y0); t <= ax.y1; t += step) ticks.push_back(t);
      return ticks;
    };
    yt = decades(std::max(1.0, std::ceil((ax.y1 - ax.y0) / y_target)));
    if (yt.size() < 2) yt = decades(1);
    if (yt.size() < 2) {
      for (const double m : {5.0, 2.0})
        for (double k = std::floor(ax.y0); k <= ax.y1; ++k) {
          const double t = k + std::log10(m);
          if (t < ax.y0 || t > ax.y1) continue;
          const auto clears = [&](double u) { return std::abs(ax.py(std::pow(10.0, t)) - ax.py(std::pow(10.0, u))) >= fs * 1.1f; };
          const bool clear = std::all_of(yt.begin(), yt.end(), clears);
          if (clear) yt.push_back(t);
        }
      std::sort(yt.begin(), yt.end());
    }
  }
  // One tick alone (a short plot) says nothing of the spacing: the axis's span sets the decimals,
  // so 0.5 on an axis from 0.1 to 0.95 reads "0.5", not "0".
  const double y_spacing = yt.size() > 1 ? yt[1] - yt[0] : ax.y1 - ax.y0;
  std::vector<std::string> y_labels;
  float label_w = 0;
  for (double t : yt) {
    if (c.spec.y_tick_labels && c.spec.y_tick_count > 0) {
      y_labels.push_back(c.spec.y_tick_labels[static_cast<int>(t)]);
      label_w = std::max(label_w, ImGui::CalcTextSize(y_labels.back().c_str()).x);
      continue;
    }
    y_labels.push_back(FormatTick(ax.y_log ? std::pow(10.0, t) : t, ax.y_log ? std::pow(10.0, t) : y_spacing, false));
    label_w = std::max(label_w, ImGui::CalcTextSize(y_labels.back().c_str()).x);
  }
  ax.min.x = c.frame_min.x + (has_y_label ? fs * 1.4f : fs * 0.2f) + label_w + fs * 0.4f;

  // Shaded spans and grid, then the data, clipped to the data area. The data area has no fill of
  // its own (the window's background shows through): on a software rasterizer each layer of
  // pixels costs frame time, and a border and grid frame it as well.
  dl->PushClipRect(ax.min, ax.max, true);
  for (const Item& it : c.items)
    if (it.kind == Item::Shade) dl->AddRectFilled(ImVec2(ax.px(it.a), ax.min.y), ImVec2(ax.px(it.b), ax.max.y), it.color);
  for (double t : yt) {
    const float y = ax.max.y - static_cast<float>((t - ax.y0) / (ax.y1 - ax.y0)) * (ax.max.y - ax.min.y);
    dl->AddLine(ImVec2(ax.min.x, y), ImVec2(ax.max.x, y), grid);
  }
  // As many x ticks as the width asks for, fewer while neighbouring labels would touch (a narrow
  // plot of steps 0 … 1,400 read "05001000").
  std::vector<double> xt;
  for (int target = std::max(2, static_cast<int>((ax.max.x - ax.min.x) / (fs * 6.f))); target >= 1; --target) {
    xt = NiceTicks(ax.x0, ax.x1, target);
    const double spacing = xt.size() > 1 ? xt[1] - xt[0] : 1;
    bool clear = true;
    for (size_t k = 1; k < xt.size() && clear; ++k) {
      const float half_widths = (ImGui::CalcTextSize(FormatTick(xt[k - 1], spacing, c.spec.x_is_step).c_str()).x +
                                 ImGui::CalcTextSize(FormatTick(xt[k], spacing, c.spec.x_is_step).c_str()).x) * 0.5f;
      clear = ax.px(xt[k]) - ax.px(xt[k - 1]) >= half_widths + fs * 0.6f;
    }
    if (clear) break;
  }
  for (double t : xt) dl->AddLine(ImVec2(ax.px(t), ax.min.y), ImVec2(ax.px(t), ax.max.y), grid);

  PlotRecord rec{c.spec.title, ax.min, ax.max, static_cast<int>(c.items.size()), false, c.frame_min, c.frame_max, {}, {}};
  for (const Item& it : c.items) {
    switch (it.kind) {
      case Item::Heatmap: draw_heatmap(dl, ax, it); break;
      case Item::Bars: draw_bars(dl, ax, it); break;
      case Item::Band: draw_band(dl, ax, it, c.scratch); break;
      default: break;
    }
  }
  for (const Item& it : c.items) {
    if (it.kind == Item::Segments)
      for (int i = 0; i + 1 < it.count; i += 2) {
        if (!(finite(it.xs[i]) && finite(it.ys[i]) && finite(it.xs[i + 1]) && finite(it.ys[i + 1]))) continue;
        dl->AddLine(ImVec2(ax.px(it.xs[i]), ax.py(it.ys[i])), ImVec2(ax.px(it.xs[i + 1]), ax.py(it.ys[i + 1])),
                    it.colors ? it.colors[i / 2] : it.color, it.thickness);
      }
    if (it.kind == Item::Dots)
      for (int i = 0; i < it.count; ++i) {
        if (!(finite(it.xs[i]) && finite(it.ys[i]))) continue;
        // 8 segments: round at a few pixels, and a third of ImGui's default triangles (llvmpipe).
        dl->AddCircleFilled(ImVec2(ax.px(it.xs[i]), ax.py(it.ys[i])), it.thickness, it.colors ? it.colors[i] : it.color, 8);
      }
  }
  mark_identical_lines(c.items);
  for (const Item& it : c.items)
    if (it.kind == Item::Line) draw_line(dl, ax, it, c.scratch);
  for (const Item& it : c.items) {
    if (it.kind == Item::Dots)  // drawn where both coordinates are finite
      for (int i = 0; i < it.count && !rec.has_data; ++i) rec.has_data = finite(it.xs[i]) && std::isfinite(it.ys[i]);
    if (it.kind == Item::Line || it.kind == Item::Band || it.kind == Item::Bars || it.kind == Item::Heatmap)
      for (int i = 0; i < it.count * (it.kind == Item::Heatmap ? it.rows : 1) && !rec.has_data; ++i)
        rec.has_data = std::isfinite(it.ys[i]);
    if (it.kind == Item::Marker) {
      const float x = ax.px(it.a);
      if (x < ax.min.x - 1 || x > ax.max.x + 1) continue;  // before the plotted steps (e.g. an axis from step 0 … 1)
      if (it.thickness >= 2.f) dashed_vline(dl, x, ax.min.y, ax.max.y, it.color, it.thickness);
      else dl->AddLine(ImVec2(x, ax.min.y), ImVec2(x, ax.max.y), it.color, it.thickness);
      const ImVec2 size = ImGui::CalcTextSize(it.label.c_str());
      if (size.x + fs * 0.6f > ax.max.x - ax.min.x) continue;  // a caption cut off says nothing: the line alone
      const float tx = std::min(x + fs * 0.3f, ax.max.x - size.x - fs * 0.3f);
      // Captions stack in rows from the top or from the bottom, so that markers close together do
      // not print over each other; of the free rows, the one that hides the fewest points of the
      // lines (accuracy curves run along the top, losses along the bottom). Where every row is
      // taken near this x, the line goes without its caption.
      float ty = -1;
      size_t least = SIZE_MAX;
      for (int row = 0; row < 2 * kCaptionRows; ++row) {
        const float offset = fs * 0.2f + static_cast<float>(row % kCaptionRows) * (size.y + 2);
        const float y = row < kCaptionRows ? ax.min.y + offset : ax.max.y - offset - size.y;
        const ImVec4 box(tx - 2, y, tx + size.x + 2, y + size.y);  // (x0, y0, x1, y1)
        if (box.y < ax.min.y || box.w > ax.max.y) continue;
        if (std::any_of(rec.captions.begin(), rec.captions.end(), [&](const ImVec4& o) {
              return box.x < o.z && o.x < box.z && box.y < o.w && o.y < box.w;
            }))
          continue;
        // Lines' x values ascend (steps, histogram corners): only the points under the box's
        // width are looked at, so a plot with hundreds of markers stays cheap.
        size_t hidden = 0;
        const double x0 = ax.x_at(box.x), x1 = ax.x_at(box.z);
        for (const Item& line : c.items)
          if (line.kind == Item::Line)
            for (const double* xp = std::lower_bound(line.xs, line.xs + line.count, x0); xp < line.xs + line.count && *xp <= x1; ++xp) {
              const float py = ax.py(line.ys[xp - line.xs]);
              hidden += py >= box.y && py <= box.w;
            }
        if (hidden < least) least = hidden, ty = box.y;
      }
      if (ty < 0) continue;
      rec.captions.push_back(ImVec4(tx - 2, ty, tx + size.x + 2, ty + size.y));
      dl->AddRectFilled(ImVec2(tx - 2, ty), ImVec2(tx + size.x + 2, ty + size.y), ImGui::GetColorU32(ImGuiCol_WindowBg, 0.9f));
      dl->AddText(ImVec2(tx, ty), it.color, it.label.c_str());
    }
  }
  for (const Item& it : c.items) {
    if (it.kind != Item::Message) continue;
    const ImVec2 size = ImGui::CalcTextSize(it.label.c_str());
    dl->AddText(ImVec2((ax.min.x + ax.max.x - size.x) * 0.5f, (ax.min.y + ax.max.y - size.y) * 0.5f), with_alpha(text, 0.7f),
                it.label.c_str());
  }
  draw_legend(dl, c, ax);
  dl->PopClipRect();
  dl->AddRect(ax.min, ax.max, with_alpha(text, 0.35f));

  // Tick labels, title, axis labels.
  for (size_t k = 0; k < yt.size(); ++k) {
    const float y = ax.max.y - static_cast<float>((yt[k] - ax.y0) / (ax.y1 - ax.y0)) * (ax.max.y - ax.min.y);
    const ImVec2 size = ImGui::CalcTextSize(y_labels[k].c_str());
    dl->AddText(ImVec2(ax.min.x - size.x - fs * 0.3f, y - size.y * 0.5f), text, y_labels[k].c_str());
  }
  // A lone tick is formatted as if its neighbours were a tick's own size away (5000 reads "5k").
  const double x_spacing = xt.size() > 1 ? xt[1] - xt[0] : xt.size() == 1 && xt[0] != 0 ? std::abs(xt[0]) : 1;
  for (double t : xt) {
    const std::string s = FormatTick(t, x_spacing, c.spec.x_is_step);
    const ImVec2 size = ImGui::CalcTextSize(s.c_str());
    const float x = std::clamp(ax.px(t) - size.x * 0.5f, ax.min.x - size.x * 0.5f, c.frame_max.x - size.x);
    dl->AddText(ImVec2(x, ax.max.y + fs * 0.15f), text, s.c_str());
  }
  // The title centred over the data area; where it is wider than the whole widget (large text in a
  // small plot), its short form, or else it ends in "…": never drawn into its neighbour.
  const float width = c.frame_max.x - c.frame_min.x;
  const bool use_short = c.spec.title_short && *c.spec.title_short && ImGui::CalcTextSize(c.spec.title).x > width;
  const char* title_text = use_short ? c.spec.title_short : c.spec.title;
  const ImVec2 title = ImGui::CalcTextSize(title_text);
  if (title.x <= width) {
    const float tx = std::clamp((ax.min.x + ax.max.x - title.x) * 0.5f, c.frame_min.x, c.frame_max.x - title.x);
    dl->AddText(ImVec2(tx, c.frame_min.y + fs * 0.2f), text, title_text);
  } else {
    ImGui::PushStyleColor(ImGuiCol_Text, text);
    ImGui::RenderTextEllipsis(dl, ImVec2(c.frame_min.x, c.frame_min.y + fs * 0.2f), ImVec2(c.frame_max.x, c.frame_min.y + fs * 1.4f),
                              c.frame_max.x, c.frame_max.x, title_text, nullptr, &title);
    ImGui::PopStyleColor();
    rec.cut.emplace_back(title_text);
  }
  if (has_x_label) {
    const ImVec2 size = ImGui::CalcTextSize(c.spec.x_label);
    dl->AddText(ImVec2((ax.min.x + ax.max.x - size.x) * 0.5f, ax.max.y + fs * 1.3f), with_alpha(text, 0.8f), c.spec.x_label);
  }
  if (has_y_label) {
    // Its short form where it is taller than the data area; where even that is, none (as the x
    // label in a short plot): the title and the ticks say what y is.
    const float room = ax.max.y - ax.min.y + fs;
    const bool shorter = c.spec.y_label_short && *c.spec.y_label_short && ImGui::CalcTextSize(c.spec.y_label).x > room;
    const char* label = shorter ? c.spec.y_label_short : c.spec.y_label;
    if (ImGui::CalcTextSize(label).x <= room)
      add_vertical_text(dl, ImVec2(c.frame_min.x + fs * 0.6f, (ax.min.y + ax.max.y) * 0.5f), with_alpha(text, 0.8f), label);
  }

  hover_readout(dl, c, ax);
  if (c.hovered && ImGui::IsMouseClicked(ImGuiMouseButton_Right)) c.clicked_plot = static_cast<int>(c.frame_plots.size());
  c.frame_plots.push_back(std::move(rec));
  c.items.clear();
}

// [SECTION] Recording items

namespace {
Item& record(Item::Kind kind, const char* label, ImU32 color) {
  Item it;
  it.kind = kind;
  it.label = label ? label : "";
  it.color = color;
  g_ctx->items.push_back(std::move(it));
  return g_ctx->items.back();
}
}  // namespace

void PlotLine(const char* label, const double* xs, const float* ys, int count, ImU32 color, float thickness) {
  Item& it = record(Item::Line, label, color);
  it.xs = xs;
  it.ys = ys;
  it.count = std::max(0, count);
  it.thickness = thickness;
}

void PlotBand(const char* label, const double* xs, const float* lo, const float* hi, int count, ImU32 color) {
  Item& it = record(Item::Band, label, color);
  it.xs = xs;
  it.ys = lo;
  it.hi = hi;
  it.count = std::max(0, count);
}

void PlotBars(const char* label, double x0, double width, const float* heights, int count, ImU32 color, int slot,
              int slots) {
  Item& it = record(Item::Bars, label, color);
  it.a = x0;
  it.b = width;
  it.rows = std::clamp(slot, 0, std::max(1, slots) - 1);
  it.vmax = static_cast<float>(std::max(1, slots));
  it.ys = heights;
  it.count = std::max(0, count);
}

void PlotHeatmap(const char* label, const float* values, int cols, int rows, const double* xs, double y0, double y1,
                 ImU32 color, float vmax) {
  Item& it = record(Item::Heatmap, label, color);
  it.ys = values;
  it.xs = xs;
  it.count = rows > 0 ? std::max(0, cols) : 0;
  it.rows = rows;
  it.a = y0;
  it.b = y1;
  it.vmax = vmax > 0 ? vmax : 1.f;
}

void PlotMarkerX(const char* caption, double x, ImU32 color, float thickness) {
  Item& it = record(Item::Marker, caption, color);
  it.a = x;
  it.thickness = thickness;
}

void PlotShadeX(const char* label, double x0, double x1, ImU32 color) {
  Item& it = record(Item::Shade, label, color);
  it.a = x0;
  it.b = x1;
}

void PlotMessage(const char* text) { record(Item::Message, text, 0); }

namespace {
// Dots and segments: points in any order, each (or each segment) in its own colour or in `color`.
void record_points(Item::Kind kind, const char* label, const double* xs, const float* ys, int count, ImU32 color,
                   float size, const ImU32* colors) {
  Item& it = record(kind, label, color);
  it.xs = xs;
  it.ys = ys;
  it.count = std::max(0, count);
  it.thickness = size;
  it.colors = colors;
}
}  // namespace

void PlotDots(const char* label, const double* xs, const float* ys, int count, ImU32 color, float radius,
              const ImU32* colors) {
  record_points(Item::Dots, label, xs, ys, count, color, radius, colors);
}

void PlotSegments(const char* label, const double* xs, const float* ys, int count, ImU32 color, float thickness,
                  const ImU32* colors) {
  record_points(Item::Segments, label, xs, ys, count, color, thickness, colors);
}

}  // namespace bnlab::plot
