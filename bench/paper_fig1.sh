#!/usr/bin/env bash
# paper_fig1.sh — the paper's Figure 1 experiment, over several seeds.
# Runs `bnlab run --preset paper-fig1` (50,000 steps, no-BN vs BN twins) for each seed and keeps
# the summaries: BN vs no-BN test accuracy at 1k/5k/10k/50k steps and the drift (range over
# training) of the typical unit's 15/50/85th percentiles.
#   bench/paper_fig1.sh [seeds...]     (default: 1 2 3; build first with ./quickstart.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${*:-1 2 3}"
out=bench/results/paper-fig1.txt
mkdir -p bench/results
: >"$out"
for seed in $seeds; do
  echo "== seed $seed ==" | tee -a "$out"
  build/bnlab run --preset paper-fig1 --set seed="$seed" --out "runs/paper-fig1-seed$seed" 2>/dev/null | tee -a "$out"
done
echo "written: $out"
