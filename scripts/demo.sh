#!/usr/bin/env bash
# Sets up, builds and runs the demo on the bundled synthetic sample:
# synthesise narratives and images, import them into a project, render each
# narrative's per-word heatmap overlays as PNGs, give the narratives voices
# (espeak-ng) and align their words to them, build a sharded training set
# (WebDataset tars) from the project, pretrain on a larger synthetic set with
# and without trace supervision, evaluate both against a random model, draw
# attention overlays, and say where everything is. About 3 minutes on 2 cores.
#   scripts/demo.sh [OUT]    (default OUT: demo/)
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-demo}
bash scripts/setup.sh
bash scripts/build.sh

bin=build/app
rm -rf "$out"
echo "== 1/7 synthesise a sample"
"$bin/loctex-synth" --out "$out/synth" --count 8 --seed 2021
echo "== 2/7 import it into a project"
"$bin/loctex-project" init "$out/project"
"$bin/loctex-project" import "$out/project" "$out/synth/narratives.jsonl" --images "$out/synth/images"
"$bin/loctex-project" vocab "$out/project" "$out/vocab.txt"
echo "== 3/7 render per-word heatmap overlays"
"$bin/loctex-project" render "$out/project" --out "$out/overlays" --words
echo "== 4/7 give each narrative a voice (espeak-ng) and align its words to it"
/usr/bin/python3 scripts/speak-narratives.py "$out/synth/narratives.jsonl" "$out/voiced/narratives.jsonl"
"$bin/loctex-align" "$out/voiced/narratives.jsonl" --out "$out/aligned"
echo "== 5/7 build a training set: WebDataset shards with per-word heatmaps"
"$bin/loctex-build-dataset" "$out/project" --out "$out/dataset" --shard-samples 4 --val-fraction 0.25
echo "== 6/7 pretrain on 1200 synthetic images: LocTex, then without trace attention"
"$bin/loctex-synth" --out "$out/train-synth" --count 1200 --seed 7 -q
"$bin/loctex-build-dataset" "$out/train-synth/narratives.jsonl" --images "$out/train-synth/images" \
  --out "$out/train-dataset" --val-fraction 0.1 -q
# The linear probe's own labelled set: images of one object each.
"$bin/loctex-synth" --out "$out/probe-synth" --count 600 --seed 8 --max-objects 1 -q
"$bin/loctex-build-dataset" "$out/probe-synth/narratives.jsonl" --images "$out/probe-synth/images" \
  --out "$out/probe-dataset" --val-fraction 0.2 -q
"$bin/loctex-train" --shards "$out/train-dataset" --out "$out/runs/loctex" --steps 300 --log-every 50
"$bin/loctex-train" --shards "$out/train-dataset" --out "$out/runs/no-trace" --steps 300 --log-every 50 \
  --trace-attention-weight 0 -q
echo "== 7/7 evaluate against a random model and the no-trace run; draw attention overlays"
"$bin/loctex-train" eval "$out/runs/loctex" --objects "$out/train-synth/objects.jsonl" \
  --probe-shards "$out/probe-dataset" --probe-objects "$out/probe-synth/objects.jsonl" \
  --baseline "$out/runs/no-trace" --out "$out/runs/report.json"
"$bin/loctex-train" overlays "$out/runs/loctex" --out "$out/attention" --samples 4
echo
echo "Project:    $(realpath "$out/project")/project.sqlite"
echo "Vocabulary: $(realpath "$out/vocab.txt")"
echo "Overlays:   $(realpath "$out/overlays")/*/sheet.png (one sheet per narrative, one PNG per word)"
echo "Aligned:    $(realpath "$out/aligned")/narratives.jsonl (word times from the voices in $(realpath "$out/voiced")/voices; errors.jsonl)"
echo "Data set:   $(realpath "$out/dataset")/ (train-*.tar, val-*.tar, manifest.json, vocab.txt, errors.jsonl)"
echo "Runs:       $(realpath "$out/runs")/ (loctex/, no-trace/: config.json, metrics.jsonl, checkpoints/; report.json)"
echo "Attention:  $(realpath "$out/attention")/*/sheet.png (the model's attention beside each word's trace)"
if [ -x build/app/loctex ]; then
  echo "App:        build/app/loctex $(realpath "$out/project")   (pick an image, Space replays it, Ctrl+T records; Tools > Training trains on $(realpath "$out/train-dataset"))"
fi
