#!/usr/bin/python3
"""loctex-build-dataset's job in Python, the way a researcher would write it.

Usage: /usr/bin/python3 bench/build_dataset_python.py NARRATIVES.jsonl IMAGES_DIR OUT_DIR
           [--processes N] [--image-size 256] [--quality 90] [--heatmap-size 16]
           [--sigma 1.0] [--time-margin 0] [--val-fraction 0.05] [--shard-samples 1000]

The comparison point for bench/build_dataset_bench.sh. A multiprocessing.Pool
of N workers maps over the narratives (in order, imap with chunks); each
worker:
  - parses the JSON line;
  - reads IMAGES_DIR/{image_id}.jpg and decodes it with cv2.imdecode, with
    IMREAD_REDUCED_COLOR_2/4/8 when the reduced image still has a shorter side
    of at least --image-size (the size comes from the JPEG's SOF header);
  - resizes with cv2.INTER_AREA to a shorter side of --image-size (longer side
    rounded to nearest, as the builder does) and encodes with cv2.imencode at
    --quality;
  - renders the per-word heatmaps in numpy: words and times from
    tests/reference_heatmaps.py (imported), the samples (selected points plus
    0.25-cell interpolation) and the Gaussian sum vectorised (docs/heatmaps.md),
    float16 [words, G, G] saved with np.save to a BytesIO;
  - builds KEY.json like the builder's.
The parent writes the samples with tarfile, 1000 per shard, into
train-NNNNNN.tar / val-NNNNNN.tar (same key and split rules as the builder).
OpenCV's own threads are off in the workers (cv2.setNumThreads(1)): the
processes are the parallelism. No resume, manifest or vocabulary.
"""
import argparse
import hashlib
import io
import json
import multiprocessing
import os
import re
import sys
import tarfile
import time

import cv2
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from reference_heatmaps import timed_words  # noqa: E402  (docs/heatmaps.md's word rule)

ARGS = None  # set in each worker by init()


def init(args):
    global ARGS
    ARGS = args
    cv2.setNumThreads(1)


# ---------------------------------------------------------------------------
# Keys and split, as docs/dataset-builder.md.

ID_CHARS = re.compile(r"^[A-Za-z0-9_]+$")


def sample_key(dataset_id, image_id, annotator_id):
    ids = [dataset_id, image_id, str(annotator_id)]
    if all(ID_CHARS.match(i) for i in ids):
        return "-".join(ids)
    digest = hashlib.sha256("\0".join(ids).encode()).hexdigest()[:16]
    return "-".join(re.sub(r"[^A-Za-z0-9_]", "_", i) for i in ids) + "-" + digest


def split_of(dataset_id, image_id, val_fraction):
    d = hashlib.sha256(f"{dataset_id}/{image_id}".encode()).digest()
    return "val" if (int.from_bytes(d[:8], "big") >> 11) / 2**53 < val_fraction else "train"


# ---------------------------------------------------------------------------
# Images

def jpeg_size(data):
    """(width, height) from the first SOF marker, or None."""
    pos = 2
    while pos + 9 < len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in (0x01,) or 0xD0 <= marker <= 0xD8:
            pos += 2
            continue
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            h = int.from_bytes(data[pos + 5:pos + 7], "big")
            w = int.from_bytes(data[pos + 7:pos + 9], "big")
            return w, h
        pos += 2 + length
    return None


