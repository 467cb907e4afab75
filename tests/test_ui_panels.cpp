// test_ui_panels.cpp — every panel through headless ImGui frames, with an empty history, a live
// one and a diverged network; keyboard shortcuts as synthetic key events; view options as JSON.

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/test_util.h"
#include "tests/ui_test_frame.h"
#include "ui/panel_common.h"

namespace bnlab {
namespace {

RunConfig spiral_twins(const std::vector<std::string>& sets = {}) {
  nlohmann::json doc = nlohmann::json::parse(R"({
    "seed": 3, "backend": "cpu",
    "data": {"kind": "spiral", "classes": 3, "noise": 0.05, "train_size": 600, "test_size": 300},
    "model": {"hidden": [24, 24], "activation": "sigmoid", "init": "gaussian", "init_std": 0.5},
    "optim": {"lr": 0.1, "batch": 32},
    "log_every": 10, "eval_every": 50,
    "stats": {"probe_size": 200},
    "networks": [{"name": "plain", "model": {"norm": "none"}}, {"name": "bn", "model": {"norm": "batch"}}]
  })");
  for (const auto& s : sets) apply_override(doc, s);
  return resolve_config(doc);
}

using Panel = void (*)(const LabState&, const ViewOptions&);
// (Percentiles draws its y-scale control, which may change the view.)
constexpr Panel kPanels[] = {panel_figure1,
                             [](const LabState& s, const ViewOptions& v) {
                               ViewOptions w = v;
                               panel_percentiles(s, w);
                             },
                             panel_histograms, panel_over_time, panel_health, panel_affine};

// Draws every panel (and the whole lab) on `lab`'s state; returns the plots drawn per panel.
std::vector<int> draw_all(HeadlessUi& ui, LabSession& lab, ViewOptions v) {
  std::vector<int> plots;
  const auto s = lab.state();
  for (Panel p : kPanels) {
    ui.frame([&] { p(*s, v); }, v);
    plots.push_back(static_cast<int>(ui.plots().frame_plots.size()));
  }
  ui.lab_frame(lab, v);
  v.dark = true;
  v.presentation = true;
  v.show_help = true;
  ui.lab_frame(lab, v);
  return plots;
}

TEST(UiPanels, EmptyHistory) {
  HeadlessUi ui;
  LabSession lab(spiral_twins(), false);
  lab.wait_idle();  // the step-0 snapshot only
  const auto plots = draw_all(ui, lab, {});
  EXPECT_EQ(plots[0], 5);  // accuracy, loss, two typical units, histogram
}

TEST(UiPanels, LiveHistoryFillsEveryPlot) {
  HeadlessUi ui;
  LabSession lab(spiral_twins(), false);
  lab.step(300);
  lab.wait_idle();
  const auto plots = draw_all(ui, lab, {});
  EXPECT_EQ(plots, (std::vector<int>{5, 4, 6, 4, 6, 8}));
  const auto s = lab.state();
  for (Panel p : kPanels) {
    ui.frame([&] { p(*s, ViewOptions{}); });
    for (const auto& r : ui.plots().frame_plots) {
      if (p == panel_affine && r.title.find("layer") != std::string::npos && !r.has_data) continue;  // no BN in "plain"
      EXPECT_TRUE(r.has_data) << r.title;
    }
  }
}

TEST(UiPanels, DivergedNetworkIsMarked) {
  HeadlessUi ui;
  LabSession lab(spiral_twins({"networks.0.optim.lr=90", "model.activation=linear", "model.init_std=3"}), false);
  lab.step(200);
  lab.wait_idle();
  ASSERT_GE(lab.state()->history.networks()[0].diverged_at, 1);
  const auto plots = draw_all(ui, lab, {});
  EXPECT_EQ(plots[0], 5);
  EXPECT_NE(divergence_note(*lab.state(), 0).find("diverged at step"), std::string::npos);
  EXPECT_TRUE(divergence_note(*lab.state(), 1).empty());
}

// The speed-up readout beside a network that never learned — lesson 13's ten sigmoid layers
// without BN stay at 10–11% on mnist-10k, whose 2,000 test digits have 225 ones (11.25%): no
// factor against it (every network that learns would "reach" it at once), one line saying so.
// Before any network has learned, nothing at all.
TEST(UiPanels, SpeedupReadoutGivesNoFactorAgainstANetworkAtChance) {
  LabSession lab(build_config("lesson-13-deeper-networks", "", {"backend=cpu", "data.kind=mnist-10k", "landscape.every=0"}),
                 false);
  lab.wait_idle();
  EXPECT_TRUE(speedup_readout(*lab.state()).empty());  // step 0: no evaluation counts yet
  lab.step(300);
  lab.wait_idle();
  const auto s = lab.state();
  EXPECT_DOUBLE_EQ(s->chance.accuracy, 0.1125);
  EXPECT_EQ(s->chance.examples, 2000);
  const std::vector<ReadoutLine> lines = speedup_readout(*s);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text.rfind("none has not beaten chance (", 0), 0u) << lines[0].text;
  EXPECT_TRUE(Contains(lines[0].text, "%; chance 11.25%): no speed-up to measure")) << lines[0].text;
  EXPECT_TRUE(Contains(lines[0].tip, "most frequent class")) << lines[0].tip;
}

