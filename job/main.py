"""Train a small CNN classifier on MNIST with PyTorch.

This is the program the HTCondor job runs (through job/mnist_gpu.sh) inside the image built
from pixi.lock. It reads MNIST in torchvision's on-disk format from --data-dir (the archive
that `pixi run prepare-data` packs), never downloads anything, and refuses to run without a
CUDA GPU unless --allow-cpu is given: a GPU job that silently trains on the CPU wastes the
slot and hides a broken driver or image.

Exit codes: 0 trained, 2 bad input (missing data, bad argument), 3 no CUDA GPU.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import NoReturn


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train a PyTorch CNN on MNIST (pixi-condor template job).")
    parser.add_argument("--epochs", type=int, default=20, help="passes over the training set (default: 20)")
    parser.add_argument("--batch-size", type=int, default=64, help="training batch size (default: 64)")
    parser.add_argument("--test-batch-size", type=int, default=1000, help="evaluation batch size (default: 1000)")
    parser.add_argument("--lr", type=float, default=1.0, help="Adadelta learning rate (default: 1.0)")
    parser.add_argument("--gamma", type=float, default=0.7, help="learning-rate decay per epoch (default: 0.7)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    parser.add_argument("--data-dir", default="data", help="folder holding MNIST/raw (default: data)")
    parser.add_argument("--save-model", action="store_true", help="write the trained weights to --model-path")
    parser.add_argument("--model-path", default="mnist_cnn.pt", help="where --save-model writes (default: mnist_cnn.pt)")
    parser.add_argument("--allow-cpu", action="store_true", help="train on the CPU when no CUDA GPU is usable")
    parser.add_argument("--log-interval", type=int, default=100, help="batches between progress lines (default: 100)")
    args = parser.parse_args(argv)
    for name in ("epochs", "batch_size", "test_batch_size", "log_interval"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.lr <= 0:
        parser.error("--lr must be positive")
    return args


def fail(message: str, hint: str, code: int) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    print(f"hint: {hint}", file=sys.stderr)
    sys.exit(code)


RAW_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


def check_data(data_dir: str) -> None:
    raw = os.path.join(data_dir, "MNIST", "raw")
    missing = [name for name in RAW_FILES if not os.path.isfile(os.path.join(raw, name))]
    if missing:
        fail(
            f"MNIST data not found in {raw} (missing: {', '.join(missing)})",
            "run `pixi run prepare-data` and transfer MNIST_data.tar.gz with the job",
            2,
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    check_data(args.data_dir)

    # Imported after the argument and data checks so --help and bad input answer instantly.
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    import torch.optim as optim
    from torch.optim.lr_scheduler import StepLR
    from torchvision import datasets, transforms

    class Net(nn.Module):
        """Two convolutions, max-pool, dropout, two fully connected layers (~1.2 M parameters)."""

        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = nn.Dropout(0.25)
            self.dropout2 = nn.Dropout(0.5)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            x = F.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = torch.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = self.dropout2(x)
            return F.log_softmax(self.fc2(x), dim=1)

    if torch.cuda.is_available():
        device = torch.device("cuda")
        print(f"# device: cuda ({torch.cuda.get_device_name(0)}, capability {'.'.join(map(str, torch.cuda.get_device_capability(0)))})")
    elif args.allow_cpu:
        device = torch.device("cpu")
        print("# device: cpu (--allow-cpu; no usable CUDA GPU)")
    else:
        fail(
            f"no usable CUDA GPU (torch {torch.__version__}, built for CUDA {torch.version.cuda})",
            "request a GPU in the submit file (request_gpus = 1) and check the driver's CUDA version; "
            "pass --allow-cpu to train on the CPU anyway",
            3,
        )

    torch.manual_seed(args.seed)
    loader_options: dict = {"num_workers": 1, "pin_memory": True} if device.type == "cuda" else {}
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train_set = datasets.MNIST(args.data_dir, train=True, download=False, transform=transform)
    test_set = datasets.MNIST(args.data_dir, train=False, download=False, transform=transform)
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=args.batch_size, shuffle=True, **loader_options)
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=args.test_batch_size, **loader_options)
    print(f"# data: {len(train_set)} training and {len(test_set)} test images from {args.data_dir}")

    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)

    accuracy = 0.0
    for epoch in range(1, args.epochs + 1):
        started = time.monotonic()
        model.train()
        for batch, (data, target) in enumerate(train_loader):
            data, target = data.to(device), target.to(device)
            optimizer.zero_grad()
            loss = F.nll_loss(model(data), target)
            loss.backward()
            optimizer.step()
            if batch % args.log_interval == 0:
                print(f"epoch {epoch} [{batch * len(data)}/{len(train_set)}] loss {loss.item():.4f}", flush=True)

        model.eval()
        test_loss = 0.0
        correct = 0
        with torch.no_grad():
            for data, target in test_loader:
                data, target = data.to(device), target.to(device)
                output = model(data)
                test_loss += F.nll_loss(output, target, reduction="sum").item()
                correct += output.argmax(dim=1).eq(target).sum().item()
        test_loss /= len(test_set)
        accuracy = correct / len(test_set)
        print(
            f"epoch {epoch}: test loss {test_loss:.4f}, accuracy {correct}/{len(test_set)} ({100 * accuracy:.1f}%), "
            f"{time.monotonic() - started:.1f} s",
            flush=True,
        )
        scheduler.step()

    if args.save_model:
        torch.save(model.state_dict(), args.model_path)
        print(f"# saved {args.model_path}")
    print(f"# final accuracy {100 * accuracy:.2f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
