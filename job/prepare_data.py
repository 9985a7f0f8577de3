"""Download MNIST with torchvision into --data-dir and pack it as the archive the job transfers.

`pixi run prepare-data` runs this on the access point (or a laptop) once; the submit file's
transfer_input_files sends the archive with every job, and job/mnist_gpu.sh unpacks it.
The archive holds `data/MNIST/raw/*` so that `tar -xzf` in the job sandbox recreates
`data/`, which main.py reads with --data-dir data.

It does nothing when the archive already exists (delete it to rebuild), and writes the
archive to a temporary name first, so an interrupted run never leaves half an archive.

`--synthetic` needs no network and no torchvision: it writes a small MNIST-shaped data set in
MNIST's idx format (each class a bright square at its own place, plus noise, so the CNN learns it
in an epoch) and packs it the same way. For trying the template on a machine with no network;
the accuracy it reaches says nothing about the real MNIST.
"""

from __future__ import annotations

import argparse
import os
import random
import struct
import sys
import tarfile

WANTED = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def synthetic_images(labels: list[int], rng: random.Random) -> bytes:
    """MNIST's idx3 format: magic 2051, count, 28, 28, then one byte per pixel."""
    out = bytearray(struct.pack(">IIII", 2051, len(labels), 28, 28))
    for label in labels:
        pixels = bytearray(rng.randrange(0, 40) for _ in range(28 * 28))
        row, col = 2 + (label // 4) * 8, 2 + (label % 4) * 6
        for r in range(row, row + 6):
            for c in range(col, col + 5):
                pixels[r * 28 + c] = 255
        out += pixels
    return bytes(out)


def write_synthetic(raw: str, train: int, test: int) -> None:
    """The four idx files torchvision's MNIST reads, from a fixed seed (the same bytes every time)."""
    os.makedirs(raw, exist_ok=True)
    rng = random.Random(0)
    for prefix, count in (("train", train), ("t10k", test)):
        labels = [rng.randrange(10) for _ in range(count)]
        with open(os.path.join(raw, f"{prefix}-images-idx3-ubyte"), "wb") as f:
            f.write(synthetic_images(labels, rng))
        with open(os.path.join(raw, f"{prefix}-labels-idx1-ubyte"), "wb") as f:
            f.write(struct.pack(">II", 2049, count) + bytes(labels))
    print(f"wrote a synthetic MNIST ({train} training, {test} test images) into {raw}/", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Download MNIST and pack MNIST_data.tar.gz for the HTCondor job.")
    parser.add_argument("--data-dir", default="data", help="where torchvision downloads MNIST (default: data)")
    parser.add_argument("--archive", default="MNIST_data.tar.gz", help="archive to write (default: MNIST_data.tar.gz)")
    parser.add_argument("--force", action="store_true", help="rebuild the archive even if it exists")
    parser.add_argument(
        "--synthetic",
        action="store_true",
        help="offline: make a small MNIST-shaped data set instead of downloading MNIST (no network, no torchvision)",
    )
    parser.add_argument("--train-count", type=int, default=2000, help="--synthetic: training images (default 2000)")
    parser.add_argument("--test-count", type=int, default=500, help="--synthetic: test images (default 500)")
    args = parser.parse_args(argv)
    if args.synthetic and (args.train_count < 1 or args.test_count < 1):
        parser.error("--train-count and --test-count must be at least 1")

    if os.path.exists(args.archive) and not args.force:
        print(f"{args.archive} exists; nothing to do (use --force to rebuild)")
        return 0

    raw = os.path.join(args.data_dir, "MNIST", "raw")
    wanted = WANTED
    if args.synthetic:
        write_synthetic(raw, args.train_count, args.test_count)
    elif not all(os.path.isfile(os.path.join(raw, name)) for name in wanted):
        from torchvision import datasets  # only needed when downloading

        print(f"downloading MNIST into {args.data_dir}/ ...", flush=True)
        try:
            datasets.MNIST(args.data_dir, train=True, download=True)
            datasets.MNIST(args.data_dir, train=False, download=True)
        except Exception as error:  # network errors come in many types; one clear line is enough
            print(f"error: could not download MNIST: {error}", file=sys.stderr)
            print(
                "hint: check the network, or put the four idx files in data/MNIST/raw/ by hand;"
                " offline, `pixi run prepare-data --synthetic` makes a small stand-in data set",
                file=sys.stderr,
            )
            return 1

    temp = f"{args.archive}.partial"
    with tarfile.open(temp, "w:gz") as archive:
        for name in wanted:
            archive.add(os.path.join(raw, name), arcname=f"data/MNIST/raw/{name}")
    os.replace(temp, args.archive)
    print(f"wrote {args.archive} ({os.path.getsize(args.archive) / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
