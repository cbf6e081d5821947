#!/usr/bin/env bash
# Sets up, builds and runs every test: the whole suite on a Release build, then
# the core, pipeline, alignment and app (ui) tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
#   scripts/test.sh            everything
#   scripts/test.sh --quick    skip the sanitizer build
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash scripts/build.sh
# Offscreen Qt for GUI tests; torch and OpenBLAS get both cores.
export QT_QPA_PLATFORM=offscreen
# A private sound server with a tone for a microphone, for the real audio path.
eval "$(bash scripts/sound-server.sh start)"
trap 'bash scripts/sound-server.sh stop' EXIT
(cd build && ctest --output-on-failure -j "$(nproc)")

if [ "${1:-}" != "--quick" ]; then
  bash scripts/build.sh --sanitize
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  (cd build-asan && LSAN_OPTIONS="suppressions=$PWD/../tests/lsan.supp" ctest --output-on-failure -j "$(nproc)" -L 'core|pipeline|ui|align')
fi