def target_size(width, height, shorter_side):
    landscape = width >= height
    shorter, longer = (height, width) if landscape else (width, height)
    scaled = max(1, (2 * longer * shorter_side + shorter) // (2 * shorter))  # round, halves up
    return (scaled, shorter_side) if landscape else (shorter_side, scaled)


def resize_image(path, shorter_side, quality):
    with open(path, "rb") as f:
        data = f.read()
    mode = cv2.IMREAD_COLOR
    size = jpeg_size(data)
    if size is not None:
        shorter = min(size)
        for reduced, factor in ((cv2.IMREAD_REDUCED_COLOR_8, 8), (cv2.IMREAD_REDUCED_COLOR_4, 4),
                                (cv2.IMREAD_REDUCED_COLOR_2, 2)):
            if -(-shorter // factor) >= shorter_side:
                mode = reduced
                break
    image = cv2.imdecode(np.frombuffer(data, np.uint8), mode)
    if image is None:
        raise ValueError(f"cannot decode {path}")
    # The original size (the reduced decode divides it); EXIF orientation is
    # applied by imdecode, so take the size from the decoded image's shape.
    if size is None or mode == cv2.IMREAD_COLOR:
        original = (image.shape[1], image.shape[0])
    else:
        original = size if (image.shape[1] >= image.shape[0]) == (size[0] >= size[1]) else size[::-1]
    width, height = target_size(original[0], original[1], shorter_side)
    interpolation = cv2.INTER_AREA if width <= image.shape[1] else cv2.INTER_CUBIC
    resized = cv2.resize(image, (width, height), interpolation=interpolation)
    ok, jpg = cv2.imencode(".jpg", resized, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(f"cannot encode {path}")
    return jpg.tobytes(), original, (width, height)


# ---------------------------------------------------------------------------
# Heatmaps, docs/heatmaps.md, vectorised.

def word_samples(segments, start, end, grid, margin):
    """All samples of one word, an (n, 2) array in grid units."""
    parts = []
    for seg in segments:  # seg: (n, 3) array of x, y, t
        if len(seg) == 0:
            continue
        t = seg[:, 2]
        selected = (t >= start - margin) & (t <= end + margin)
        if not selected.any():
            continue
        g = seg[:, :2] * grid
        parts.append(g[selected])
        # Edges between consecutive selected points: n = ceil(L / 0.25), n - 1 interior points.
        edge = selected[:-1] & selected[1:]
        if edge.any():
            p, q = g[:-1][edge], g[1:][edge]
            d = q - p
            n = np.ceil(np.sqrt((d * d).sum(axis=1)) / 0.25).astype(np.int64)
            interior = np.maximum(n - 1, 0)
            if interior.sum():
                which = np.repeat(np.arange(len(n)), interior)
                first = np.cumsum(interior) - interior
                m = np.arange(interior.sum()) - np.repeat(first, interior) + 1
                frac = (m / n[which])[:, None]
                parts.append(p[which] + d[which] * frac)
    return np.concatenate(parts) if parts else np.empty((0, 2))


def word_heatmaps(record, grid, sigma, margin):
    words = timed_words(record["timed_caption"])
    segments = [np.array([(p["x"], p["y"], p["t"]) for p in seg], dtype=np.float64).reshape(-1, 3)
                for seg in record["traces"]]
    centres = np.arange(grid) + 0.5
    maps = np.zeros((len(words), grid, grid))
    has_trace = []
    for k, (_, start, end) in enumerate(words):
        s = word_samples(segments, start, end, grid, margin)
        if len(s) == 0:
            has_trace.append(False)
            continue
        ex = np.exp(-(centres[None, :] - s[:, 0:1]) ** 2 / (2 * sigma * sigma))  # (n, G) over x
        ey = np.exp(-(centres[None, :] - s[:, 1:2]) ** 2 / (2 * sigma * sigma))  # (n, G) over y
        heat = ey.T @ ex  # heat[j, i] = sum_n ey[n, j] ex[n, i]
        total = heat.sum()
        if total == 0:
            has_trace.append(False)
            continue
        maps[k] = heat / total
        has_trace.append(True)
    return words, maps, has_trace


# ---------------------------------------------------------------------------
# One sample, in a worker.

def process(job):
    line_number, line = job
    a = ARGS
    try:
        record = json.loads(line)
        key = sample_key(record["dataset_id"], record["image_id"], record["annotator_id"])
        split = split_of(record["dataset_id"], record["image_id"], a.val_fraction)
        jpg, original, size = resize_image(os.path.join(a.images, f"{record['image_id']}.jpg"),
                                           a.image_size, a.quality)
        words, maps, has_trace = word_heatmaps(record, a.heatmap_size, a.sigma, a.time_margin)
        npy = io.BytesIO()
        np.save(npy, maps.astype(np.float16))
        meta = {
            "key": key, "dataset_id": record["dataset_id"], "image_id": record["image_id"],
            "annotator_id": record["annotator_id"], "caption": record.get("caption", ""),
            "words": [{"text": w, "start": s, "end": e, "has_trace": h}
                      for (w, s, e), h in zip(words, has_trace)],
            "image": {"original_width": original[0], "original_height": original[1],
                      "width": size[0], "height": size[1]},
            "source": {"file": a.narratives, "line": line_number},
            "heatmap": {"size": a.heatmap_size, "sigma": a.sigma, "time_margin": a.time_margin,
                        "dtype": "float16"},
        }
        return key, split, [(key + ".jpg", jpg),
                            (key + ".json", json.dumps(meta, ensure_ascii=False).encode()),
                            (key + ".heatmaps.npy", npy.getvalue())]
    except Exception as e:  # a bad sample is skipped, as the builder does
        return None, None, f"line {line_number}: {e}"


# ---------------------------------------------------------------------------
# Shards, in the parent.

class ShardWriter:
    def __init__(self, out, prefix, per_shard):
        self.out, self.prefix, self.per_shard = out, prefix, per_shard
        self.tar, self.count, self.shards = None, 0, 0

    def add(self, members):
        if self.tar is None or self.count == self.per_shard:
            self.close()
            path = os.path.join(self.out, f"{self.prefix}-{self.shards:06d}.tar")
            self.tar = tarfile.open(path, "w", format=tarfile.USTAR_FORMAT)
            self.shards += 1
            self.count = 0
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            self.tar.addfile(info, io.BytesIO(data))
        self.count += 1

    def close(self):
        if self.tar is not None:
            self.tar.close()
            self.tar = None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("narratives")
    parser.add_argument("images")
    parser.add_argument("out")
    parser.add_argument("--processes", type=int, default=os.cpu_count())
    parser.add_argument("--image-size", type=int, default=256)
    parser.add_argument("--quality", type=int, default=90)
    parser.add_argument("--heatmap-size", type=int, default=16)
    parser.add_argument("--sigma", type=float, default=1.0)
    parser.add_argument("--time-margin", type=float, default=0.0)
    parser.add_argument("--val-fraction", type=float, default=0.05)
    parser.add_argument("--shard-samples", type=int, default=1000)
    args = parser.parse_args()

    started = time.monotonic()
    os.makedirs(args.out, exist_ok=True)
    writers = {s: ShardWriter(args.out, s, args.shard_samples) for s in ("train", "val")}
    counts = {"train": 0, "val": 0}
    seen, errors = set(), []
    with open(args.narratives, encoding="utf-8") as f:
        jobs = ((n, line) for n, line in enumerate(f, start=1) if line.strip())
        with multiprocessing.Pool(args.processes, initializer=init, initargs=(args,)) as pool:
            for key, split, result in pool.imap(process, jobs, chunksize=8):
                if key is None:
                    errors.append(result)
                    continue
                if key in seen:
                    errors.append(f"duplicate {key}")
                    continue
                seen.add(key)
                writers[split].add(result)
                counts[split] += 1
    for w in writers.values():
        w.close()
    summary = {"train_samples": counts["train"], "val_samples": counts["val"],
               "train_shards": writers["train"].shards, "val_shards": writers["val"].shards,
               "skipped": len(errors), "seconds": round(time.monotonic() - started, 3),
               "processes": args.processes}
    print(json.dumps(summary))
    for e in errors[:10]:
        print("skipped:", e, file=sys.stderr)
    return 0 if not errors else 3


if __name__ == "__main__":
    sys.exit(main())
