"""Widen model 2's latent: more channels, coded as one more slice after the others, starting as the model it was.

    python -m aecodec.training.widen --weights aecodec/weights/context-gain-n128-m192-861cca088f3ad598.safetensors \\
        --extra 128 --out ~/runs/m320/init.safetensors

At the top qualities the transforms, not the entropy model, cap the curve (``python -m bench.ceiling``), and
the published high-rate models carry 320 latent channels where model 2 has 192. The new channels start with
no say in the picture or in the old channels' tables: their synthesis weights, their inputs to the
hyper-analysis and every path from them into the old entropy parameters are zero, so the widened model
reconstructs exactly what it widened and codes the old channels with the same tables. Their analysis
weights start as scaled copies of existing channels' (a zero latent would round to zero and teach the
synthesis nothing), which costs some bits until training either puts them to use or silences them.
Train it on with ``aecodec train --model context --init-weights OUT`` (the widths come from the file).
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import torch

from aecodec.nn.context_model import ContextModel
from aecodec.nn.store import load_weights, save_weights

# Where a new channel's analysis weights start, relative to the existing channel they copy.
COPY_SCALE = 0.2
# The hyperprior's scale for a new channel before training (in quantization steps).
NEW_SCALE = 0.3


def widen(model: ContextModel, extra: int, seed: int = 0) -> ContextModel:
    """A model 2 with ``extra`` more latent channels in a last slice, reconstructing exactly as ``model``."""
    if not isinstance(model, ContextModel):
        raise ValueError("widen takes model 2 (a context model)")
    if extra < 1:
        raise ValueError(f"extra must be at least 1, got {extra}")
    old = model.config
    m, m2 = old.m, old.m + extra
    config = dataclasses.replace(old, m=m2, slices=(*old.slices, extra))
    wide = ContextModel(config)
    generator = torch.Generator().manual_seed(seed)
    src = model.state_dict()
    dst = wide.state_dict()  # the new slice's context networks keep their fresh (zero-residual) initialisation
    for name, value in src.items():
        if dst[name].shape == value.shape:
            dst[name] = value.clone()

    # Analysis: the new outputs copy random existing channels, scaled down.
    picks = torch.randint(0, m, (extra,), generator=generator)
    dst["g_a.6.weight"][:m] = src["g_a.6.weight"]
    dst["g_a.6.weight"][m:] = COPY_SCALE * src["g_a.6.weight"][picks]
    dst["g_a.6.bias"][:m] = src["g_a.6.bias"]
    dst["g_a.6.bias"][m:] = COPY_SCALE * src["g_a.6.bias"][picks]
    # Synthesis and hyper-analysis ignore the new channels (ConvTranspose2d weights are (in, out, k, k)).
    dst["g_s.0.weight"].zero_()
    dst["g_s.0.weight"][:m] = src["g_s.0.weight"]
    dst["h_a.0.weight"].zero_()
    dst["h_a.0.weight"][:, :m] = src["h_a.0.weight"]
    # Hyper-synthesis: h_s.0 (n -> m) and h_s.2 (m -> 3m/2) grow; new units read from the old ones (fresh
    # weights) but write nothing into old units, and the old means and scales read only old units.
    hidden = m * 3 // 2
    dst["h_s.0.weight"][:, :m] = src["h_s.0.weight"]
    dst["h_s.0.bias"][:m] = src["h_s.0.bias"]
    dst["h_s.0.bias"][m:] = 0
    dst["h_s.2.weight"][m:] = 0
    dst["h_s.2.weight"][:m, :hidden] = src["h_s.2.weight"]
    dst["h_s.2.bias"][:hidden] = src["h_s.2.bias"]
    dst["h_s.2.bias"][hidden:] = 0
    # h_s.4 writes means (first m2 outputs) then scales (next m2).
    weight, bias = dst["h_s.4.weight"], dst["h_s.4.bias"]
    weight.zero_()
    weight[:m, :hidden] = src["h_s.4.weight"][:m]
    weight[m2:m2 + m, :hidden] = src["h_s.4.weight"][m:]
    bias[:m], bias[m:m2] = src["h_s.4.bias"][:m], 0.0
    bias[m2:m2 + m], bias[m2 + m:] = src["h_s.4.bias"][m:], NEW_SCALE
    # Gains: a new channel starts with the mean log-gain of the old ones at each level.
    for name in ("log_gain", "log_inverse_gain"):
        dst[name][:, :m] = src[name]
        dst[name][:, m:] = src[name].mean(dim=1, keepdim=True)
    wide.load_state_dict(dst)
    return wide.eval()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aecodec.training.widen", description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", required=True, help="model 2 weights to widen")
    parser.add_argument("--extra", type=int, default=128, help="latent channels to add (one new slice)")
    parser.add_argument("--out", required=True, help="where to write the widened weights")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    model, meta = load_weights(args.weights)
    try:
        wide = widen(model, args.extra, args.seed)
    except ValueError as error:
        parser.error(str(error))
    keep = {k: meta[k] for k in ("steps", "train_seconds", "train_cpu_seconds") if k in meta}
    fingerprint = save_weights(wide, Path(args.out), {**keep, "widened_from": meta["fingerprint"][:16]})
    print(f"{args.out}: m {model.config.m} -> {wide.config.m}, slices {wide.config.slices}, fingerprint {fingerprint[:16]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
