// test_ui_lesson.cpp — the lesson panel through headless ImGui frames, and every lesson's figure
// kind against `bnlab figure`'s list.

#include <gtest/gtest.h>

#include "core/lessons.h"
#include "tests/ui_test_frame.h"
#include "ui/figure.h"

namespace bnlab {
namespace {

RunConfig small(const std::string& preset) {
  return build_config(preset, "", {"backend=cpu", "data.train_size=600", "data.test_size=200", "stats.probe_size=64"});
}

// Where the views begin: the top of the tab bar (what a tab shows first — a legend of two
// networks or of six — does not count). Two frames: ImGui lays a tab bar out from the one before.
float views_top(HeadlessUi& ui, LabSession& lab, ViewOptions& v) {
  ui.lab_frame(lab, v);
  ui.lab_frame(lab, v);
  for (const auto& [name, r] : v.frame_items)
    if (name == kTabIds[0]) return r.min.y;
  ADD_FAILURE() << "no tab bar";
  return 0;
}

TEST(UiLesson, EveryLessonNamesAFigureKindAndATab) {
  for (const Lesson& l : list_lessons()) {
    EXPECT_NO_THROW(check_figure_kind(l.figure)) << l.preset;
    EXPECT_GE(tab_from_id(l.tab), 0) << l.preset << ": tab " << l.tab;
  }
}

// Page Down (what a presenter's remote sends) opens the next lesson on the tab its text refers
// to (lesson 2: Health); Page Up goes back; from a preset that is not a lesson, lesson 1.
TEST(UiLesson, PageDownAndUpStepThroughLessonsOntoTheirTabs) {
  HeadlessUi ui;
  ViewOptions v;
  LabSession lab(small("spiral-twins"), false);
  lab.wait_idle();
  auto press = [&](int key) {  // queued as the app queues the window's key events
    v.key_presses.push_back({key, false});
    ui.lab_frame(lab, v);
    ui.lab_frame(lab, v);
  };
  ui.lab_frame(lab, v);
  press(keys::kPageDown);
  EXPECT_EQ(lab.desired().preset, "paper-fig1");
  EXPECT_EQ(v.tab, LabTab::Figure1);
  press(keys::kPageDown);
  EXPECT_EQ(lab.desired().preset, "lesson-2-saturation");
  EXPECT_EQ(v.tab, LabTab::Health);
  press(keys::kPageUp);
  EXPECT_EQ(lab.desired().preset, "paper-fig1");
  EXPECT_EQ(v.tab, LabTab::Figure1);
}

// A lesson's text sits above the views and pushes them down — by no more than 40% of the window —
// and "hide text" gives the room back; a preset without a lesson draws no lesson box at all.
TEST(UiLesson, TheBoxSitsAboveTheViewsOnlyForLessons) {
  HeadlessUi ui;  // 1600 × 900
  ViewOptions v;
  LabSession lesson(small("lesson-3-learning-rates"), false);
  lesson.wait_idle();
  const float shown = views_top(ui, lesson, v);
  v.show_lesson = false;
  const float hidden = views_top(ui, lesson, v);
  LabSession plain(small("spiral-twins"), false);
  plain.wait_idle();
  v.show_lesson = true;
  const float none = views_top(ui, plain, v);
  EXPECT_GT(shown, hidden + 100);  // the text takes room…
  EXPECT_LT(shown, hidden + 0.4f * 900 + 10);  // …at most 40% of it
  EXPECT_NEAR(none, hidden, 1);  // no lesson: the bar with only the picker
  // Presentation mode's large text still leaves the views more than half the window.
  v.presentation = true;
  EXPECT_LT(views_top(ui, lesson, v), 0.6f * 900);
}

}  // namespace
}  // namespace bnlab
