// panel_lesson.cpp — the guided lessons: the open lesson's text above the views, stepping to the
// previous or next lesson, and a picker (alone, when the open preset has no lesson).
//
// [SECTION] The lessons
// [SECTION] Opening a lesson
// [SECTION] The lesson box
//
// A lesson is a preset with a "lesson" block (core/lessons.h). The session's desired config names
// its preset, so the box follows whatever is open — from `bnlab --preset lesson-3-…`, the picker
// or the arrows. Opening a lesson replaces the
// whole run: every network starts again from the lesson's own initial weights.

#include <algorithm>
#include <string>
#include <vector>

#include "core/lessons.h"
#include "ui/panel_common.h"
#include "ui/plot.h"

namespace bnlab {

namespace {

// [SECTION] The lessons

// The lessons of the embedded presets, read once (they are part of the binary, so they cannot
// change while it runs); `error` says why there are none.
const std::vector<Lesson>& lessons(std::string* error) {
  static std::string failure;
  static const std::vector<Lesson> all = [] {
    try {
      return list_lessons();
    } catch (const std::exception& e) {
      failure = e.what();
      return std::vector<Lesson>{};
    }
  }();
  if (error) *error = failure;
  return all;
}

std::string picker_label(const Lesson& l) { return std::to_string(l.number) + " · " + l.title; }

// [SECTION] Opening a lesson

// The lesson's settings as its preset gives them, on the backend the user chose.
RunConfig lesson_config(LabSession& lab, const Lesson& l) {
  RunConfig cfg = build_config(l.preset, "", {});
  cfg.backend = lab.desired().backend;  // the user's backend choice carries over
  return cfg;
}

void open_lesson(LabSession& lab, ViewOptions& v, const Lesson& l) {
  lab.open(lesson_config(lab, l));
  v.selected_net = 0;  // the old index may name no network of the new lesson
  v.show_lesson = true;
  if (const int tab = tab_from_id(l.tab); tab >= 0) {  // the tab its text starts from
    v.tab = static_cast<LabTab>(tab);
    v.select_tab = true;
  }
}

// A combo listing every lesson; opens the one picked.
void picker(LabSession& lab, ViewOptions& v, const char* label, const std::string& current, const char* preview) {
  std::string error;
  const std::vector<Lesson>& all = lessons(&error);
  // A title wider than the picker ends in "…" (a combo cuts its preview off mid-letter) and is
  // shown whole on hover.
  const std::string shown = plot::FitText(preview, ImGui::CalcItemWidth() - ImGui::GetFrameHeight() - ImGui::GetStyle().FramePadding.x * 2);
  if (ImGui::BeginCombo(label, shown.c_str())) {
    if (!error.empty()) ImGui::TextWrapped("%s", error.c_str());
    for (const Lesson& l : all)
      if (ImGui::Selectable(picker_label(l).c_str(), l.preset == current) && l.preset != current) open_lesson(lab, v, l);
    ImGui::EndCombo();
  }
  if (shown != preview) tip(preview);
}

// "◀ previous lesson" or "next lesson ▶": opens `to`, disabled at either end.
void lesson_button(LabSession& lab, ViewOptions& v, const char* label, const char* key, const std::optional<Lesson>& to) {
  ImGui::BeginDisabled(!to);
  if (ImGui::Button(label) && to) open_lesson(lab, v, *to);
  ImGui::EndDisabled();
  if (ImGui::IsItemHovered() && to)
    ImGui::SetTooltip("Lesson %d: %s (%s; restarts every network)", to->number, to->title.c_str(), key);
}

// The atlas's next larger font than the current one (the fonts are loaded by size, kFontSizes).
ImFont* larger_font() {
  const ImFontAtlas* atlas = ImGui::GetIO().Fonts;
  for (int i = 0; i + 1 < atlas->Fonts.Size; ++i)
    if (atlas->Fonts[i] == ImGui::GetFont()) return atlas->Fonts[i + 1];
  return ImGui::GetFont();
}

// [SECTION] The lesson box

// Lines of `text` wrapped at `width` pixels in the current font, broken only at spaces: ImGui
// 1.86's own wrapping also breaks after a '.', which splits numbers such as 0.64 or 90.5%.
std::vector<std::string> wrap_lines(const std::string& text, float width) {
  std::vector<std::string> lines;
  std::string line;
  for (size_t i = 0; i <= text.size();) {
    size_t end = text.find(' ', i);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(i, end - i);
    const std::string longer = line.empty() ? word : line + " " + word;
    if (!line.empty() && ImGui::CalcTextSize(longer.c_str()).x > width) {
      lines.push_back(line);
      line = word;
    } else {
      line = longer;
    }
    i = end + 1;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

struct Paragraph {
  const char* heading;
  std::vector<std::string> lines;
};

float column_height(const std::vector<Paragraph>& column) {
  const float line = ImGui::GetTextLineHeightWithSpacing();
  float h = 0;
  for (const Paragraph& p : column) h += line * static_cast<float>(1 + p.lines.size()) + ImGui::GetStyle().ItemSpacing.y;
  return h;
}

void draw_column(const std::vector<Paragraph>& column, const ViewOptions& v) {
  for (const Paragraph& p : column) {
    ImGui::PushStyleColor(ImGuiCol_Text, v.dark ? IM_COL32(140, 190, 255, 255) : IM_COL32(20, 70, 160, 255));
    ImGui::TextUnformatted(p.heading);
    ImGui::PopStyleColor();
    for (const std::string& line : p.lines) ImGui::TextUnformatted(line.c_str());
    ImGui::Spacing();
  }
}

}  // namespace

void step_lesson(LabSession& lab, ViewOptions& v, int direction) {
  const std::vector<Lesson>& all = lessons(nullptr);
  const std::string current = lab.desired().preset;
  const bool in_lesson = std::any_of(all.begin(), all.end(), [&](const Lesson& l) { return l.preset == current; });
  if (!in_lesson) {
    if (direction > 0 && !all.empty()) open_lesson(lab, v, all.front());
    return;
  }
  if (const std::optional<Lesson> l = neighbour_lesson(all, current, direction)) open_lesson(lab, v, *l);
}

void panel_lesson(LabSession& lab, ViewOptions& v) {
  const std::string current = lab.desired().preset;
  const std::vector<Lesson>& all = lessons(nullptr);
  const auto it = std::find_if(all.begin(), all.end(), [&](const Lesson& l) { return l.preset == current; });
  ImGui::PushID("lesson");
  if (it == all.end()) {
    // A preset without a lesson: only the picker, one line, so the lessons are always one click away.
    ImGui::SetNextItemWidth(-FLT_MIN);
    const std::string preview = "Lessons: choose one (open now: " + (current.empty() ? std::string("a config file") : current) + ")";
    picker(lab, v, "##picker", current, preview.c_str());
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("Guided lessons, each a preset with its explanation. Opening one restarts every network.");
    ImGui::PopID();
    return;
  }
  const Lesson& l = *it;
  const std::optional<Lesson> prev = neighbour_lesson(all, l.preset, -1), next = neighbour_lesson(all, l.preset, +1);

  // The bar: ◀ previous, the picker (showing the title), next ▶, restore (once the settings left
  // the lesson's), hide/show.
  const bool changed = to_json(lesson_config(lab, l)) != to_json(lab.desired());
  const ImGuiStyle& bar = ImGui::GetStyle();
  const auto button_w = [&](const char* label) { return ImGui::CalcTextSize(label).x + bar.FramePadding.x * 2 + bar.ItemSpacing.x; };
  // Where the bar is narrow (1280 pixels in presentation mode) the arrows go without their words
  // (their tooltips name the lesson) and the picker keeps at least 12 text heights.
  const bool narrow = button_w("◀ previous lesson") + button_w("next lesson ▶") + button_w("restore") + button_w("hide text") +
                          ImGui::GetFontSize() * 12 > ImGui::GetContentRegionAvail().x;
  const char* prev_label = narrow ? "◀" : "◀ previous lesson";
  const char* next_label = narrow ? "▶" : "next lesson ▶";
  lesson_button(lab, v, prev_label, "Page Up", prev);
  ImGui::SameLine();
  float right = button_w(next_label) + button_w(v.show_lesson ? "hide text" : "show text");
  if (changed) right += button_w("restore");
  ImGui::SetNextItemWidth(std::max(ImGui::GetFontSize() * 8, ImGui::GetContentRegionAvail().x - right));
  const std::string title = "Lesson " + std::to_string(l.number) + " of " + std::to_string(all.size()) + " · " + l.title;
  picker(lab, v, "##picker", l.preset, title.c_str());
  ImGui::SameLine();
  lesson_button(lab, v, next_label, "Page Down", next);
  ImGui::SameLine();
  if (changed) {
    if (ImGui::Button("restore")) open_lesson(lab, v, l);
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("Restore the lesson as it opened: its networks and settings, from step 0 (Ctrl+Z brings back "
                        "the run you leave).");
    ImGui::SameLine();
  }
  if (ImGui::Button(v.show_lesson ? "hide text" : "show text")) v.show_lesson = !v.show_lesson;
  ImGui::PopID();
  if (!v.show_lesson) return;

  // The text: what to look at and what to try on the left, what was found and where on the
  // right; the box is as tall as its text, up to 40% of the space left for the views.
  const ImGuiStyle& st = ImGui::GetStyle();
  const float inner = ImGui::GetContentRegionAvail().x - st.WindowPadding.x * 2 - st.ScrollbarSize;
  // Two columns where each holds a readable line (18 text heights), else one column.
  const int columns = (inner - st.CellPadding.x * 4) / 2 >= ImGui::GetFontSize() * 18 ? 2 : 1;
  const float col_w = columns == 2 ? (inner - st.CellPadding.x * 4) / 2 : inner - st.CellPadding.x * 2;
  std::vector<Paragraph> left = {{"Look at", wrap_lines(l.look, col_w)}, {"Try", wrap_lines(l.try_this, col_w)}};
  std::vector<Paragraph> right_col = {{"What the literature found", wrap_lines(l.found, col_w)},
                                      {"Reference", wrap_lines(l.reference, col_w)}};
  if (columns == 1) {
    left.insert(left.end(), right_col.begin(), right_col.end());
    right_col.clear();
  }
  ImFont* big = larger_font();
  const float title_h = big->FontSize + st.ItemSpacing.y * 2;
  const float text_h = std::max(column_height(left), column_height(right_col));
  float height = std::min(title_h + text_h + st.WindowPadding.y * 2, ImGui::GetContentRegionAvail().y * 0.4f);
  // A picture saved at 2× or 4× measures text with fonts rasterized at that scale, whose lines
  // break a little differently: it keeps the window's box, so everything below sits where it does
  // on screen.
  if (v.keep_lesson_height && v.lesson_height > 0) height = v.lesson_height;
  v.lesson_height = height;
  ImGui::BeginChild("lesson_text", ImVec2(0, height), true);
  ImGui::PushFont(big);
  ImGui::TextWrapped("%s", l.title.c_str());
  ImGui::PopFont();
  if (ImGui::BeginTable("columns", columns, ImGuiTableFlags_BordersInnerV)) {
    ImGui::TableNextColumn();
    draw_column(left, v);
    if (columns == 2) {
      ImGui::TableNextColumn();
      draw_column(right_col, v);
    }
    ImGui::EndTable();
  }
  ImGui::EndChild();
}

}  // namespace bnlab
