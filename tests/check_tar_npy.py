#!/usr/bin/env python3
"""Reads a tar written by loctex's TarWriter with Python's own tarfile and numpy.

Usage: check_tar_npy.py SHARD.tar EXPECTED.json
EXPECTED.json: {"members": [{"name": N, "size": bytes, "sha256": hex,
"npy": {"shape": [...], "values": [float64, ...]}}, ...]}, in tar order;
"npy" only for .npy members. Checks that tarfile lists exactly those members
as regular files with mode 0644, mtime 0, uid/gid 0 and no user or group
name, with the right bytes; and that numpy.load reads each .npy member as
float16 of the given shape whose values are numpy's own
float64 -> float16 rounding of the given values, in a file byte-identical to
what numpy.save writes. Exits 0 if all holds; otherwise prints the first
difference and exits 1.
"""
import hashlib
import io
import json
import sys
import tarfile

import numpy as np


def fail(message):
    print("check_tar_npy: " + message, file=sys.stderr)
    sys.exit(1)


def check_npy(name, data, expected):
    array = np.load(io.BytesIO(data), allow_pickle=False)
    if array.dtype != np.float16:
        fail(f"{name}: dtype {array.dtype}, expected float16")
    shape = tuple(expected["shape"])
    if array.shape != shape:
        fail(f"{name}: shape {array.shape}, expected {shape}")
    with np.errstate(over="ignore"):  # values past 65504 become inf, as intended
        want = np.array(expected["values"], dtype=np.float64).reshape(shape).astype(np.float16)
    got_bits = array.view(np.uint16).ravel().tolist()
    want_bits = want.view(np.uint16).ravel().tolist()
    for i, (g, w) in enumerate(zip(got_bits, want_bits)):
        if g != w:
            fail(f"{name}: element {i} ({expected['values'][i]!r}) is 0x{g:04x}, numpy rounds to 0x{w:04x}")
    ours = io.BytesIO()
    np.save(ours, want)
    if ours.getvalue() != data:
        fail(f"{name}: bytes differ from numpy.save's:\n{data[:128]!r}\n{ours.getvalue()[:128]!r}")


def main():
    tar_path, expected_path = sys.argv[1], sys.argv[2]
    with open(expected_path) as f:
        expected = json.load(f)["members"]
    with tarfile.open(tar_path, "r:") as tar:
        members = tar.getmembers()
        names = [m.name for m in members]
        if names != [e["name"] for e in expected]:
            fail(f"members {names}, expected {[e['name'] for e in expected]}")
        for member, want in zip(members, expected):
            name = member.name
            if not member.isreg():
                fail(f"{name}: not a regular file")
            fields = (member.mode, member.mtime, member.uid, member.gid, member.uname, member.gname)
            if fields != (0o644, 0, 0, 0, "", ""):
                fail(f"{name}: mode, mtime, uid, gid, uname, gname are {fields}")
            data = tar.extractfile(member).read()
            if len(data) != want["size"] or hashlib.sha256(data).hexdigest() != want["sha256"]:
                fail(f"{name}: {len(data)} bytes that differ from what was written")
            if "npy" in want:
                check_npy(name, data, want["npy"])


if __name__ == "__main__":
    main()
