// test_ui_plot.cpp — the plot module without a renderer: ticks and labels, empty, single-point
// and NaN series, log axes, decimation to pixel columns, heatmaps, and the hover readout.

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tests/ui_test_frame.h"

namespace bnlab {
namespace {

TEST(PlotTicks, NiceNumbers) {
  const auto u = plot::NiceTicks(0, 1, 5);
  ASSERT_EQ(u.size(), 6u);
  for (size_t i = 0; i < u.size(); ++i) EXPECT_NEAR(u[i], 0.2 * static_cast<double>(i), 1e-12);
  const auto t = plot::NiceTicks(0, 47000, 5);
  ASSERT_GE(t.size(), 2u);
  EXPECT_EQ(t[1] - t[0], 10000);
  const auto n = plot::NiceTicks(-3.3, 2.9, 6);
  EXPECT_EQ(n.front(), -3);
  EXPECT_EQ(n[1] - n[0], 1);
  EXPECT_TRUE(plot::NiceTicks(1, 1, 5).empty());
  EXPECT_TRUE(plot::NiceTicks(0, NAN, 5).empty());
}

TEST(PlotTicks, Labels) {
  EXPECT_EQ(plot::FormatTick(20000, 10000, true), "20k");
  EXPECT_EQ(plot::FormatTick(1.5e6, 5e5, true), "1.5M");
  EXPECT_EQ(plot::FormatTick(5000, 1000, true), "5k");  // as its neighbour 10k is
  EXPECT_EQ(plot::FormatTick(1500, 500, true), "1500");
  EXPECT_EQ(plot::FormatTick(0.4, 0.2, false), "0.4");
  EXPECT_EQ(plot::FormatTick(0.25, 0.05, false), "0.25");
  EXPECT_EQ(plot::FormatTick(-2, 1, false), "-2");
}

// Draws one plot with `items` and returns its record.
template <typename F>
plot::PlotRecord draw(HeadlessUi& ui, F&& items, plot::Spec spec = {}) {
  plot::PlotRecord rec;
  ui.frame([&] {
    if (plot::BeginPlot("##p", spec, ImVec2(600, 300))) {
      items();
      plot::EndPlot();
    }
  });
  EXPECT_EQ(ui.plots().frame_plots.size(), 1u);
  if (!ui.plots().frame_plots.empty()) rec = ui.plots().frame_plots[0];
  return rec;
}

TEST(Plot, EmptySinglePointAndNaN) {
  HeadlessUi ui;
  EXPECT_FALSE(draw(ui, [] { plot::PlotMessage("nothing yet"); }).has_data);
  const double x1[] = {5};
  const float y1[] = {0.5f};
  const auto one = draw(ui, [&] { plot::PlotLine("one", x1, y1, 1, IM_COL32(255, 0, 0, 255)); });
  EXPECT_TRUE(one.has_data);
  EXPECT_GT(one.max.x - one.min.x, 300);
  const double xs[] = {0, 1, 2, 3};
  const float nan[] = {NAN, NAN, NAN, NAN};
  EXPECT_FALSE(draw(ui, [&] { plot::PlotLine("nan", xs, nan, 4, IM_COL32(255, 0, 0, 255)); }).has_data);
  const float mixed[] = {1, NAN, INFINITY, 2};
  EXPECT_TRUE(draw(ui, [&] {
                plot::PlotLine("mixed", xs, mixed, 4, IM_COL32(255, 0, 0, 255));
                plot::PlotBand("band", xs, nan, mixed, 4, IM_COL32(0, 0, 255, 80));
                plot::PlotMarkerX("diverged at step 2", 2, IM_COL32(255, 0, 0, 255));
              }).has_data);
}

// A marker's caption ("diverged at step 11") goes where it hides the fewest points of the lines:
// below accuracy curves that run along the top, above losses that run along the bottom — never
// over the curves a lecturer is pointing at.
TEST(Plot, MarkerCaptionsAvoidTheLines) {
  HeadlessUi ui;
  std::vector<double> xs(200);
  std::vector<float> high(200), low(200);
  for (int i = 0; i < 200; ++i) xs[i] = i, high[i] = 0.97f - 0.0001f * i, low[i] = 0.03f + 0.0001f * i;
  plot::Spec spec;
  spec.y_min = 0;
  spec.y_max = 1;
  for (const bool top_line : {true, false}) {
    const auto rec = draw(
        ui,
        [&] {
          plot::PlotLine("acc", xs.data(), (top_line ? high : low).data(), 200, IM_COL32(0, 0, 255, 255));
          plot::PlotMarkerX("none-x30 diverged at step 11", 100, IM_COL32(0, 150, 100, 255));
        },
        spec);
    ASSERT_EQ(rec.captions.size(), 1u) << top_line;
    const ImVec4 box = rec.captions[0];
    for (const float y : top_line ? high : low) {  // the line is nearly flat: no point of it may be under the box
      const float py = rec.max.y - y * (rec.max.y - rec.min.y);
      EXPECT_FALSE(py >= box.y && py <= box.w) << (top_line ? "top" : "bottom") << " line at y " << y;
    }
  }
}

TEST(Plot, LogAxisSkipsNonPositive) {
  HeadlessUi ui;
  const double xs[] = {0, 1, 2, 3};
  const float ys[] = {0, -1, 1e-3f, 10};
  plot::Spec spec;
  spec.y_log = true;
  EXPECT_TRUE(draw(ui, [&] { plot::PlotLine("l", xs, ys, 4, IM_COL32(0, 0, 0, 255)); }, spec).has_data);
}

TEST(Plot, MillionPointsDrawAsPixelColumns) {
  HeadlessUi ui;
  std::vector<double> xs(1'000'000);
  std::vector<float> ys(xs.size());
  for (size_t i = 0; i < xs.size(); ++i) {
    xs[i] = static_cast<double>(i);
    ys[i] = std::sin(static_cast<float>(i) * 0.01f);
  }
  draw(ui, [&] { plot::PlotLine("sine", xs.data(), ys.data(), static_cast<int>(xs.size()), IM_COL32(0, 0, 0, 255)); });
  // At most four points per pixel column of a 600-pixel plot, whatever the data size.
  EXPECT_LT(HeadlessUi::vertices(), 60000);
}

TEST(Plot, HoverReadsTheNearestPoint) {
  HeadlessUi ui;
  std::vector<double> xs(101);
  std::vector<float> ys(101), lo(101), hi(101);
  for (int i = 0; i <= 100; ++i) {
    xs[i] = i * 10.0;
    ys[i] = static_cast<float>(2 * i);
    lo[i] = ys[i] - 1;
    hi[i] = ys[i] + 1;
  }
  auto items = [&] {
    plot::PlotBand("band", xs.data(), lo.data(), hi.data(), 101, IM_COL32(0, 0, 255, 80));
    plot::PlotLine("line", xs.data(), ys.data(), 101, IM_COL32(255, 0, 0, 255));
    plot::PlotLine("##hidden", xs.data(), ys.data(), 101, IM_COL32(0, 255, 0, 255));
  };
  const auto rec = draw(ui, items);
  ImGui::GetIO().MousePos = ImVec2(rec.min.x + (rec.max.x - rec.min.x) * 0.5037f, (rec.min.y + rec.max.y) * 0.5f);
  draw(ui, items);  // ImGui sees the mouse from this frame on
  draw(ui, items);
  const plot::Hover& h = ui.plots().hover;
  ASSERT_TRUE(h.active);
  EXPECT_NEAR(h.x, 500, 5);
  EXPECT_EQ(h.sample_x, 10 * std::round(h.x / 10)) << "the readout names the sample it reads (a unit, a step)";
  ASSERT_EQ(h.values.size(), 2u);  // "##hidden" stays out
  EXPECT_EQ(h.values[0].label, "band");
  EXPECT_TRUE(h.values[0].band);
  EXPECT_EQ(h.values[1].label, "line");
  EXPECT_EQ(h.values[1].value, 2 * std::round(h.x / 10));
  ImGui::GetIO().MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
}

TEST(Plot, HeatmapAndBars) {
  HeadlessUi ui;
  const double xs[] = {0, 100, 200};
  const float cells[] = {0, 0.5f, 0.5f, 0, 1, 0, 0.2f, 0.2f, 0.6f};  // (3 columns, 3 rows)
  const float bars[] = {0.1f, 0.5f, 0.4f};
  EXPECT_TRUE(draw(ui, [&] { plot::PlotHeatmap("h", cells, 3, 3, xs, -1, 1, IM_COL32(0, 0, 255, 255), 1); }).has_data);
  EXPECT_TRUE(draw(ui, [&] {
                plot::PlotShadeX("saturates", -1, -0.5, IM_COL32(255, 0, 0, 40));
                plot::PlotBars("a", -1, 2.0 / 3, bars, 3, IM_COL32(255, 0, 0, 255), 0, 2);
                plot::PlotBars("b", -1, 2.0 / 3, bars, 3, IM_COL32(0, 0, 255, 255), 1, 2);
              }).has_data);
  EXPECT_FALSE(draw(ui, [&] { plot::PlotHeatmap("empty", nullptr, 0, 0, nullptr, 0, 1, 0, 0); }).has_data);
}

// Dots and segments in any x order (a BN strip's examples and the links between its rows) fit
// the axes and count as data; a categorical y axis names its rows instead of numbering them.
TEST(Plot, DotsSegmentsAndCategoricalRows) {
  HeadlessUi ui;
  const double xs[] = {3, -2, 0.5, NAN};
  const float ys[] = {1, 0, 1, 0};
  const ImU32 colors[] = {IM_COL32(255, 0, 0, 255), IM_COL32(0, 255, 0, 255), IM_COL32(0, 0, 255, 255), 0};
  const char* const rows[] = {"bottom row", "top row"};
  plot::Spec spec;
  spec.title = "strip";
  spec.y_tick_labels = rows;
  spec.y_tick_count = 2;
  spec.y_min = -0.5;
  spec.y_max = 1.5;
  const auto rec = draw(ui, [&] {
    plot::PlotSegments("##links", xs, ys, 4, IM_COL32(0, 0, 0, 255), 1.f, colors);
    plot::PlotDots("##dots", xs, ys, 4, 0, 3.f, colors);
  }, spec);
  EXPECT_TRUE(rec.has_data);
  EXPECT_TRUE(rec.cut.empty());
  // The x axis holds every finite dot (−2 … 3), NaN left out: the widest labelled row sits left of
  // the data area.
  EXPECT_GT(rec.min.x - rec.frame_min.x, ImGui::CalcTextSize("bottom row").x);
  EXPECT_FALSE(draw(ui, [&] { plot::PlotDots("##none", xs + 3, ys + 3, 1, 0, 3.f); }, spec).has_data);
}

}  // namespace
}  // namespace bnlab
