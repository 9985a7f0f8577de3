"""Write a small synthetic dataset in MNIST's idx format (what torchvision's MNIST reads).

Used to run job/main.py end to end where there is no network to download the real MNIST:
each class c gets a bright square at a position that depends on c, plus noise, so a CNN
can learn it in one epoch. Usage: python make_synthetic_mnist.py DATA_DIR [TRAIN] [TEST] [JITTER]

JITTER (default 0) moves each square up to that many pixels off its class's place and dims it
at random, so neighbouring classes overlap: a harder set whose curves still move after the
first epoch (the README's sweep pictures use 3).
"""

import os
import random
import struct
import sys


def images(count: int, labels: list[int], rng: random.Random, jitter: int = 0) -> bytes:
    out = bytearray(struct.pack(">IIII", 2051, count, 28, 28))
    for label in labels:
        pixels = bytearray(rng.randrange(0, 40 + 30 * jitter) for _ in range(28 * 28))
        row, col = 2 + (label // 4) * 8, 2 + (label % 4) * 6
        if jitter:
            row = min(max(row + rng.randint(-jitter, jitter), 0), 22)
            col = min(max(col + rng.randint(-jitter, jitter), 0), 23)
        bright = 255 - rng.randrange(0, 1 + 50 * jitter) if jitter else 255
        for r in range(row, row + 6):
            for c in range(col, col + 5):
                pixels[r * 28 + c] = max(pixels[r * 28 + c], bright)
        out += pixels
    return bytes(out)


def write_split(raw: str, prefix: str, count: int, rng: random.Random, jitter: int) -> None:
    labels = [rng.randrange(10) for _ in range(count)]
    with open(os.path.join(raw, f"{prefix}-images-idx3-ubyte"), "wb") as f:
        f.write(images(count, labels, rng, jitter))
    with open(os.path.join(raw, f"{prefix}-labels-idx1-ubyte"), "wb") as f:
        f.write(struct.pack(">II", 2049, count) + bytes(labels))


def main() -> None:
    data_dir = sys.argv[1]
    train = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    test = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    jitter = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    raw = os.path.join(data_dir, "MNIST", "raw")
    os.makedirs(raw, exist_ok=True)
    rng = random.Random(0)
    write_split(raw, "train", train, rng, jitter)
    write_split(raw, "t10k", test, rng, jitter)
    print(f"wrote {train} training and {test} test images to {raw}")


if __name__ == "__main__":
    main()
