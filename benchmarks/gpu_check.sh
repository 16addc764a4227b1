#!/usr/bin/env bash
# The GPU check: everything a GPU session has to see, in one command and one report folder.
#
#   bash benchmarks/gpu_check.sh REPORT_DIR            # on a machine with CuPy and a GPU
#   bash benchmarks/gpu_check.sh --dry-run REPORT_DIR  # the same steps, NumPy standing in
#
# Steps (each under its own time limit, all within GPU_CHECK_SECONDS, 470 by default; a step
# that fails or times out is recorded and the next one runs):
#   versions   versions.txt       Python, NumPy, CuPy, torch, the GPU, nvidia-smi's line
#   tests      tests.txt          the op and nn suites and the kernel tests on the device, with
#                                 MINIGRAD_REQUIRE_GPU=1 (a skipped GPU test is a failure), up
#                                 to 8 pytest-xdist workers, hypothesis profile "gpu" (no
#                                 shrinking), 60 s per test where pytest-timeout is installed
#   agreement  agreement.json     every op table row, the same hypothesis examples in float32
#                                 on the CPU and the device: outputs and gradients agree
#   lenet      lenet_curves.csv   LeNet, 100 Adam steps from one seed on both devices (and
#                                 lenet_curves.png where matplotlib is installed)
#   bench      bench.md           LeNet steps at batch 64 and 256 and the conv layers, beside
#                                 PyTorch on the same device, TF32 off (medians, synchronized
#                                 timers; each row written as it finishes, so a timeout keeps
#                                 the rows before it)
#   epoch      bench.md           one MNIST epoch of both, if MNIST_DIR holds the IDX files
#
# Time: on a fresh machine CuPy compiles each kernel on first use (hundreds in the tests and
# agreement steps, 0.15-0.3 s each); CUPY_NVRTC_USE_PCH=1 (set here unless set already) lets
# NVRTC 12.8 and later reuse precompiled headers, which cuts that cost.
# then summary.md (printed too) and log.txt (every step's output). The exit code is 0 when
# every step passed (the epoch may be skipped for want of data), else 1; 2 for bad usage.
#
# Environment: PYTHON (default python3), MNIST_DIR, GPU_CHECK_QUICK=1 (small sizes: the test
# suite's dry run), GPU_CHECK_STEPS=tests,bench (run only these, in this order),
# GPU_CHECK_SECONDS (the whole run's limit), GPU_CHECK_LIMIT_<STEP> (one step's limit, s),
# GPU_CHECK_EXAMPLES (hypothesis examples per op in the agreement step, 5), GPU_CHECK_WORKERS
# (pytest-xdist workers in the tests step; default up to 8 on the GPU, 1 on a dry run).
set -uo pipefail
export PYTHONUNBUFFERED=1
export CUPY_NVRTC_USE_PCH=${CUPY_NVRTC_USE_PCH:-1}

usage() {
    echo "usage: bash benchmarks/gpu_check.sh [--dry-run] REPORT_DIR" >&2
    exit 2
}

DRY_RUN=0
if [[ "${1:-}" == "--dry-run" ]]; then
    DRY_RUN=1
    shift
fi
[[ $# -eq 1 && "$1" != -* ]] || usage
mkdir -p "$1" || usage
REPORT=$(cd "$1" && pwd)
cd "$(dirname "$0")/.." || exit 2

export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"  # minigrad and tests/, installed or not
PY=${PYTHON:-python3}
DEVICE=cuda
((DRY_RUN)) && DEVICE=cpu
QUICK=()
[[ "${GPU_CHECK_QUICK:-0}" == 1 ]] && QUICK=(--quick)
BUDGET=${GPU_CHECK_SECONDS:-470}
LOG=$REPORT/log.txt
: >"$LOG"
HELPER=(benchmarks/gpu_check.py)

# default limits in seconds (the sum stays under BUDGET)
declare -A LIMIT=([versions]=20 [tests]=130 [agreement]=150 [lenet]=40 [bench]=90 [epoch]=40)
declare -A COMMAND=(
    [versions]="versions --out $REPORT/versions.txt"
    [tests]="tests --out $REPORT/tests.txt"
    [agreement]="agreement --out $REPORT/agreement.json --examples ${GPU_CHECK_EXAMPLES:-5}"
    [lenet]="lenet --out $REPORT/lenet_curves.csv --steps 100 --batch 64"
    [bench]="bench --out $REPORT/bench.md"
    [epoch]="epoch --out $REPORT/bench.md"
)
if [[ ${#QUICK[@]} -gt 0 ]]; then
    COMMAND[agreement]="agreement --out $REPORT/agreement.json --examples 1"
    COMMAND[lenet]="lenet --out $REPORT/lenet_curves.csv --steps 10 --batch 16"
fi
IFS=, read -r -a STEPS <<<"${GPU_CHECK_STEPS:-versions,tests,agreement,lenet,bench,epoch}"

echo "GPU check on device $DEVICE$( ((DRY_RUN)) && echo ' (dry run)'), report in $REPORT"
RESULTS=()
for name in "${STEPS[@]}"; do
    [[ -n "${COMMAND[$name]:-}" ]] || { echo "unknown step $name" >&2; usage; }
    override=GPU_CHECK_LIMIT_${name^^}
    limit=${!override:-${LIMIT[$name]}}
    left=$((BUDGET - SECONDS - 5))
    ((limit > left)) && limit=$left
    if ((limit < 5)); then
        echo "== $name: no time left" | tee -a "$LOG"
        RESULTS+=("$name:124:0")
        continue
    fi
    echo "== $name (limit ${limit}s)" | tee -a "$LOG"
    start=$(date +%s.%N)
    # shellcheck disable=SC2086  # the command's words are split on purpose
    timeout --kill-after=10 "$limit" "$PY" "${HELPER[@]}" ${COMMAND[$name]} --device "$DEVICE" \
        --timeout $((limit - 5)) "${QUICK[@]}" >>"$LOG" 2>&1
    rc=$?
    seconds=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
    echo "   exit code $rc, ${seconds}s" | tee -a "$LOG"
    RESULTS+=("$name:$rc:$seconds")
done

echo
"$PY" "${HELPER[@]}" summary --device "$DEVICE" --report "$REPORT" "${RESULTS[@]}"
rc=$?
if ((rc != 0 && rc != 1)); then  # the helper itself broke: say what ran, plainly
    echo "the summary failed (exit code $rc); the steps: ${RESULTS[*]}" | tee "$REPORT/summary.md"
    rc=1
fi
exit "$rc"
