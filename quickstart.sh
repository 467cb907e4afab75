#!/usr/bin/env bash
# quickstart.sh — set up, build and run bnlab from a fresh clone.
#   ./quickstart.sh        installs what is missing, builds, and runs the default lesson
#                          (the paper's Figure 1 twins) headless, printing a summary
#   ./quickstart.sh test   installs what is missing, builds, and runs the whole test suite
set -euo pipefail
cd "$(dirname "$0")"

third_party/setup-debian.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"

case "${1:-app}" in
  app) exec build/bnlab run --preset paper-fig1 --out runs/paper-fig1 ;;
  test) exec ctest --test-dir build --output-on-failure -j"$(nproc)" ;;
  *) echo "usage: $0 [app|test]" >&2; exit 2 ;;
esac
