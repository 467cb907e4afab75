// lessons.h — the guided lessons: the "lesson" blocks of the built-in presets.
//
// [SECTION] A lesson
// [SECTION] Finding lessons
//
// A preset (assets/presets/NAME.json) is a lesson when it has a block
//   "lesson": {"number": n, "title": "...", "figure": "<bnlab figure kind>", "tab": "<the lab's tab
//              its text starts from: figure1, health, ...>", "look": "what to look at",
//              "try": "what to try", "found": "what the literature found",
//              "reference": "Author et al. YEAR, title, venue"}
// beside its "summary" and "config". Lessons are numbered 1, 2, 3, … and stepped through in that
// order; lesson 1 is paper-fig1. The config ignores the block; the lab's lesson panel shows it.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace bnlab {

// [SECTION] A lesson

struct Lesson {
  std::string preset;  // the preset's name, e.g. "lesson-3-learning-rates"
  int number = 0;
  std::string title, figure, tab, look, try_this, found, reference;
};

// [SECTION] Finding lessons

// The lesson of a built-in preset; nothing when the preset has no lesson block or does not exist.
// A malformed block (a missing or empty text, a number < 1) throws ConfigError naming the preset
// and the key.
std::optional<Lesson> lesson_of(const std::string& preset);

// Every built-in lesson, by number. Throws ConfigError when two presets share a number.
std::vector<Lesson> list_lessons();

// The lesson before or after `preset` in `lessons` (by position; nothing at the ends or when
// `preset` is not a lesson).
std::optional<Lesson> neighbour_lesson(const std::vector<Lesson>& lessons, const std::string& preset, int direction);

}  // namespace bnlab
