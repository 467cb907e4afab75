// fuzz_config.cpp — libFuzzer target: a config file followed by --set assignments, resolved as
// `bnlab run --config FILE --set ...` resolves them. The input is the file's text, then each
// assignment on a line of its own starting with "--set " (the seeds are config.json files written
// by `bnlab run`, some with such lines appended). The result must be a RunConfig or a
// std::runtime_error (ConfigError); anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::string marker = "\n--set ";
  size_t at = input.find(marker);
  const std::string file = input.substr(0, at);
  std::vector<std::string> sets;
  while (at != std::string::npos) {
    const size_t from = at + marker.size();
    at = input.find(marker, from);
    sets.push_back(input.substr(from, at == std::string::npos ? std::string::npos : at - from));
  }
  try {
    nlohmann::json doc = bnlab::parse_config_text(file, "fuzz.json");
    for (const auto& s : sets) bnlab::apply_override(doc, s);
    bnlab::to_json(bnlab::resolve_config(doc));
  } catch (const std::runtime_error&) {
  }
  return 0;
}
