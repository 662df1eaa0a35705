#!/usr/bin/env bash
# One-call GPU burst for model 2 (docs/TRAINING.md): the joint stage from the committed
# weights, first at lr 1e-4, then at 1e-5, an eighth of the patches synthetic ramps and levels balanced (as on the CPU since
# 2026-12-01); the EMA weights and the log come back in $OUT.
# Prepare here with `python -m tools.gpu_data`, then through the device tool:
#   run(command="bash tools/gpu_burst.sh 6 2", carry=["gpudata"], timeout_s=600)
# Arguments: minutes at lr 1e-4, minutes at lr 1e-5 (budget ~2 minutes for the build and start).
set -euo pipefail
HIGH=${1:-6}
LOW=${2:-2}
DEVICE=${DEVICE:-cuda}
RUN=${RUN:-/tmp/m2burst}
OUT=${OUT:?OUT: the folder whose files come back}
DATA=${DATA:-gpudata/train}
COMMON=(--data "$DATA" --out "$RUN" --model context --stage joint --device "$DEVICE" --patch 256 --batch 32
        --lr 1e-4 --context-lr-scale 10 --synthetic 0.125 --balance-levels --min-scale 1 --no-compile)

ls aecodec/_core*.so >/dev/null 2>&1 || python3 setup.py -q build_ext --inplace
# The weights this build encodes model 2 with: development weights if any, else the newest release's.
WEIGHTS=${WEIGHTS:-$(python3 -c 'from aecodec.releases import encoder_weights; print(encoder_weights(2))')}
python3 -m aecodec train "${COMMON[@]}" --init-weights "$WEIGHTS" --minutes "$HIGH" || true
python3 -m aecodec train "${COMMON[@]}" --resume --decay-at 1 --minutes "$LOW" || true
cp "$RUN/weights.safetensors" "$RUN/train_log.jsonl" "$OUT/"
