#!/usr/bin/env bash
# One LocTex training step, C++ (bench/train_step_bench.cpp, through the
# trainer's own step code) against the same model and batch in Python PyTorch
# (bench/train_step_python.py, Debian's python3-torch), same thread count;
# then the share of a real run's time spent waiting for data
# (loctex-train's metrics, on a synthetic set built for it).
#
#   bash bench/train_step_bench.sh [THREADS]      (default 2)
#
# Environment: STEPS (default 30), BATCH (default 32), REPEATS (default 3:
# each side runs REPEATS times, alternating, and the fastest counts), BENCH_DIR
# (default /tmp/loctex-train-bench). Run on an otherwise idle machine: torch's
# OpenMP threads spin while they wait, so other load slows a step many times
# over rather than in proportion.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}
steps=${STEPS:-30}
batch=${BATCH:-32}
repeats=${REPEATS:-3}
work=${BENCH_DIR:-/tmp/loctex-train-bench}
py=/usr/bin/python3

bash scripts/build.sh >&2
mkdir -p "$work"
args=(--steps "$steps" --batch "$batch" --threads "$threads")
best_cpp=0
best_py=0
for r in $(seq 1 "$repeats"); do
  cpp=$(build/bench/train_step_bench "${args[@]}")
  python=$("$py" bench/train_step_python.py "${args[@]}")
  echo "run $r: $cpp" >&2
  echo "run $r: $python" >&2
  best_cpp=$("$py" -c "import json,sys; a=json.loads(sys.argv[1]); print(max(float(sys.argv[2]), a['samples_per_s']))" "$cpp" "$best_cpp")
  best_py=$("$py" -c "import json,sys; a=json.loads(sys.argv[1]); print(max(float(sys.argv[2]), a['samples_per_s']))" "$python" "$best_py")
  last_cpp=$cpp
  last_py=$python
done

# Data waiting in a real run: 200 steps over a 2000-image synthetic set.
if [ ! -f "$work/shards/manifest.json" ]; then
  build/app/loctex-synth --out "$work/synth" --count 2000 --seed 5 >/dev/null 2>&1
  build/app/loctex-build-dataset "$work/synth/narratives.jsonl" --images "$work/synth/images" \
    --out "$work/shards" -q >/dev/null
fi
rm -rf "$work/run"
run=$(build/app/loctex-train --shards "$work/shards" --out "$work/run" --steps 200 --batch-size "$batch" \
  -j "$threads" --log-every 50 -q --json)

"$py" - "$last_cpp" "$last_py" "$best_cpp" "$best_py" "$run" <<'PY'
import json, sys
cpp, py = json.loads(sys.argv[1]), json.loads(sys.argv[2])
best_cpp, best_py = float(sys.argv[3]), float(sys.argv[4])
run = json.loads(sys.argv[5])
print(f"| implementation | parameters | threads | batch | samples/s | vs Python | peak RSS MB |")
print(f"| --- | --- | --- | --- | --- | --- | --- |")
print(f"| C++ (loctex_trainer) | {cpp['parameters']} | {cpp['threads']} | {cpp['batch']} | {best_cpp:.1f} | {best_cpp / best_py:.2f}x | {cpp['peak_rss_mb']:.0f} |")
print(f"| Python PyTorch | {py['parameters']} | {py['threads']} | {py['batch']} | {best_py:.1f} | 1.00x | {py['peak_rss_mb']:.0f} |")
print()
print(f"loctex-train, 200 steps on shards: {run['samples_per_s']:.1f} samples/s, "
      f"{100 * run['data_wait']:.2f}% of the time waiting for data, peak RSS {run['peak_rss_bytes'] / 1e6:.0f} MB")
PY
