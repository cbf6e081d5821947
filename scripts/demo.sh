#!/usr/bin/env bash
# Sets up, builds and runs the demo on the bundled synthetic sample:
# synthesise narratives and images, import them into a project, render each
# narrative's per-word heatmap overlays as PNGs, and say where they are.
#   scripts/demo.sh [OUT]    (default OUT: demo/)
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-demo}
bash scripts/setup.sh
bash scripts/build.sh

bin=build/app
rm -rf "$out"
echo "== 1/3 synthesise a sample"
"$bin/loctex-synth" --out "$out/synth" --count 8 --seed 2021
echo "== 2/3 import it into a project"
"$bin/loctex-project" init "$out/project"
"$bin/loctex-project" import "$out/project" "$out/synth/narratives.jsonl" --images "$out/synth/images"
"$bin/loctex-project" vocab "$out/project" "$out/vocab.txt"
echo "== 3/3 render per-word heatmap overlays"
"$bin/loctex-project" render "$out/project" --out "$out/overlays" --words
echo
echo "Project:    $(realpath "$out/project")/project.sqlite"
echo "Vocabulary: $(realpath "$out/vocab.txt")"
echo "Overlays:   $(realpath "$out/overlays")/*/sheet.png (one sheet per narrative, one PNG per word)"
