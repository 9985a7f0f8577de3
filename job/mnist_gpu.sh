#!/usr/bin/env bash
# The job's executable: activate the image's pixi environment, report where we run and on
# which GPU, unpack the data HTCondor transferred, and train.
# Arguments: $1 = $(Process); the rest go to main.py (--epochs, --lr, --checkpoint-exit ...).
# HTCondor restarts this script with the same arguments after each checkpoint exit; main.py
# finds checkpoint.pt in the sandbox and resumes.
set -euo pipefail

PROC=${1:-?}
shift || true
echo "# Job $PROC running on $(hostname)"
echo "# GPUs assigned: ${CUDA_VISIBLE_DEVICES:-none}"

# The image's entrypoint ends with 'exec "$@"'. Sourcing it whole would exec this script's
# own arguments, so source it without its last line.
ENTRYPOINT=${PIXI_CONDOR_ENTRYPOINT:-/app/entrypoint.sh}
if [ ! -f "$ENTRYPOINT" ]; then
    echo "error: $ENTRYPOINT not found: this job must run in the image built by 'pixi run build-image'" >&2
    exit 3
fi
# shellcheck disable=SC1090
. <(sed '$d' "$ENTRYPOINT")

echo "# GPU check:"
if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi || echo "warning: nvidia-smi failed; main.py will say whether CUDA works" >&2
else
    echo "nvidia-smi not found in the container; main.py will say whether CUDA works"
fi

ARCHIVE=MNIST_data.tar.gz
if [ ! -f "$ARCHIVE" ]; then
    echo "error: the training data archive $ARCHIVE is not in the job's sandbox." >&2
    echo "hint: run 'pixi run prepare-data' on the access point and keep $ARCHIVE in transfer_input_files." >&2
    exit 2
fi
echo "# Unpacking $ARCHIVE"
tar -xzf "$ARCHIVE"

echo "# Training: main.py $*"
# main.py arrives through transfer_input_files, so it sits in the sandbox, not beside
# /app/pixi.toml: run it directly rather than through the pixi task. exec: HTCondor's signals
# (eviction, condor_rm) reach python, and its exit code (85 = checkpoint) is the job's.
exec python ./main.py --data-dir data --save-model "$@"
