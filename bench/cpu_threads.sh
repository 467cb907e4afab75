#!/usr/bin/env bash
# cpu_threads.sh — the CPU reference's thread and sparse-layer figures in one command:
#   1. build/bench_cpu ROUNDS (bench/results/cpu.txt, cpu.csv: threads × networks × sparse, the
#      hand-written Eigen yardstick, the sparse first layer per data set);
#   2. `bnlab run --preset paper-fig1` with threads=1 and with every core, alternating, ROUNDS
#      times, STEPS steps each: wall time and network-steps/s, medians (bench/results/run-threads.txt).
# The machine and the load average before and after go with the figures: two cores shared with
# compiles cannot show two-thread scaling, so run it when `uptime` shows a load well below 1.
#   bench/cpu_threads.sh [rounds=5] [steps=50000]   (build first with ./quickstart.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-5}"
steps="${2:-50000}"
out=bench/results/run-threads.txt
mkdir -p bench/results
build/bench_cpu "$rounds" bench/results/cpu

cores=$(nproc)
model=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A times
for ((r = 1; r <= rounds; r++)); do
  for threads in 1 0; do
    start=$(date +%s.%N)
    build/bnlab run --preset paper-fig1 --set steps="$steps" --set threads="$threads" \
      --out "runs/cpu-threads-$threads" >/dev/null 2>&1
    end=$(date +%s.%N)
    times[$threads]+="$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.2f", b - a}') "
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
t1=$(echo "${times[1]}" | median)
tn=$(echo "${times[0]}" | median)
{
  echo "bnlab run --preset paper-fig1 --set steps=$steps (2 networks): $model, $cores cores; $rounds rounds, medians"
  echo "load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)"
  awk -v s="$steps" -v t="$t1" -v r="${times[1]}" 'BEGIN {printf "  threads=1      %7.1f s  %7.0f network-steps/s   (rounds: %s)\n", t, 2 * s / t, r}'
  awk -v s="$steps" -v t="$tn" -v r="${times[0]}" -v c="$cores" \
    'BEGIN {printf "  threads=%-5d  %7.1f s  %7.0f network-steps/s   (rounds: %s)\n", c, t, 2 * s / t, r}'
  awk -v a="$t1" -v b="$tn" 'BEGIN {printf "  ratio          %7.2fx\n", a / b}'
} | tee "$out"
echo "written: bench/results/cpu.txt, bench/results/cpu.csv, $out"
