#!/usr/bin/env python3
"""An independent implementation of docs/heatmaps.md in Python and numpy.

Usage: reference_heatmaps.py NARRATIVES.jsonl OURS.json
OURS.json holds what loctex_core rendered for each line of NARRATIVES.jsonl:
{"grid": G, "sigma": s, "margin": m, "narratives": [{"words": [[text, start,
end, has_trace], ...], "maps": [flat row-major floats]}, ...]}.
Exits 0 when words and times agree exactly and every cell agrees to 1e-12
relative (1e-15 absolute); otherwise prints the first difference and exits 1.
"""
import json
import math
import sys

import numpy as np

ASCII_WHITESPACE = " \t\n\v\f\r"  # not str.split(): that also splits on U+00A0


def split_words(text):
    words, current = [], ""
    for ch in text:
        if ch in ASCII_WHITESPACE:
            if current:
                words.append(current)
            current = ""
        else:
            current += ch
    if current:
        words.append(current)
    return words


def timed_words(timed_caption):
    out = []
    for u in timed_caption:
        words = split_words(u["utterance"])
        if not words:
            continue
        s, e = u["start_time"], u["end_time"]
        total = sum(len(w) for w in words)  # len() counts code points
        before = 0
        for k, w in enumerate(words):
            start = s if k == 0 else s + (e - s) * before / total
            end = e if k == len(words) - 1 else s + (e - s) * (before + len(w)) / total
            out.append((w, start, end))
            before += len(w)
    return out


def samples(traces, start, end, grid, margin):
    points = []
    for segment in traces:
        previous = None
        for p in segment:
            if not (start - margin <= p["t"] <= end + margin):
                previous = None
                continue
            gx, gy = p["x"] * grid, p["y"] * grid
            if previous is not None:
                dx, dy = gx - previous[0], gy - previous[1]
                n = math.ceil(math.sqrt(dx * dx + dy * dy) / 0.25)
                for m in range(1, n):
                    points.append((previous[0] + dx * m / n, previous[1] + dy * m / n))
            points.append((gx, gy))
            previous = (gx, gy)
    return points


def heatmap(points, grid, sigma):
    centres = np.arange(grid) + 0.5
    heat = np.zeros((grid, grid))
    for gx, gy in points:
        heat += np.exp(-((centres[None, :] - gx) ** 2 + (centres[:, None] - gy) ** 2) / (2 * sigma * sigma))
    total = heat.sum()
    if not points or total == 0:
        return np.zeros((grid, grid)), False
    return heat / total, True


def main(narratives_path, ours_path):
    ours = json.load(open(ours_path, encoding="utf-8"))
    grid, sigma, margin = ours["grid"], ours["sigma"], ours["margin"]
    lines = [l for l in open(narratives_path, encoding="utf-8").read().split("\n") if l.strip()]
    if len(lines) != len(ours["narratives"]):
        print(f"{len(lines)} narratives but {len(ours['narratives'])} rendered")
        return 1
    checked = 0
    for number, (line, rendered) in enumerate(zip(lines, ours["narratives"]), start=1):
        record = json.loads(line)
        words = timed_words(record["timed_caption"])
        if [tuple(w[:3]) for w in rendered["words"]] != words:
            print(f"line {number}: words or times differ:\n ours {rendered['words']}\n reference {words}")
            return 1
        maps = np.array(rendered["maps"], dtype=np.float64).reshape(len(words), grid, grid)
        for k, (text, start, end) in enumerate(words):
            expected, has_trace = heatmap(samples(record["traces"], start, end, grid, margin), grid, sigma)
            if rendered["words"][k][3] != has_trace:
                print(f"line {number} word {k} ({text}): has_trace {rendered['words'][k][3]}, expected {has_trace}")
                return 1
            if not np.allclose(maps[k], expected, rtol=1e-12, atol=1e-15):
                worst = np.abs(maps[k] - expected).max()
                print(f"line {number} word {k} ({text}): cells differ by up to {worst}")
                return 1
            checked += 1
    print(f"{checked} word heatmaps agree")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
