#!/usr/bin/env bash
# How long the app's event loop makes a call wait while the Training window
# trains (bench/ui_latency_bench.cpp): 60 Hz probes, idle and then training
# with the trainer's default config on a 2000-image synthetic set.
#
#   bash bench/ui_latency_bench.sh [SECONDS] [THREADS]   (defaults 20 and 0: every core)
#
# Environment: BENCH_DIR (default /tmp/loctex-train-bench, shared with
# bench/train_step_bench.sh). Run on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
threads=${2:-0}
work=${BENCH_DIR:-/tmp/loctex-train-bench}
bash scripts/build.sh >&2
if [ ! -f "$work/shards/manifest.json" ]; then
  build/app/loctex-synth --out "$work/synth" --count 2000 --seed 5 >/dev/null 2>&1
  build/app/loctex-build-dataset "$work/synth/narratives.jsonl" --images "$work/synth/images" \
    --out "$work/shards" -q >/dev/null
fi
build/bench/ui_latency_bench --shards "$work/shards" --seconds "$seconds" --threads "$threads"
