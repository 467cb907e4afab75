#!/usr/bin/env bash
# setup-debian.sh — installs the Debian packages bnlab builds, runs and tests with, if missing.
# Every dependency is a Debian package (see third_party/README.md); nothing is downloaded by the
# build itself. Needs root or sudo only when something is missing.
set -euo pipefail

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
  libimgui-dev libglfw3-dev libstb-dev fonts-dejavu-core xvfb xauth
  # recording the window as MP4 (the lab pipes frames to ffmpeg; PNG sequences need nothing)
  ffmpeg
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