// Lesson 2's sigmoid inputs span about ±50 without BN and ±3 with: on one shared y scale BN's band
// would be a flat line, so on auto each network gets its own (and the Figure 1 caption says so);
// "shared" and "own" force either. Twins whose ranges are alike share one on auto.
TEST(UiPanels, PercentilePlotsShareAScaleUnlessOneRangeDwarfsAnother) {
  LabSession lesson2(build_config("lesson-2-saturation", "", {"backend=cpu", "data.kind=mnist-10k", "landscape.every=0"}),
                     false);
  lesson2.step(200);
  lesson2.wait_idle();
  const auto s = lesson2.state();
  const PercentileRanges own = percentile_ranges(*s, 2, false, YScale::Auto);
  ASSERT_EQ(own.y.size(), 2u);
  EXPECT_FALSE(own.shared);
  const double base = own.y[0].second - own.y[0].first, bn = own.y[1].second - own.y[1].first;
  EXPECT_GT(base, kOwnScaleRatio * bn);
  EXPECT_LT(bn, 20);  // BN's inputs stay within a few units
  const PercentileRanges shared = percentile_ranges(*s, 2, false, YScale::Shared);
  EXPECT_TRUE(shared.shared);
  EXPECT_EQ(shared.y[0], shared.y[1]);
  EXPECT_EQ(shared.y[0], own.y[0]);  // the shared range is the wider one's
  EXPECT_FALSE(percentile_ranges(*s, 2, false, YScale::Own).shared);

  LabSession twins(spiral_twins(), false);
  twins.step(100);
  twins.wait_idle();
  const PercentileRanges auto_twins = percentile_ranges(*twins.state(), 0, false, YScale::Auto);
  EXPECT_TRUE(auto_twins.shared);
  EXPECT_EQ(auto_twins.y[0], auto_twins.y[1]);
}

// After Undo BN every unit has its own γ = σ and β = μ, pinned: the pinned sliders show the units'
// mean, marked as a mean, not the 1.00 / 0.00 they held before; while every unit holds the pinned
// value they show it.
TEST(UiPanels, PinnedAffineSlidersShowWhatTheUnitsHold) {
  const RunConfig cfg = build_config("lesson-4-undo-normalization", "", {"backend=cpu", "data.kind=mnist-10k"});
  LabSession lab(cfg, false);
  lab.step(100);
  lab.wait_idle();
  const double pin_gamma = cfg.networks[1].bn.gamma, pin_beta = cfg.networks[1].bn.beta;
  lab.undo_normalization(1);
  lab.wait_idle();
  const auto s = lab.state();
  const std::vector<UnitParams>& units = s->history.networks().at(1).units;
  double gamma_sum = 0, beta_sum = 0;
  size_t count = 0;
  for (const UnitParams& u : units)
    for (size_t j = 0; j < u.gamma.size(); ++j) gamma_sum += u.gamma[j], beta_sum += u.beta[j], ++count;
  ASSERT_GT(count, 0u);
  const PinnedValue g = pinned_value(units, pin_gamma, false), b = pinned_value(units, pin_beta, true);
  EXPECT_FALSE(g.uniform);
  EXPECT_FALSE(b.uniform);
  EXPECT_NEAR(g.value, gamma_sum / static_cast<double>(count), 1e-6);
  EXPECT_NEAR(b.value, beta_sum / static_cast<double>(count), 1e-6);
  EXPECT_GT(std::abs(g.value - pin_gamma), 0.01);  // not the 1.00 it showed
  std::vector<UnitParams> same(2);
  same[0].gamma = same[1].gamma = {1.5f, 1.5f};
  const PinnedValue u = pinned_value(same, 1.5, false);
  EXPECT_TRUE(u.uniform);
  EXPECT_EQ(u.value, 1.5);
}

