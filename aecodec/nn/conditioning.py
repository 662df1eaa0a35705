"""Per-level tables of a variable-rate model, and transforms conditioned on the level.

One model codes every quality: the gain units scale the latent per level (``HyperpriorModel.gains``), and
optionally (``ModelConfig.conditioned_synthesis``) the synthesis scales and shifts each channel after each
of its inverse GDNs per level as well, so that its nonlinearities can work differently at low rates (where
the latent carries coarse quantization noise) and at high rates (where the transforms cap the quality,
docs/TRAINING.md). ``ModelConfig.conditioned_analysis`` does the same after the analysis's GDNs, so the
encoder can choose what to keep per rate; the decoder never runs the analysis, so it costs nothing there.
All start neutral, so a model gains them without changing what it codes or decodes.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn


def interpolate_levels(table: torch.Tensor, level: torch.Tensor) -> torch.Tensor:
    """Rows of ``table`` (L, ...) at continuous level positions ``level`` (B,) in [0, L-1], interpolated
    linearly between neighbouring levels: (B, ...)."""
    levels = table.shape[0]
    level = level.clamp(0, levels - 1)
    low = level.floor().long().clamp(max=levels - 2)
    frac = (level - low.to(level.dtype)).to(table.dtype).reshape(-1, *([1] * (table.dim() - 1)))
    return table[low] * (1 - frac) + table[low + 1] * frac


class LevelModulation(nn.Module):
    """Per-level channel scales (stored as logs) and shifts for ``layers`` feature maps of ``channels``."""

    def __init__(self, levels: int, layers: int, channels: int):
        super().__init__()
        self.log_scale = nn.Parameter(torch.zeros(levels, layers, channels))
        self.shift = nn.Parameter(torch.zeros(levels, layers, channels))

    def at(self, level: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Scales and shifts (B, layers, channels) at continuous level positions ``level`` (B,)."""
        return torch.exp(interpolate_levels(self.log_scale, level)), interpolate_levels(self.shift, level)


def conditioned_transform(layers: nn.Sequential, after: tuple[int, ...], modulation: LevelModulation,
                          level: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """``layers`` as one callable whose outputs of the modules at indexes ``after`` are scaled and shifted
    per channel at ``level`` (B,): x * scale + shift (the modulation's layer i for ``after[i]``)."""
    scales, shifts = modulation.at(level)
    where = {index: i for i, index in enumerate(after)}

    def transform(x: torch.Tensor) -> torch.Tensor:
        for index, layer in enumerate(layers):
            x = layer(x)
            if index in where:
                i = where[index]
                x = x * scales[:, i, :, None, None].to(x.dtype) + shifts[:, i, :, None, None].to(x.dtype)
        return x

    return transform


__all__ = ["LevelModulation", "conditioned_transform", "interpolate_levels"]
