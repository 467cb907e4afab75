#include "core/embedded.h"

#include <algorithm>

namespace bnlab {

std::string_view embedded_file(std::string_view name) {
  for (const EmbeddedFile* f = kEmbeddedFiles; f->name; ++f)
    if (name == f->name) return {f->begin, static_cast<size_t>(f->end - f->begin)};
  return {};
}

std::vector<std::string> embedded_names(std::string_view prefix) {
  std::vector<std::string> names;
  for (const EmbeddedFile* f = kEmbeddedFiles; f->name; ++f)
    if (std::string_view(f->name).substr(0, prefix.size()) == prefix) names.emplace_back(f->name);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace bnlab
