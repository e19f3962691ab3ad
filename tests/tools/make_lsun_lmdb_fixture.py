#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A small LSUN-style LMDB written by Python's lmdb module, and what fyu/lsun's `data.py export`
makes of it, for tests/fixtures/lsun_python_lmdb.

    apt-get install -y python3-lmdb python3-opencv
    mkdir -p /tmp/ref/lsun
    git --git-dir=/work/.mirror/fyu+lsun/repo archive HEAD | tar -x -C /tmp/ref/lsun
    /usr/bin/python3 tests/tools/make_lsun_lmdb_fixture.py [--lsun /tmp/ref/lsun]

LSUN's databases map ASCII hex ids (40 characters, sha1-like) to encoded images (JPEG mostly,
some WebP). This writes such a database (keys inserted in non-sorted order; LMDB stores them
sorted), then computes the expected export listings with a restatement of fyu/lsun data.py's
`export_images` (below, `lsun_export_paths`) and checks the restatement against the real
`export_images` loaded from the snapshot given by --lsun (run into temporary folders). Nothing of
fyu/lsun is copied into this repository. See tests/fixtures/lsun_python_lmdb/README.md.
"""
import argparse
import hashlib
import importlib.util
import json
import os
import shutil
import tempfile

import cv2
import lmdb
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "lsun_python_lmdb")
DB = os.path.join(OUT, "db")
MAP_SIZE = 1 << 20  # 1 MiB is plenty for ~20 KiB of images

# (name, encoder, width, height, gray); encoders below
IMAGES = [
    ("jpeg_q90", "jpeg90", 32, 24, False),
    ("webp_lossy", "webp80", 40, 30, False),
    ("jpeg_small", "jpeg75", 20, 20, False),
    ("jpeg_gray", "jpeg90", 45, 57, True),
    ("webp_lossless", "webp_lossless", 23, 51, False),
    ("jpeg_progressive", "jpeg_progressive", 37, 29, False),
    ("jpeg_wide", "jpeg90", 60, 40, False),
    ("webp_square", "webp80", 60, 60, False),
    ("jpeg_tall", "jpeg95", 27, 41, False),
    ("jpeg_prefix_twin", "jpeg90", 33, 21, False),
]


def make_pixels(rng, w, h, gray):
    """Gradients plus noise: non-constant in every channel."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    chans = []
    for c in range(1 if gray else 3):
        base = 255 * (0.5 + 0.5 * np.sin(x / (3 + c) + y / (5 + 2 * c) + c))
        base = 0.6 * base + 0.4 * 255 * (x / max(w - 1, 1)) * (1 - y / max(h - 1, 1))
        chans.append(base + rng.normal(0, 12, size=(h, w)))
    img = np.clip(np.stack(chans, axis=-1), 0, 255).round().astype(np.uint8)
    return img[:, :, 0] if gray else img  # BGR order for OpenCV


def encode(img, how):
    params = {
        "jpeg75": (".jpg", [cv2.IMWRITE_JPEG_QUALITY, 75]),
        "jpeg90": (".jpg", [cv2.IMWRITE_JPEG_QUALITY, 90]),
        "jpeg95": (".jpg", [cv2.IMWRITE_JPEG_QUALITY, 95]),
        "jpeg_progressive": (".jpg", [cv2.IMWRITE_JPEG_QUALITY, 90, cv2.IMWRITE_JPEG_PROGRESSIVE, 1]),
        "webp80": (".webp", [cv2.IMWRITE_WEBP_QUALITY, 80]),
        "webp_lossless": (".webp", [cv2.IMWRITE_WEBP_QUALITY, 101]),  # > 100: lossless (VP8L)
    }[how]
    ok, buf = cv2.imencode(params[0], img, params[1])
    assert ok, how
    return buf.tobytes()


