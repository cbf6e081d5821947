#!/usr/bin/env python3
"""Reads a loctex-build-dataset output the way the PyTorch ecosystem does:
Python's tarfile and numpy only, members grouped by WebDataset's key rule.

Usage: check_webdataset.py OUT_DIR [NARRATIVES.jsonl]

Checks, for every shard listed in OUT_DIR/manifest.json: its sha256, byte size
and sample count; that every sample has exactly KEY.jpg, KEY.json and
KEY.heatmaps.npy with a key of [A-Za-z0-9_-] found in no other sample; that
the .npy is float16 of shape [len(words), G, G] with G the JSON's heatmap
size, rows of words with has_trace summing to 1 and the others all zero; that
the JPEG's size is the JSON's stored size. Given the narratives the build read,
each heatmap is also compared with the independent numpy implementation in
reference_heatmaps.py (to float16 precision). Exits 0 and prints a summary
when all holds; otherwise prints the first problem and exits 1.
"""
import hashlib
import io
import json
import os
import re
import sys
import tarfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_heatmaps  # noqa: E402

# webdataset.tariterators.base_plus_ext: key up to the first dot of the file name.
BASE_PLUS_EXT = re.compile(r"^((?:.*/|)[^.]+)[.]([^/]*)$")
KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class Problem(Exception):
    pass


def jpeg_size(data):
    """(width, height) from the first SOF marker."""
    if data[:2] != b"\xff\xd8":
        raise Problem("not a JPEG")
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            raise Problem("bad JPEG marker")
        marker, length = data[i + 1], int.from_bytes(data[i + 2 : i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            return int.from_bytes(data[i + 7 : i + 9], "big"), int.from_bytes(data[i + 5 : i + 7], "big")
        i += 2 + length
    raise Problem("JPEG without a frame header")


def samples_of(path):
    """Yields (key, {extension: bytes}) in tar order, grouping consecutive members."""
    key, files = None, {}
    with tarfile.open(path) as tar:
        for member in tar:
            if not member.isfile():
                continue
            match = BASE_PLUS_EXT.match(member.name)
            if not match:
                raise Problem(f"{path}: member {member.name} has no extension")
            k, ext = match.groups()
            if k != key:
                if key is not None:
                    yield key, files
                key, files = k, {}
            if ext in files:
                raise Problem(f"{path}: {member.name} appears twice")
            files[ext] = tar.extractfile(member).read()
    if key is not None:
        yield key, files


def reference_maps(lines, source_line, grid, sigma, margin):
    record = json.loads(lines[source_line - 1])
    maps, has = [], []
    for _, start, end in reference_heatmaps.timed_words(record["timed_caption"]):
        heat, has_trace = reference_heatmaps.heatmap(
            reference_heatmaps.samples(record["traces"], start, end, grid, margin), grid, sigma
        )
        maps.append(heat)
        has.append(has_trace)
    return np.array(maps), has


def check(out_dir, narratives):
    manifest = json.load(open(os.path.join(out_dir, "manifest.json"), encoding="utf-8"))
    if not manifest["complete"]:
        raise Problem("manifest says the build is not complete")
    lines = None
    if narratives:
        lines = open(narratives, encoding="utf-8").read().split("\n")
    keys = set()
    total = 0
    compared = 0
    for shard in manifest["shards"]:
        path = os.path.join(out_dir, shard["name"])
        data = open(path, "rb").read()
        if len(data) != shard["bytes"] or hashlib.sha256(data).hexdigest() != shard["sha256"]:
            raise Problem(f"{shard['name']}: size or sha256 differs from the manifest")
        count = 0
        for key, files in samples_of(path):
            where = f"{shard['name']}: {key}"
            if set(files) != {"jpg", "json", "heatmaps.npy"}:
                raise Problem(f"{where}: files {sorted(files)}")
            if not KEY.match(key) or key in keys:
                raise Problem(f"{where}: bad or repeated key")
            keys.add(key)
            meta = json.loads(files["json"])
            if meta["key"] != key:
                raise Problem(f"{where}: JSON key {meta['key']}")
            heat = np.load(io.BytesIO(files["heatmaps.npy"]), allow_pickle=False)
            grid = meta["heatmap"]["size"]
            words = meta["words"]
            if heat.dtype != np.float16 or heat.shape != (len(words), grid, grid):
                raise Problem(f"{where}: heatmaps {heat.dtype} {heat.shape}, {len(words)} words, size {grid}")
            sums = heat.astype(np.float64).sum(axis=(1, 2))
            for k, word in enumerate(words):
                expected = 1.0 if word["has_trace"] else 0.0
                if abs(sums[k] - expected) > 2e-3 or (not word["has_trace"] and np.any(heat[k] != 0)):
                    raise Problem(f"{where}: word {k} ({word['text']}) sums to {sums[k]}, has_trace {word['has_trace']}")
            if jpeg_size(files["jpg"]) != (meta["image"]["width"], meta["image"]["height"]):
                raise Problem(f"{where}: JPEG size {jpeg_size(files['jpg'])}, JSON says {meta['image']}")
            if lines is not None:
                ref, has = reference_maps(
                    lines, meta["source"]["line"], grid, meta["heatmap"]["sigma"], meta["heatmap"]["time_margin"]
                )
                if has != [w["has_trace"] for w in words]:
                    raise Problem(f"{where}: has_trace differs from the reference")
                # float16 keeps 11 significant bits: relative error at most 2^-11.
                if not np.allclose(heat.astype(np.float64), ref, rtol=2 ** -10, atol=1e-7):
                    worst = np.abs(heat.astype(np.float64) - ref).max()
                    raise Problem(f"{where}: heatmaps differ from the reference by up to {worst}")
                compared += 1
            count += 1
        if count != shard["samples"]:
            raise Problem(f"{shard['name']}: {count} samples, manifest says {shard['samples']}")
        total += count
    samples = manifest["totals"]["samples"]
    if total != samples["train"] + samples["val"]:
        raise Problem(f"{total} samples in the shards, manifest totals say {samples}")
    print(f"{total} samples in {len(manifest['shards'])} shards check out; {compared} compared with the reference")


if __name__ == "__main__":
    try:
        check(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
    except Problem as problem:
        print(problem)
        sys.exit(1)
