"""Growing a trained model's quality range: new gain levels below its lowest lambda.

The new levels' log-gains continue the line through the two lowest trained levels, so a model
extended this way starts from the rate that extrapolating its gains gives, and training refines them; a
conditioned synthesis's or analysis's per-level scales and shifts start as the lowest trained level's.
Checkpoints and weights files with fewer levels are extended on load (``Trainer``), optimizer state
included, so a run continues where it was.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

GAIN_KEYS = ("log_gain", "log_inverse_gain")
MODULATION_KEYS = ("synthesis_modulation.log_scale", "synthesis_modulation.shift",
                   "analysis_modulation.log_scale", "analysis_modulation.shift")
# The optimizer groups (``trainer.build_optimizer``) whose parameters are per-level tables.
LEVEL_GROUPS = ("gains", "modulation", "analysis_modulation")


def prepended_count(old: Sequence[float], new: Sequence[float]) -> int:
    """How many levels ``new`` adds below ``old``; ValueError unless ``old`` is the top of ``new``."""
    old, new = [float(v) for v in old], [float(v) for v in new]
    count = len(new) - len(old)
    if count < 0 or any(not math.isclose(a, b, rel_tol=1e-6) for a, b in zip(old, new[count:])):
        raise ValueError(f"cannot extend quality levels {old} to {new}: only levels below the lowest can be added")
    return count


def _extrapolate_rows(table: torch.Tensor, count: int) -> torch.Tensor:
    """``count`` rows continuing the line through rows 1 and 0, lowest first, then ``table``."""
    step = table[0] - table[1]
    new_rows = [table[0] + step * k for k in range(count, 0, -1)]
    return torch.cat([torch.stack(new_rows), table]) if count else table


def extend_state(state: dict[str, torch.Tensor], lambdas: Sequence[float]) -> dict[str, torch.Tensor]:
    """A model state dict with its gain levels extended down to ``lambdas``."""
    count = prepended_count(state["lambdas"].tolist(), lambdas)
    out = dict(state)
    for key in GAIN_KEYS:
        out[key] = _extrapolate_rows(state[key], count)
    for key in MODULATION_KEYS:
        if key in state:
            out[key] = torch.cat([state[key][:1].expand(count, *state[key].shape[1:]), state[key]])
    out["lambdas"] = torch.tensor(list(lambdas), dtype=state["lambdas"].dtype, device=state["lambdas"].device)
    return out


def extend_optimizer_state(optimizer_state: dict, old_levels: int, count: int) -> dict:
    """Adam moments of the per-level tables grown by ``count`` rows: no momentum, level 0's second moment."""
    table_ids = [param_id for group in optimizer_state["param_groups"] if group.get("name") in LEVEL_GROUPS
                 for param_id in group["params"]]
    for param_id in table_ids:
        moments = optimizer_state["state"].get(param_id, {})
        for name in ("exp_avg", "exp_avg_sq"):
            table = moments.get(name)
            if table is None:
                continue
            if table.shape[0] != old_levels:
                raise ValueError(f"optimizer state of a level table has {table.shape[0]} rows, expected {old_levels}")
            first = torch.zeros_like(table[:1]) if name == "exp_avg" else table[:1]
            moments[name] = torch.cat([first.expand(count, *table.shape[1:]), table])
    return optimizer_state


def extend_checkpoint(checkpoint: dict, lambdas: Sequence[float]) -> dict:
    """A training checkpoint (model, EMA, optimizer) with its gain levels extended down to ``lambdas``."""
    old_levels = checkpoint["model"]["lambdas"].numel()
    count = prepended_count(checkpoint["model"]["lambdas"].tolist(), lambdas)
    checkpoint["model"] = extend_state(checkpoint["model"], lambdas)
    checkpoint["ema"] = extend_state(checkpoint["ema"], lambdas)
    checkpoint["optimizer"] = extend_optimizer_state(checkpoint["optimizer"], old_levels, count)
    return checkpoint
