"""Download MNIST with torchvision into --data-dir and pack it as the archive the job transfers.

`pixi run prepare-data` runs this on the access point (or a laptop) once; the submit file's
transfer_input_files sends the archive with every job, and job/mnist_gpu.sh unpacks it.
The archive holds `data/MNIST/raw/*` so that `tar -xzf` in the job sandbox recreates
`data/`, which main.py reads with --data-dir data.

It does nothing when the archive already exists (delete it to rebuild), and writes the
archive to a temporary name first, so an interrupted run never leaves half an archive.
"""

from __future__ import annotations

import argparse
import os
import sys
import tarfile


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Download MNIST and pack MNIST_data.tar.gz for the HTCondor job.")
    parser.add_argument("--data-dir", default="data", help="where torchvision downloads MNIST (default: data)")
    parser.add_argument("--archive", default="MNIST_data.tar.gz", help="archive to write (default: MNIST_data.tar.gz)")
    parser.add_argument("--force", action="store_true", help="rebuild the archive even if it exists")
    args = parser.parse_args(argv)

    if os.path.exists(args.archive) and not args.force:
        print(f"{args.archive} exists; nothing to do (use --force to rebuild)")
        return 0

    raw = os.path.join(args.data_dir, "MNIST", "raw")
    wanted = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    if not all(os.path.isfile(os.path.join(raw, name)) for name in wanted):
        from torchvision import datasets  # only needed when downloading

        print(f"downloading MNIST into {args.data_dir}/ ...", flush=True)
        try:
            datasets.MNIST(args.data_dir, train=True, download=True)
            datasets.MNIST(args.data_dir, train=False, download=True)
        except Exception as error:  # network errors come in many types; one clear line is enough
            print(f"error: could not download MNIST: {error}", file=sys.stderr)
            print("hint: check the network, or put the four idx files in data/MNIST/raw/ by hand", file=sys.stderr)
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
