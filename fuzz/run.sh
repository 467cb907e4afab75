#!/usr/bin/env bash
# fuzz/run.sh — runs each libFuzzer target of a BNLAB_FUZZ build for SECONDS seconds on its seed
# corpus; exits non-zero at the first finding (the input that caused it is saved in
# BUILD/fuzz-artifacts/). Prints each target's number of executed inputs.
#   fuzz/run.sh BUILD SECONDS [TARGET...]      targets: idx npy config session (default: all)
# Seeds: the shipped MNIST label files and a small plain IDX cut from the shipped images;
# fuzz/corpus/: config.json files written by `bnlab run` for three presets (one with --set lines),
# .npy files as numpy.save writes them, and a saved session of 20 steps. What the fuzzers find
# beyond the seeds accumulates in BUILD/fuzz-corpus/, not in the source tree.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: $0 BUILD SECONDS [idx|npy|config|session ...]" >&2; exit 2; }
build=$1 seconds=$2
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(idx npy config session)

seed() {  # seed TARGET DIR: fills DIR with the target's seed inputs
  case $1 in
    idx)
      cp assets/mnist/*-labels-idx1-ubyte.gz "$2/"
      # Two 28×28 images and two labels as plain IDX: header, then the bytes.
      { printf '\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00\x00\x1c\x00\x00\x00\x1c'
        head -c $((16 + 2 * 784)) < <(gzip -dc assets/mnist/t10k-images-idx3-ubyte.gz) | tail -c $((2 * 784))
      } > "$2/two-images.idx"
      printf '\x00\x00\x08\x01\x00\x00\x00\x02\x07\x02' > "$2/two-labels.idx" ;;
    *) cp fuzz/corpus/"$1"/* "$2/" ;;
  esac
}

mkdir -p "$build/fuzz-artifacts"
for t in "${targets[@]}"; do
  corpus="$build/fuzz-corpus/$t"
  mkdir -p "$corpus"
  seed "$t" "$corpus"
  log="$build/fuzz-artifacts/fuzz_$t.log"
  # -timeout: one input taking over 10 s is a hang; -rss_limit_mb: a parser must not need more
  # than 2 GB for any input (libFuzzer also reports a single allocation above it).
  if ! "$build/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$build/fuzz-artifacts/$t-" "$corpus" > "$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "fuzz: fuzz_$t found a problem (log: $log)" >&2
    exit 1
  fi
  echo "fuzz_$t: $(sed -n 's/^stat::number_of_executed_units: *//p' "$log") inputs in ${seconds} s, no finding"
done
