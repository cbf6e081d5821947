#!/usr/bin/env bash
# Whole-process benchmark: import a ~1 GB LN JSONL file into a project and
# export it back, reporting wall time and peak resident memory (GNU time), and
# checking that the export is byte-identical to the input.
#   bench/project_round_trip.sh [COPIES]   (default 18 copies of 2000 synthetic narratives, ~1.04 GB)
set -euo pipefail
cd "$(dirname "$0")/.."
copies=${1:-18}
bin=build/app
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin/loctex-synth" --out "$work/synth" --count 2000 --seed 3 -q >/dev/null
for _ in $(seq "$copies"); do cat "$work/synth/narratives.jsonl"; done >"$work/big.jsonl"
echo "input: $(du -h "$work/big.jsonl" | cut -f1), $((copies * 2000)) narratives"
"$bin/loctex-project" init "$work/project" -q >/dev/null

measure() {
  /usr/bin/time -f "%e s wall, %M KiB peak RSS" "$@" 2>&1 >/dev/null | tail -1
}
echo "import: $(measure "$bin/loctex-project" import "$work/project" "$work/big.jsonl" -q)"
echo "export: $(measure "$bin/loctex-project" export "$work/project" "$work/back.jsonl" -q)"
cmp -s "$work/big.jsonl" "$work/back.jsonl" && echo "round trip: byte-identical" || { echo "round trip: DIFFERS"; exit 1; }
