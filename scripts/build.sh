#!/usr/bin/env bash
# Configures and builds LocTex Studio.
#   scripts/build.sh              Release build in build/
#   scripts/build.sh --sanitize   ASan+UBSan build of the core, pipeline and app (ui) tests in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc)
if [ "${1:-}" = "--sanitize" ]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOCTEX_SANITIZE=ON \
    -DLOCTEX_BUILD_BENCH=OFF -DLOCTEX_BUILD_TRAINER=OFF >/dev/null
  # Only what the sanitizer run executes: the core, pipeline and ui libraries and their tests (not the trainer: libtorch is not instrumented).
  cmake --build build-asan -j "$jobs" --target sanitize_tests
else
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build -j "$jobs"
fi
