#!/usr/bin/env bash
# The pipeline's GPU check, one command, under 8 minutes on one GPU:
#   1. the CUDA tests (pytest -k cuda: rasterizer and soft mask against the CPU, the DIBRenderer's
#      results and its host synchronisations counted by torch.cuda.set_sync_debug_mode);
#   2. `fit` for a few steps on CUDA;
#   3. `train` (reconstruction) for a few steps on CUDA;
#   4. `train` under torchrun with one process per visible GPU (NCCL from two GPUs up; one GPU runs a
#      single process, which needs no process group);
#   5. benchmarks/bench_render.py --device cuda, with Kaolin's CUDA DIB-R beside ours when `kaolin`
#      imports, and the host-synchronisation counts;
# then prints one table (each step's status, time and log; the benchmark's rows).
#
# Usage: benchmarks/gpu_check.sh [--dry-run]
#   --dry-run   the same steps on the CPU, shrunk (DDP as two gloo processes): checks the script
#               itself where no GPU is available.
# Environment: PYTHON (default .venv/bin/python, else python3); GPU_CHECK_OUT (logs and results;
# default a new temporary folder).
set -uo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-.venv/bin/python}
[ -x "$PYTHON" ] || PYTHON=python3
case "${1:-}" in
  --dry-run) DRY=1 ;;
  "") DRY=0 ;;
  *) echo "usage: $0 [--dry-run]" >&2; exit 2 ;;
esac
OUT=${GPU_CHECK_OUT:-$(mktemp -d -t gpu_check.XXXXXX)}
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1

if [ "$DRY" = 1 ]; then
  DEVICE=cpu NPROC=2 FIT_STEPS=3 TRAIN_STEPS=2 IMAGE=32
  BENCH=(--faces 320,1280 --sizes 64 --batches 2 --repeats 1 --no-syncs)
  export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
else
  NPROC=$("$PYTHON" -c "import torch; print(torch.cuda.device_count())" 2>/dev/null || echo 0)
  if [ "$NPROC" -lt 1 ]; then
    echo "gpu_check: torch sees no CUDA device (run with --dry-run to check the script on the CPU)" >&2
    exit 2
  fi
  DEVICE=cuda FIT_STEPS=20 TRAIN_STEPS=10 IMAGE=64
  BENCH=(--faces 1280,20480,81920 --sizes 128,512 --batches 4 --repeats 5 --budget 20)
fi

# Small reconstruction runs: a few shapes, a small network, no checkpoints or Timelapse.
TRAIN_SMALL=(data.source=synthetic:8 data.num_test=2 "data.families=[sphere,cube]" views.num_views=4 views.supervise=2
             "views.image_size=$IMAGE" template.subdivisions=2 "model.channels=[16,32,32]" model.hidden=128
             optim.batch_size=4 log.checkpoint_every=0 log.timelapse_every=0 eval.num_points=2000)

STEPS_FILE="$OUT/steps.tsv"
: >"$STEPS_FILE"
run_step() {  # NAME LIMIT_SECONDS COMMAND...: run, log to $OUT/NAME.log, record status and time
  local name=$1 limit=$2 start=$SECONDS status rc
  shift 2
  echo "gpu_check: $name ..." >&2
  timeout "$limit" "$@" >"$OUT/$name.log" 2>&1
  rc=$?
  if [ "$rc" = 0 ]; then status=ok
  elif [ "$rc" = 124 ]; then status="timeout>${limit}s"
  else status="FAILED(rc=$rc)"
  fi
  printf '%s\t%s\t%s\t%s\n' "$name" "$status" "$((SECONDS - start))" "$OUT/$name.log" >>"$STEPS_FILE"
}

run_step cuda-tests 120 "$PYTHON" -m pytest -q -rs -p no:cacheprovider tests -k cuda
run_step fit 100 "$PYTHON" -m kaolin_pipeline fit synthetic:blob --device "$DEVICE" --steps "$FIT_STEPS" --out "$OUT/fit" \
  views.num_views=4 "views.image_size=$IMAGE" log.checkpoint_every=0 log.timelapse_every=0 eval.num_points=2000
run_step train 100 "$PYTHON" -m kaolin_pipeline train --device "$DEVICE" --steps "$TRAIN_STEPS" \
  --out "$OUT/train" "${TRAIN_SMALL[@]}"
run_step ddp 120 "$PYTHON" -m torch.distributed.run --standalone --nproc_per_node "$NPROC" \
  -m kaolin_pipeline train --device "$DEVICE" --steps "$TRAIN_STEPS" --out "$OUT/ddp" "${TRAIN_SMALL[@]}" \
  "data.cache_dir=$OUT/ddp_cache"
run_step bench-render 200 "$PYTHON" benchmarks/bench_render.py --device "$DEVICE" --methods dibr,kaolin \
  "${BENCH[@]}" --output "$OUT/bench_render.json"

"$PYTHON" - "$STEPS_FILE" "$OUT/bench_render.json" "$DEVICE" "$NPROC" <<'EOF'
import json
import sys
from pathlib import Path

steps_file, bench_file, device, nproc = sys.argv[1:]
rows = [line.split("\t") for line in Path(steps_file).read_text().splitlines()]
print(f"\nGPU check on {device} ({nproc} process{'es' if nproc != '1' else ''} for ddp)")
print(f"{'step / configuration':<42}{'status':<16}{'seconds':>8}  detail")
print("-" * 100)
for name, status, seconds, log in rows:
    lines = [line for line in Path(log).read_text(errors="replace").splitlines() if line.strip()]
    detail = lines[-1][:60] if lines else ""
    if name == "cuda-tests":
        detail = next((line for line in reversed(lines) if " passed" in line or " failed" in line
                       or " skipped" in line), detail)[:60]
    print(f"{name:<42}{status:<16}{seconds:>8}  {detail}")
bench = Path(bench_file)
if bench.is_file():
    data = json.loads(bench.read_text())
    for row in data["rows"]:
        label = f"  {row['method']} B={row['batch']} F={row['faces']} {row['size']}²"
        if row["status"] == "ok":
            memory = f", {row['cuda_peak_mb']:.0f} MB" if "cuda_peak_mb" in row else ""
            detail = f"fwd {row['forward_s'] * 1e3:.1f} ms, bwd {row['backward_s'] * 1e3:.1f} ms{memory}"
            print(f"{label:<42}{'ok':<16}{'':>8}  {detail}")
        else:
            status, _, reason = row["status"].partition(": ")
            print(f"{label:<42}{status:<16}{'':>8}  {reason[:60]}")
    for row in data.get("host_syncs", []):
        label = f"  syncs F={row['faces']} {row['size']}² max_pairs={row['max_pairs']}"
        detail = ", ".join(f"{op} {n}" for op, n in sorted(row.get("by_op", {}).items())) or row.get("error", "")
        print(f"{label:<42}{str(row.get('total', 'error')) + ' syncs':<16}{'':>8}  {detail[:60]}")
failed = [name for name, status, *_ in rows if status != "ok"]
print(f"\nlogs and results: {Path(steps_file).parent}")
sys.exit(1 if failed else 0)
EOF
