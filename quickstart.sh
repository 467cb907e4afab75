#!/usr/bin/env bash
# quickstart.sh — set up, build and run bnlab from a fresh clone.
#   ./quickstart.sh        installs what is missing, builds, and opens the live lab with the
#                          paper's Figure 1 twins training; with no display it runs the same
#                          lesson headless and prints a summary
#   ./quickstart.sh test   installs what is missing, builds, and runs the whole test suite
set -euo pipefail
cd "$(dirname "$0")"

third_party/setup-debian.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"

case "${1:-app}" in
  app)
    if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then exec build/bnlab; fi
    echo "quickstart: no display; training the paper's Figure 1 twins headless" >&2
    exec build/bnlab run --preset paper-fig1 --out runs/paper-fig1 ;;
  test) exec ctest --test-dir build --output-on-failure -j"$(nproc)" ;;
  *) echo "usage: $0 [app|test]" >&2; exit 2 ;;
esac
