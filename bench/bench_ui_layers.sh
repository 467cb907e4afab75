#!/usr/bin/env bash
# bench_ui_layers.sh — the lab's frame time with a deep network beside the default preset.
# Runs `bnlab --bench-ui` under Xvfb on paper-fig1 (3 hidden layers) and on paper-fig1 with 20
# hidden layers of 100 (`--set model.hidden=100,…`), on every tab, alternating the two on each
# tab so that both see the same load, and writes the medians and p99s to
# bench/results/bench-ui-layers.txt. The settings live in a throwaway XDG_CONFIG_HOME: the user's
# saved lab settings neither change the run nor are changed by it.
#   bench/bench_ui_layers.sh [seconds per run] [rounds]   (default: 5 1; build first)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-5}"
rounds="${2:-1}"
out=bench/results/bench-ui-layers.txt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
deep=$(printf '100,%.0s' $(seq 20))
deep=${deep%,}
tabs="figure1 percentiles histograms over-time health affine why-bn"
mkdir -p bench/results
{
  echo "# $(date -u +%Y-%m-%d), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) at the start"
  echo "# bench/bench_ui_layers.sh $secs $rounds: for each tab, alternating:"
  echo "#   XDG_CONFIG_HOME=<tmp> xvfb-run -a -s \"-screen 0 1600x900x24\" build/bnlab --preset paper-fig1 --tab TAB --bench-ui $secs"
  echo "#   … the same with --set model.hidden=$deep"
  echo "# frame: wall-clock time from the start of a frame's work to the buffer swap, median and p99 (ms);"
  echo "# cpu: the window thread's own CPU time in that frame (the rest is waiting for llvmpipe's threads, X, other processes);"
  echo "# steps/s: training with the window"
  printf '%-12s %-6s %12s %10s %12s %10s %10s\n' tab layers frame-median p99 cpu-median p99 steps/s
} >"$out"
for round in $(seq "$rounds"); do
  for tab in $tabs; do
    for layers in 3 20; do
      set_hidden=()
      [ "$layers" = 20 ] && set_hidden=(--set "model.hidden=$deep")
      XDG_CONFIG_HOME="$tmp/config" xvfb-run -a -s "-screen 0 1600x900x24" build/bnlab --preset paper-fig1 \
        "${set_hidden[@]}" --tab "$tab" --bench-ui "$secs" --bench-out "$tmp/report" >/dev/null 2>&1
      # "frame time        median 21.19 ms, p99 25.50 ms, max 26.01 ms" / "training          1354 steps/s …"
      read -r median p99 < <(sed -n 's/^frame time *median \([0-9.]*\) ms, p99 \([0-9.]*\) ms.*/\1 \2/p' "$tmp/report")
      read -r cpu_median cpu_p99 < <(sed -n 's/^frame CPU time *median \([0-9.]*\) ms, p99 \([0-9.]*\) ms.*/\1 \2/p' "$tmp/report")
      rate=$(sed -n 's/^training *\([0-9]*\) steps\/s.*/\1/p' "$tmp/report")
      printf '%-12s %-6s %12s %10s %12s %10s %10s\n' "$tab" "$layers" "$median" "$p99" "$cpu_median" "$cpu_p99" "$rate" | tee -a "$out"
    done
  done
done
echo "# load $(cut -d' ' -f1-3 /proc/loadavg) at the end" >>"$out"
echo "written: $out"