def sniff(b):
    if b[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if b[:4] == b"RIFF" and b[8:12] == b"WEBP":
        return "WebP"
    return "unknown"


def make_keys():
    keys = [hashlib.sha1(f"lsun-fixture-{i}".encode()).hexdigest() for i in range(len(IMAGES))]
    # The last one shares its first five characters with the first (the nested layout then shares
    # five folder levels and splits at the sixth).
    keys[-1] = keys[0][:5] + ("0" if keys[0][5] != "0" else "1") + keys[-1][6:]
    assert len(set(keys)) == len(keys) and keys != sorted(keys)
    return keys


def lsun_export_paths(keys_in_cursor_order, flat):
    """fyu/lsun data.py export_images (HEAD 6617c24), restated: for each (key, val) of the
    cursor (LMDB key order), image_out_dir = out_dir if flat else join(out_dir, '/'.join(key[:6]));
    the value is written verbatim to join(image_out_dir, key + '.webp') - always '.webp',
    whatever the bytes are."""
    paths = []
    for key in keys_in_cursor_order:
        k = key.decode("ascii")
        d = "" if flat else "/".join(k[:6])
        paths.append((d + "/" if d else "") + k + ".webp")
    return paths


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def listing(root):
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            with open(p, "rb") as fp:
                out[os.path.relpath(p, root).replace(os.sep, "/")] = sha256(fp.read())
    return out


def run_real_export(lsun_dir, db_dir, flat):
    spec = importlib.util.spec_from_file_location("lsun_data", os.path.join(lsun_dir, "data.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    tmp = tempfile.mkdtemp(prefix="lsun_export_")
    try:
        db_copy = os.path.join(tmp, "db")
        shutil.copytree(db_dir, db_copy)  # python-lmdb's readonly open creates lock.mdb
        out = os.path.join(tmp, "out")
        mod.export_images(db_copy, out, flat=flat)
        return listing(out)
    finally:
        shutil.rmtree(tmp)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lsun", default="/tmp/ref/lsun", help="fyu/lsun source tree (holds data.py)")
    args = ap.parse_args()

    rng = np.random.RandomState(2015)
    keys = make_keys()
    values, entries = [], []
    for i, ((name, how, w, h, gray), key) in enumerate(zip(IMAGES, keys)):
        b = encode(make_pixels(rng, w, h, gray), how)
        decoded = cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_UNCHANGED)
        assert decoded.shape[:2] == (h, w) and decoded.std() > 5
        values.append(b)
        entries.append(dict(insertion_index=i, key=key, name=name, encoding=how, format=sniff(b), width=w, height=h,
                            channels=1 if gray else 3, bytes=len(b), sha256=sha256(b)))

    if os.path.exists(DB):  # README.md stays
        shutil.rmtree(DB)
    os.makedirs(OUT, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="lsun_write_")
    try:
        env = lmdb.open(os.path.join(tmp, "db"), map_size=MAP_SIZE, subdir=True)
        with env.begin(write=True) as txn:
            for key, b in zip(keys, values):
                assert txn.put(key.encode("ascii"), b, overwrite=False)
        env.close()
        os.makedirs(DB)
        shutil.copyfile(os.path.join(tmp, "db", "data.mdb"), os.path.join(DB, "data.mdb"))
    finally:
        shutil.rmtree(tmp)

    env = lmdb.open(DB, readonly=True, lock=False, subdir=True)
    with env.begin() as txn:
        cursor_items = [(k, v) for k, v in txn.cursor()]
        stat = txn.stat()
    env.close()
    cursor_keys = [k for k, _ in cursor_items]
    assert cursor_keys == sorted(k.encode() for k in keys)
    by_key = {k.encode(): v for k, v in zip(keys, values)}
    assert all(by_key[k] == v for k, v in cursor_items)

    expected = {}
    for layout, flat in (("flat", True), ("nested", False)):
        exp = {p: sha256(v) for p, (_, v) in zip(lsun_export_paths(cursor_keys, flat), cursor_items)}
        real = run_real_export(args.lsun, DB, flat)
        assert real == exp, f"restatement differs from fyu/lsun export_images ({layout})"
        expected[layout] = dict(sorted(exp.items()))
    ext = {"JPEG": "jpg", "WebP": "webp"}
    expected["flat_real_extension"] = {e["key"] + "." + ext[e["format"]]: e["sha256"]
                                       for e in sorted(entries, key=lambda e: e["key"])}
    doc = {
        "about": "tests/fixtures/lsun_python_lmdb/README.md",
        "entries_in_insertion_order": entries,
        "cursor_key_order": [k.decode() for k in cursor_keys],
        "lmdb_stat": {k: int(v) for k, v in stat.items()},
        "flat": expected["flat"],
        "nested": expected["nested"],
        "flat_real_extension": expected["flat_real_extension"],
    }
    with open(os.path.join(OUT, "expected_export.json"), "w") as fp:
        json.dump(doc, fp, indent=1)
        fp.write("\n")
    print("wrote", DB, os.path.getsize(os.path.join(DB, "data.mdb")), "bytes;", len(keys), "entries;",
          "flat and nested listings checked against fyu/lsun export_images")


if __name__ == "__main__":
    main()
