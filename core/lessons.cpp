// lessons.cpp — reading the lesson blocks of the embedded presets.
#include "core/lessons.h"

#include <algorithm>

#include "core/config.h"
#include "core/embedded.h"

namespace bnlab {

namespace {

std::string text_of(const nlohmann::json& block, const std::string& preset, const char* key) {
  const auto it = block.find(key);
  if (it == block.end() || !it->is_string() || it->get<std::string>().empty())
    throw ConfigError("preset " + preset + ": lesson." + key + " must be a non-empty string");
  return it->get<std::string>();
}

}  // namespace

std::optional<Lesson> lesson_of(const std::string& preset) {
  const std::string_view text = embedded_file("presets/" + preset + ".json");
  if (text.empty()) return std::nullopt;
  const nlohmann::json doc = parse_config_text(std::string(text), "preset " + preset);
  const auto block = doc.find("lesson");
  if (block == doc.end()) return std::nullopt;
  if (!block->is_object()) throw ConfigError("preset " + preset + ": lesson must be an object");
  Lesson l;
  l.preset = preset;
  const auto number = block->find("number");
  if (number == block->end() || !number->is_number_integer() || number->get<int>() < 1)
    throw ConfigError("preset " + preset + ": lesson.number must be an integer ≥ 1");
  l.number = number->get<int>();
  l.title = text_of(*block, preset, "title");
  l.figure = text_of(*block, preset, "figure");
  l.tab = text_of(*block, preset, "tab");
  l.look = text_of(*block, preset, "look");
  l.try_this = text_of(*block, preset, "try");
  l.found = text_of(*block, preset, "found");
  l.reference = text_of(*block, preset, "reference");
  return l;
}

std::vector<Lesson> list_lessons() {
  std::vector<Lesson> out;
  for (const PresetInfo& p : list_presets())
    if (auto l = lesson_of(p.name)) out.push_back(std::move(*l));
  std::sort(out.begin(), out.end(), [](const Lesson& a, const Lesson& b) { return a.number < b.number; });
  for (size_t i = 1; i < out.size(); ++i)
    if (out[i].number == out[i - 1].number)
      throw ConfigError("presets " + out[i - 1].preset + " and " + out[i].preset + " are both lesson " +
                        std::to_string(out[i].number));
  return out;
}

std::optional<Lesson> neighbour_lesson(const std::vector<Lesson>& lessons, const std::string& preset, int direction) {
  const auto it = std::find_if(lessons.begin(), lessons.end(), [&](const Lesson& l) { return l.preset == preset; });
  if (it == lessons.end()) return std::nullopt;
  const auto at = (it - lessons.begin()) + direction;
  if (at < 0 || at >= static_cast<long>(lessons.size())) return std::nullopt;
  return lessons[static_cast<size_t>(at)];
}

}  // namespace bnlab
