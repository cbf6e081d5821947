#!/usr/bin/python3
"""Replaces the images of a loctex-synth set with photo-like JPEGs.

Usage: /usr/bin/python3 bench/make_photo_set.py SET_DIR [--width 640] [--height 480]
           [--quality 90] [--seed 1] [--processes N]

Every SET_DIR/images/*.jpg is overwritten, under the same name, by a seeded
photo-like picture, so SET_DIR/narratives.jsonl stays valid (its traces are in
normalised coordinates). loctex-synth's flat-colour shapes compress to 30 KB
and decode unrealistically fast; what makes a real photo cost what it costs
is texture at every scale. Each picture mixes:

  - a base colour and a vertical lighting gradient (sky/ground);
  - octaves of smooth noise, each twice the frequency of the last: colour
    noise that fades fast (tints, lighting) and grey noise that fades slowly
    (about 1/f: foliage, fabric, gravel), the busyness drawn per image;
  - 8-20 anti-aliased ellipses, polygons and bars, shaded by the same noise,
    for hard edges at several scales;
  - a slight optical blur, then sensor noise.

At 640x480, quality 90 the files are about 57-122 KB (mean 87 KB for 1500),
like COCO's photos. Vectorised numpy + OpenCV: about 20 ms an image per core.
Needs Debian's python3-opencv (run with /usr/bin/python3).
"""
import argparse
import multiprocessing
import os
import sys
import zlib

import cv2
import numpy as np


def photo_like(width, height, seed):
    rng = np.random.default_rng(seed)
    size = (width, height)
    longer = max(width, height)

    acc = np.empty((height, width, 3), np.float32)
    acc[:] = rng.uniform(60.0, 190.0, 3).astype(np.float32)
    # Lighting: a vertical gradient in a random direction and strength.
    ramp = np.linspace(-1.0, 1.0, height, dtype=np.float32)[:, None, None]
    acc += ramp * rng.uniform(-40.0, 40.0, 3).astype(np.float32)

    colour_amplitude = 22.0
    grey_amplitude = rng.uniform(22.0, 36.0)
    grey_decay = rng.uniform(0.80, 1.0)  # smooth to busy pictures
    n = 2
    while n <= longer // 2:
        grid_w = max(2, n * width // longer) + 1
        grid_h = max(2, n * height // longer) + 1
        cells = rng.normal(0.0, colour_amplitude, (grid_h, grid_w, 3))
        cells += rng.normal(0.0, grey_amplitude, (grid_h, grid_w, 1))
        acc += cv2.resize(cells.astype(np.float32), size, interpolation=cv2.INTER_CUBIC)
        colour_amplitude *= 0.5
        grey_amplitude *= grey_decay
        n *= 2
    image = np.clip(acc, 0, 255).astype(np.uint8)

    # Objects with hard, anti-aliased edges.
    for _ in range(int(rng.integers(8, 21))):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        cx, cy = int(rng.integers(0, width)), int(rng.integers(0, height))
        radius = int(rng.integers(max(4, width // 40), max(5, width // 4)))
        kind = int(rng.integers(0, 3))
        if kind == 0:
            axes = (radius, int(rng.integers(radius // 3 + 1, radius + 2)))
            cv2.ellipse(image, (cx, cy), axes, float(rng.uniform(0, 180)), 0, 360, colour, -1, cv2.LINE_AA)
        elif kind == 1:
            corners = rng.integers(-radius, radius + 1, (int(rng.integers(3, 7)), 2)) + (cx, cy)
            cv2.fillPoly(image, [corners.astype(np.int32)], colour, cv2.LINE_AA)
        else:
            end = (cx + int(rng.integers(-radius, radius + 1)), cy + int(rng.integers(-radius, radius + 1)))
            cv2.line(image, (cx, cy), end, colour, int(rng.integers(1, 9)), cv2.LINE_AA)

    # Shade the objects with the noise too, then optics and sensor.
    shaded = 0.6 * image.astype(np.float32) + 0.4 * acc
    shaded = cv2.GaussianBlur(shaded, (0, 0), 0.7)
    shaded += rng.standard_normal(shaded.shape, dtype=np.float32) * np.float32(rng.uniform(2.5, 6.0))
    return np.clip(shaded, 0, 255).astype(np.uint8)


def make_one(job):
    path, width, height, quality, seed = job
    # Seeded by the set seed and the file name: the same set gives the same files.
    image = photo_like(width, height, [seed, zlib.crc32(os.path.basename(path).encode())])
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError(f"cannot encode {path}")
    with open(path, "wb") as f:
        f.write(data.tobytes())
    return len(data)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("set_dir", help="a loctex-synth output folder (with images/)")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--quality", type=int, default=90)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--processes", type=int, default=os.cpu_count())
    args = parser.parse_args()

    cv2.setNumThreads(1)
    images = os.path.join(args.set_dir, "images")
    names = sorted(n for n in os.listdir(images) if n.lower().endswith(".jpg"))
    if not names:
        print(f"no .jpg in {images}", file=sys.stderr)
        return 1
    jobs = [(os.path.join(images, n), args.width, args.height, args.quality, args.seed) for n in names]
    with multiprocessing.Pool(args.processes) as pool:
        sizes = np.array(pool.map(make_one, jobs, chunksize=16))
    print(f"{len(sizes)} photo-like {args.width}x{args.height} q{args.quality} JPEGs in {images}: "
          f"{sizes.mean() / 1e3:.0f} KB mean, {sizes.min() / 1e3:.0f}-{sizes.max() / 1e3:.0f} KB, "
          f"{sizes.sum() / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
