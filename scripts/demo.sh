#!/usr/bin/env bash
# Sets up, builds and runs the demo on the bundled synthetic sample:
# synthesise narratives and images, import them into a project, render each
# narrative's per-word heatmap overlays as PNGs, build a sharded training set
# (WebDataset tars) from the project, and say where everything is.
#   scripts/demo.sh [OUT]    (default OUT: demo/)
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-demo}
bash scripts/setup.sh
bash scripts/build.sh

bin=build/app
rm -rf "$out"
echo "== 1/4 synthesise a sample"
"$bin/loctex-synth" --out "$out/synth" --count 8 --seed 2021
echo "== 2/4 import it into a project"
"$bin/loctex-project" init "$out/project"
"$bin/loctex-project" import "$out/project" "$out/synth/narratives.jsonl" --images "$out/synth/images"
"$bin/loctex-project" vocab "$out/project" "$out/vocab.txt"
echo "== 3/4 render per-word heatmap overlays"
"$bin/loctex-project" render "$out/project" --out "$out/overlays" --words
echo "== 4/4 build a training set: WebDataset shards with per-word heatmaps"
"$bin/loctex-build-dataset" "$out/project" --out "$out/dataset" --shard-samples 4 --val-fraction 0.25
echo
echo "Project:    $(realpath "$out/project")/project.sqlite"
echo "Vocabulary: $(realpath "$out/vocab.txt")"
echo "Overlays:   $(realpath "$out/overlays")/*/sheet.png (one sheet per narrative, one PNG per word)"
echo "Data set:   $(realpath "$out/dataset")/ (train-*.tar, val-*.tar, manifest.json, vocab.txt, errors.jsonl)"
