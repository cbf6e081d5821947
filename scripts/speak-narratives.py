#!/usr/bin/env python3
"""Gives each narrative of an LN JSONL file a voice: its caption spoken by
espeak-ng into VOICES/DATASET-IMAGE_ID-ANNOTATOR.wav, named in voice_recording
(relative to the output file's folder). The demo aligns these voices with
loctex-align; the words' true times are espeak-ng's, not the annotator's.

    scripts/speak-narratives.py IN.jsonl OUT.jsonl [--voices voices]
"""
import argparse
import json
import os
import subprocess
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--voices", default="voices", help="folder for the WAVs, beside OUTPUT")
    args = parser.parse_args()
    root = os.path.dirname(os.path.abspath(args.output))
    os.makedirs(os.path.join(root, args.voices), exist_ok=True)
    records = []
    with open(args.input, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                # dataset_id too: image ids repeat across datasets.
                name = os.path.join(
                    args.voices, f"{record['dataset_id']}-{record['image_id']}-{record['annotator_id']}.wav")
                caption = record["caption"]
            except (ValueError, KeyError) as e:
                sys.exit(f"{args.input}:{number}: not a narrative: {e}")
            # Python's subprocess passes the caption as one argument: no shell quoting.
            try:
                result = subprocess.run(["espeak-ng", "-s", "150", "-w", os.path.join(root, name), caption],
                                        capture_output=True, text=True)
            except FileNotFoundError:
                sys.exit("espeak-ng is not installed (scripts/setup.sh installs it)")
            if result.returncode != 0:
                sys.exit(f"{args.input}:{number}: espeak-ng failed: {result.stderr.strip()}")
            record["voice_recording"] = name
            records.append(record)
    with open(args.output + ".tmp", "w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record) + "\n")
    os.replace(args.output + ".tmp", args.output)
    print(f"spoke {len(records)} captions into {os.path.join(root, args.voices)}")


if __name__ == "__main__":
    main()
