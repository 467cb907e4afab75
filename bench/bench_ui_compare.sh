#!/usr/bin/env bash
# bench_ui_compare.sh — the lab's frame time and training rate, this build beside another one,
# side by side: `bnlab --bench-ui` under Xvfb at 1600x900 on paper-fig1 (2 networks) and lesson 3
# (6 networks), the two builds alternating within each round so that both see the same load.
# Medians over the rounds go to bench/results/bench-ui-compare.txt with the machine and the load.
# The settings live in a throwaway XDG_CONFIG_HOME: the user's saved lab settings neither change
# the runs nor are changed by them.
#   bench/bench_ui_compare.sh OTHER_BNLAB [seconds per run=8] [rounds=3]   (build first)
# OTHER_BNLAB is the other build's binary, e.g. one built from an earlier commit in a worktree;
# both read the full MNIST from this checkout's data/mnist.
set -euo pipefail
cd "$(dirname "$0")/.."
other="$1"
secs="${2:-8}"
rounds="${3:-3}"
out=bench/results/bench-ui-compare.txt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export BNLAB_MNIST_DIR="$PWD/data/mnist"
mkdir -p bench/results
declare -A frame p99 rate
for round in $(seq "$rounds"); do
  for preset in paper-fig1 lesson-3-learning-rates; do
    for which in other this; do
      bin=build/bnlab
      [ "$which" = other ] && bin="$other"
      XDG_CONFIG_HOME="$tmp/config" xvfb-run -a -s "-screen 0 1600x900x24" "$bin" --preset "$preset" \
        --bench-ui "$secs" --bench-out "$tmp/report" >/dev/null 2>&1
      # "frame time        median 21.19 ms, p99 25.50 ms, max 26.01 ms" / "training          1354 steps/s …"
      read -r m p < <(sed -n 's/^frame time *median \([0-9.]*\) ms, p99 \([0-9.]*\) ms.*/\1 \2/p' "$tmp/report")
      r=$(sed -n 's/^training *\([0-9]*\) steps\/s with the window, \([0-9]*\) without.*/\1 \2/p' "$tmp/report")
      frame[$preset,$which]+="$m "
      p99[$preset,$which]+="$p "
      rate[$preset,$which]+="${r// //} "
    done
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
{
  echo "# $(date -u +%Y-%m-%d), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) at the end"
  echo "# bench/bench_ui_compare.sh $other $secs $rounds: --bench-ui $secs at 1600x900, the two builds alternating; medians of $rounds rounds"
  echo "# frame: wall-clock time from the start of a frame's work to the buffer swap (ms); steps/s: training with the window / without"
  printf '%-26s %-6s %12s %10s   %s\n' preset build frame-median p99 "steps/s with/without, each round"
  for preset in paper-fig1 lesson-3-learning-rates; do
    for which in other this; do
      printf '%-26s %-6s %12s %10s   %s\n' "$preset" "$which" "$(echo "${frame[$preset,$which]}" | median)" \
        "$(echo "${p99[$preset,$which]}" | median)" "${rate[$preset,$which]}"
    done
  done
} | tee "$out"
