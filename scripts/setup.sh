#!/usr/bin/env bash
# Installs every build, test and run-time dependency of LocTex Studio from
# Debian 12 packages. Idempotent: when everything is present it only checks
# (a second or so) and installs nothing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config clang-format
  qt6-base-dev libqt6opengl6-dev qt6-charts-dev qt6-svg-dev qt6-multimedia-dev
  libopencv-dev libtbb-dev nlohmann-json3-dev libsqlite3-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev libsimdjson-dev
  libtorch-dev libopenblas0-openmp
  libarchive-dev libcli11-dev libturbojpeg0-dev libsndfile1-dev libsoxr-dev
  libpocketsphinx-dev libsphinxbase-dev pocketsphinx-en-us flite1-dev espeak-ng
  pulseaudio xvfb xauth python3 python3-numpy python3-torch python3-torchvision
)

missing=()
for p in "${packages[@]}"; do
  # dpkg-query prints "install ok installed" only for a fully installed package.
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

echo "setup: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
