"""Train a small CNN classifier on MNIST with PyTorch.

This is the program the HTCondor job runs (through job/mnist_gpu.sh) inside the image built
from pixi.lock. It reads MNIST in torchvision's on-disk format from --data-dir (the archive
that `pixi run prepare-data` packs), never downloads anything, and refuses to run without a
CUDA GPU unless --allow-cpu is given (or PIXI_CONDOR_ALLOW_CPU=1, which `submit --local
--allow-cpu` sets): a GPU job that silently trains on the CPU wastes the slot and hides a
broken driver or image.

Long runs checkpoint: after every epoch (or every --checkpoint-every epochs, or once
--checkpoint-every-minutes have passed) the model, optimizer, scheduler, epoch and every RNG
state go atomically to --checkpoint, and a run that finds that file resumes from it, ending
with the same weights as an uninterrupted run. With --checkpoint-exit CODE the program exits
with CODE after each save: the submit file's `checkpoint_exit_code`, so HTCondor transfers the
checkpoint and restarts the job (self-checkpointing, docs/job.md).

Output for machines: one `PIXI_CONDOR_PROGRESS {json}` line per epoch on stdout, and
--metrics (metrics.json) at the end.

It runs on the template's conda-forge torch 2.9 (CUDA) and on Debian 12's torch 1.13.1 (CPU,
what CI trains with): nothing newer than torch 1.13 is used unguarded.

Exit codes: 0 trained, 2 bad input (missing data, bad argument, a checkpoint of another run),
3 no CUDA GPU, the --checkpoint-exit code after a checkpoint.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from typing import Any, NoReturn

PROGRESS_MARKER = "PIXI_CONDOR_PROGRESS"
CHECKPOINT_FORMAT = 1
# A checkpoint must come from the same experiment: these must match to resume (--epochs may grow).
RESUME_MUST_MATCH = ("lr", "gamma", "batch_size", "seed")
TRUE_WORDS = ("1", "true", "yes", "on")


def parse_args(argv: list[str] | None = None, env: dict[str, str] | None = None) -> argparse.Namespace:
    env = dict(os.environ) if env is None else env
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
    parser.add_argument("--metrics", default="metrics.json", help="where the final metrics go (default: metrics.json)")
    parser.add_argument(
        "--allow-cpu",
        action="store_true",
        help="train on the CPU when no CUDA GPU is usable (also: PIXI_CONDOR_ALLOW_CPU=1)",
    )
    parser.add_argument("--log-interval", type=int, default=100, help="batches between loss lines (default: 100)")
    parser.add_argument(
        "--checkpoint",
        default="checkpoint.pt",
        help="checkpoint file: saved during training, resumed from when present (default: checkpoint.pt)",
    )
    parser.add_argument("--no-checkpoint", action="store_true", help="neither save nor resume a checkpoint")
    parser.add_argument(
        "--checkpoint-every", type=int, metavar="N", help="save every N epochs (default: every epoch)"
    )
    parser.add_argument(
        "--checkpoint-every-minutes",
        type=float,
        metavar="M",
        help="save after the first epoch that ends M minutes after the last save (with --checkpoint-every: "
        "whichever comes first)",
    )
    parser.add_argument(
        "--checkpoint-exit",
        type=int,
        metavar="CODE",
        help="exit with CODE after each checkpoint: the submit file's checkpoint_exit_code "
        "(also: PIXI_CONDOR_CHECKPOINT_EXIT_CODE)",
    )
    args = parser.parse_args(argv)

    for name in ("epochs", "batch_size", "test_batch_size", "log_interval"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if not (args.lr > 0 and math.isfinite(args.lr)):
        parser.error("--lr must be a positive number")
    if not (args.gamma > 0 and math.isfinite(args.gamma)):
        parser.error("--gamma must be a positive number")
    if args.checkpoint_every is not None and args.checkpoint_every < 1:
        parser.error("--checkpoint-every must be at least 1")
    minutes = args.checkpoint_every_minutes
    if minutes is not None and not (minutes > 0 and math.isfinite(minutes)):
        parser.error("--checkpoint-every-minutes must be a positive number")
    if not args.checkpoint:
        parser.error("--checkpoint needs a path (use --no-checkpoint to turn checkpointing off)")

    args.allow_cpu = args.allow_cpu or env.get("PIXI_CONDOR_ALLOW_CPU", "").strip().lower() in TRUE_WORDS
    if args.checkpoint_exit is None and env.get("PIXI_CONDOR_CHECKPOINT_EXIT_CODE", "").strip():
        text = env["PIXI_CONDOR_CHECKPOINT_EXIT_CODE"].strip()
        try:
            args.checkpoint_exit = int(text)
        except ValueError:
            parser.error(f"PIXI_CONDOR_CHECKPOINT_EXIT_CODE={text!r} is not an integer")
    if args.checkpoint_exit is not None:
        # 0, 1 (Python's own crash code), 2 and 3 already mean something: a crash that exited
        # with the checkpoint code would make HTCondor restart a broken job forever.
        if not 4 <= args.checkpoint_exit <= 255:
            parser.error(f"--checkpoint-exit must be between 4 and 255 (HTCondor's examples use 85), not {args.checkpoint_exit}")
        if args.no_checkpoint:
            parser.error("--checkpoint-exit needs checkpoints: drop --no-checkpoint")
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


def finite_or_none(value: float) -> float | None:
    """JSON has no NaN or Infinity: a diverged loss (a sweep's too-large --lr) is written as null."""
    return value if math.isfinite(value) else None


def progress_line(epoch: int, epochs: int, loss: float, accuracy: float, images_per_s: float) -> str:
    fields = {
        "epoch": epoch,
        "epochs": epochs,
        "loss": finite_or_none(round(loss, 6)),
        "accuracy": round(float(accuracy), 6),
        "images_per_s": round(float(images_per_s), 1),
    }
    return f"{PROGRESS_MARKER} {json.dumps(fields, separators=(',', ':'), allow_nan=False)}"


def write_atomically(path: str, write: Any) -> None:
    """Write through a temporary file in the same folder, fsync it, then rename it over `path`:
    an eviction or a full disk leaves the old file or the new one, never half of one."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    temp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.partial")
    try:
        with open(temp, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    try:
        directory = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(directory)
    except OSError:
        pass  # some file systems refuse fsync on a directory; the rename is done either way
    finally:
        os.close(directory)


def write_json(path: str, data: dict[str, Any]) -> None:
    text = json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n"
    write_atomically(path, lambda handle: handle.write(text.encode()))


def main(argv: list[str] | None = None) -> int:
    started = time.monotonic()
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
        capability = ".".join(map(str, torch.cuda.get_device_capability(0)))
        print(f"# device: cuda ({torch.cuda.get_device_name(0)}, capability {capability})")
        # Deterministic convolutions, so a resumed run repeats an uninterrupted one as closely
        # as CUDA allows (a few kernels, e.g. max-pool's backward, still use atomics).
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    elif args.allow_cpu:
        device = torch.device("cpu")
        print("# device: cpu (--allow-cpu or PIXI_CONDOR_ALLOW_CPU=1; no usable CUDA GPU)")
    else:
        fail(
            f"no usable CUDA GPU (torch {torch.__version__}, built for CUDA {torch.version.cuda})",
            "request a GPU in the submit file (request_gpus = 1) and check the driver's CUDA version; "
            "pass --allow-cpu (or set PIXI_CONDOR_ALLOW_CPU=1) to train on the CPU anyway",
            3,
        )

    random.seed(args.seed)
    torch.manual_seed(args.seed)
    # The loader draws its shuffle from its own generator, not the global one that dropout also
    # draws from: its state is one tensor to checkpoint, and the data order one seed to repeat.
    loader_rng = torch.Generator()
    loader_rng.manual_seed(args.seed)
    loader_options: dict = {"num_workers": 1, "pin_memory": True} if device.type == "cuda" else {}
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train_set = datasets.MNIST(args.data_dir, train=True, download=False, transform=transform)
    test_set = datasets.MNIST(args.data_dir, train=False, download=False, transform=transform)
    train_loader = torch.utils.data.DataLoader(
        train_set, batch_size=args.batch_size, shuffle=True, generator=loader_rng, **loader_options
    )
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=args.test_batch_size, **loader_options)
    print(f"# data: {len(train_set)} training and {len(test_set)} test images from {args.data_dir}")

    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    hparams = {
        "lr": args.lr,
        "gamma": args.gamma,
        "batch_size": args.batch_size,
        "test_batch_size": args.test_batch_size,
        "seed": args.seed,
    }

    done = 0  # epochs completed
    earlier_wall_s = 0.0  # wall time of the attempts before this one
    resumes = 0
    last = {"loss": float("nan"), "accuracy": 0.0, "train_loss": float("nan"), "images_per_s": 0.0}
    checkpointing = not args.no_checkpoint
    if checkpointing and os.path.exists(args.checkpoint):
        state = load_checkpoint(torch, args.checkpoint)
        mismatched = [
            f"--{key.replace('_', '-')} {state['hparams'].get(key)} (this run: {hparams[key]})"
            for key in RESUME_MUST_MATCH
            if state["hparams"].get(key) != hparams[key]
        ]
        if mismatched:
            fail(
                f"{args.checkpoint} belongs to another run: it was written with {', '.join(mismatched)}",
                f"delete {args.checkpoint} to start over, or pass --checkpoint with another path",
                2,
            )
        if int(state["epoch"]) > args.epochs:
            fail(
                f"{args.checkpoint} already holds {state['epoch']} epochs, more than --epochs {args.epochs}",
                f"raise --epochs, or delete {args.checkpoint} to start over",
                2,
            )
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        random.setstate(state["rng"]["python"])
        torch.set_rng_state(state["rng"]["torch"])
        if device.type == "cuda" and len(state["rng"]["cuda"]) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(state["rng"]["cuda"])
        loader_rng.set_state(state["rng"]["loader"])
        done = int(state["epoch"])
        earlier_wall_s = float(state["wall_time_s"])
        resumes = int(state["resumes"]) + 1
        last = dict(state["last"])
        print(
            f"# resumed from {args.checkpoint}: {done} of {args.epochs} epochs done "
            f"(saved on {state['device']} by torch {state['torch']}; resume {resumes})",
            flush=True,
        )

    def save_checkpoint(epoch: int) -> None:
        state = {
            "format": CHECKPOINT_FORMAT,
            "epoch": epoch,
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "rng": {
                "python": random.getstate(),
                "torch": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state_all() if device.type == "cuda" else [],
                "loader": loader_rng.get_state(),
            },
            "hparams": hparams,
            "wall_time_s": earlier_wall_s + time.monotonic() - started,
            "resumes": resumes,
            "last": last,
            "device": device.type,
            "torch": str(torch.__version__),  # a plain str: TorchVersion is no weights_only type
        }
        write_atomically(args.checkpoint, lambda handle: torch.save(state, handle))

    last_save = time.monotonic()
    every = args.checkpoint_every if args.checkpoint_every or args.checkpoint_every_minutes else 1
    for epoch in range(done + 1, args.epochs + 1):
        epoch_started = time.monotonic()
        model.train()
        train_loss_sum = 0.0
        for batch, (data, target) in enumerate(train_loader):
            data, target = data.to(device), target.to(device)
            optimizer.zero_grad()
            loss = F.nll_loss(model(data), target)
            loss.backward()
            optimizer.step()
            train_loss_sum += loss.item() * len(data)
            if batch % args.log_interval == 0:
                print(f"epoch {epoch} [{batch * len(data)}/{len(train_set)}] loss {loss.item():.4f}", flush=True)
        images_per_s = len(train_set) / max(time.monotonic() - epoch_started, 1e-9)

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
        scheduler.step()
        last = {
            "loss": test_loss,
            "accuracy": accuracy,
            "train_loss": train_loss_sum / len(train_set),
            "images_per_s": images_per_s,
        }
        print(
            f"epoch {epoch}: test loss {test_loss:.4f}, accuracy {correct}/{len(test_set)} ({100 * accuracy:.1f}%), "
            f"{time.monotonic() - epoch_started:.1f} s",
            flush=True,
        )
        print(progress_line(epoch, args.epochs, test_loss, accuracy, images_per_s), flush=True)

        if not checkpointing or epoch == args.epochs:
            continue  # after the last epoch the outputs below are the result: nothing to resume
        due = bool(every) and epoch % every == 0
        minutes = args.checkpoint_every_minutes
        due = due or (minutes is not None and time.monotonic() - last_save >= minutes * 60)
        if not due:
            continue
        save_checkpoint(epoch)
        last_save = time.monotonic()
        print(f"# checkpoint: epoch {epoch} saved to {args.checkpoint}", flush=True)
        if args.checkpoint_exit is not None:
            print(
                f"# exiting with {args.checkpoint_exit} (checkpoint_exit_code): HTCondor transfers "
                f"{args.checkpoint} and restarts the job, which resumes from it",
                flush=True,
            )
            return args.checkpoint_exit

    if args.save_model:
        write_atomically(args.model_path, lambda handle: torch.save(model.state_dict(), handle))
        print(f"# saved {args.model_path}")
    metrics = {
        "loss": finite_or_none(last["loss"]),
        "accuracy": last["accuracy"],
        "train_loss": finite_or_none(last["train_loss"]),
        "images_per_s": round(last["images_per_s"], 1),
        "epochs": args.epochs,
        "wall_time_s": round(earlier_wall_s + time.monotonic() - started, 3),
        "resumes": resumes,
        "device": device.type,
        "torch": str(torch.__version__),  # a plain str: TorchVersion is no weights_only type
        "train_images": len(train_set),
        "test_images": len(test_set),
        **hparams,
    }
    write_json(args.metrics, metrics)
    print(f"# wrote {args.metrics}")
    if checkpointing and os.path.exists(args.checkpoint):
        # The run is complete: a later run with the same file must start afresh, not "resume".
        os.unlink(args.checkpoint)
        print(f"# removed {args.checkpoint}: the run is complete")
    print(f"# final accuracy {100 * last['accuracy']:.2f}%", flush=True)
    return 0


def load_checkpoint(torch: Any, path: str) -> dict[str, Any]:
    """Read a checkpoint this program wrote, on the CPU; exit 2 with a hint when it cannot."""
    # weights_only unpickles tensors and plain containers only: a checkpoint is a file that
    # travelled, and need not be trusted with arbitrary code. Torch 1.x's weights-only reader
    # cannot read a float (pickle opcode BINFLOAT), which every optimizer state holds, so there
    # (Debian 12's torch 1.13) the checkpoint is read in full.
    options = {"weights_only": True} if int(torch.__version__.split(".")[0]) >= 2 else {}
    try:
        state = torch.load(path, map_location="cpu", **options)
    except Exception as error:  # unpickling fails in many ways; one line says which file
        fail(
            f"cannot read the checkpoint {path}: {error}",
            f"delete {path} to start over, or pass --checkpoint with another path",
            2,
        )
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        fail(
            f"{path} is not a checkpoint of this program (format {CHECKPOINT_FORMAT})",
            f"delete {path} to start over, or pass --checkpoint with another path",
            2,
        )
    return state


if __name__ == "__main__":
    sys.exit(main())