// With several networks the readout is one line against the first (the lesson's baseline), the
// others in the order they reached its accuracy — not a line for every pair (six networks gave
// ten lines above the plots).
TEST(UiPanels, SpeedupReadoutIsOneLineAgainstTheFirstNetwork) {
  LabSession lab(build_config("lesson-10-fewer-steps", "",
                              {"backend=cpu", "data.kind=mnist-10k", "landscape.every=0", "eval_every=50"}),
                 false);
  lab.step(800);
  lab.wait_idle();
  const std::vector<ReadoutLine> lines = speedup_readout(*lab.state());
  ASSERT_EQ(lines.size(), 1u);
  const std::string& text = lines[0].text;
  EXPECT_EQ(text.rfind("baseline's final test accuracy 0.", 0), 0u) << text;
  const size_t bn = text.find(" bn at step "), x5 = text.find(" bn-x5 at step ");
  ASSERT_NE(bn, std::string::npos) << text;
  ASSERT_NE(x5, std::string::npos) << text;
  const auto step_after = [&](size_t at) { return std::stoi(text.substr(text.find("at step ", at) + 8)); };
  EXPECT_LE(step_after(std::min(bn, x5)), step_after(std::max(bn, x5))) << text;
  EXPECT_TRUE(Contains(lines[0].tip, "speedup.csv")) << lines[0].tip;
}

// A key press queued as the app queues the window's key events (GLFW key codes).
void press(HeadlessUi& ui, LabSession& lab, ViewOptions& v, int key) {
  v.key_presses.push_back({key, false});
  ui.lab_frame(lab, v);
  ui.lab_frame(lab, v);
}

void type(HeadlessUi& ui, LabSession& lab, ViewOptions& v, char c) {
  ImGui::GetIO().AddInputCharacter(static_cast<unsigned>(c));
  ui.lab_frame(lab, v);
}

TEST(UiKeyboard, ShortcutsChangeState) {
  HeadlessUi ui;
  LabSession lab(spiral_twins(), false);
  ViewOptions v;
  ui.lab_frame(lab, v);
  press(ui, lab, v, keys::kS);
  lab.wait_idle();
  EXPECT_EQ(lab.state()->step, 1);

  press(ui, lab, v, keys::kB);  // BN on every layer of the selected network (0, "plain")
  EXPECT_EQ(lab.desired().networks[0].model.norm, (std::vector<Norm>{Norm::Batch, Norm::Batch}));
  lab.wait_idle();
  EXPECT_EQ(lab.state()->active.networks[0].model.norm[1], Norm::Batch);
  press(ui, lab, v, keys::kB);
  EXPECT_EQ(lab.desired().networks[0].model.norm[0], Norm::None);

  press(ui, lab, v, keys::kR);
  lab.wait_idle();
  EXPECT_EQ(lab.state()->step, 0);
  v.key_presses.push_back({keys::kZ, false, /*ctrl=*/true});  // Ctrl+Z undoes the reset
  ui.lab_frame(lab, v);
  lab.wait_idle();
  EXPECT_EQ(lab.state()->step, 1);
  press(ui, lab, v, keys::kZ);  // Z alone is no shortcut
  lab.wait_idle();
  EXPECT_EQ(lab.state()->step, 1);

  press(ui, lab, v, keys::kH);
  EXPECT_FALSE(v.show_controls);
  press(ui, lab, v, keys::kF);
  EXPECT_TRUE(v.fullscreen);
  press(ui, lab, v, keys::kF1);
  EXPECT_TRUE(v.show_help);
  type(ui, lab, v, '?');
  EXPECT_FALSE(v.show_help);
  const int size = v.font_size;
  type(ui, lab, v, '+');
  EXPECT_EQ(v.font_size, size + 1);
  type(ui, lab, v, '-');
  type(ui, lab, v, '-');
  EXPECT_EQ(v.font_size, size - 1);

  press(ui, lab, v, keys::kSpace);
  const auto t0 = std::chrono::steady_clock::now();
  while (!lab.state()->playing && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_TRUE(lab.state()->playing);
  press(ui, lab, v, keys::kSpace);
  lab.wait_idle();
  EXPECT_FALSE(lab.state()->playing);
}

TEST(UiViewOptions, JsonRoundTripAndBadValues) {
  ViewOptions v;
  v.dark = true;
  v.font_size = 4;
  v.tab = LabTab::Health;
  v.heatmap_tap = 2;
  const ViewOptions w = view_options_from_json(to_json(v));
  EXPECT_TRUE(w.dark);
  EXPECT_EQ(w.font_size, 4);
  EXPECT_EQ(w.tab, LabTab::Health);
  EXPECT_EQ(w.heatmap_tap, 2);
  const ViewOptions bad = view_options_from_json(nlohmann::json::parse(R"({"font_size": 99, "tab": "x", "heatmap_tap": -4})"));
  EXPECT_EQ(bad.font_size, kFontSizeCount - 1);
  EXPECT_EQ(bad.tab, LabTab::Figure1);
  EXPECT_EQ(bad.heatmap_tap, 0);
  EXPECT_FALSE(view_options_from_json(nlohmann::json::array()).dark);
}

}  // namespace
}  // namespace bnlab
