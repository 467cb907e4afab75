#!/usr/bin/env bash
# lesson14_seeds.sh — lesson 14 (BN as a regularizer) over several seeds.
# Runs `bnlab run --preset lesson-14-bn-as-a-regularizer --backend cpu` (3,000 steps on 1,000
# training digits: none, dropout, bn, bn-dropout) for each seed and keeps the summaries, so that
# the lesson's claims — the order of the four on the test set, BN first to fit the training set —
# can be checked beyond the seed its text quotes.
#   bench/lesson14_seeds.sh [seeds...]     (default: 1 2 3; build first with ./quickstart.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${*:-1 2 3}"
out=bench/results/lesson-14.txt
mkdir -p bench/results
: >"$out"
for seed in $seeds; do
  echo "== seed $seed: build/bnlab run --preset lesson-14-bn-as-a-regularizer --backend cpu --set seed=$seed ==" | tee -a "$out"
  build/bnlab run --preset lesson-14-bn-as-a-regularizer --backend cpu --set seed="$seed" \
    --out "runs/lesson-14-seed$seed" 2>/dev/null | tee -a "$out"
done
echo "written: $out"
