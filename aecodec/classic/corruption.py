"""Input corruptions for the denoising autoencoder and the denoising application."""

from __future__ import annotations

import torch

NOISE_KINDS = ("gaussian", "mask")


def corrupt(x: torch.Tensor, kind: str, level: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Corrupt ``x`` (values in [0, 1]).

    ``gaussian``: add N(0, level^2) noise and clip to [0, 1]; ``mask``: set each value to 0 with
    probability ``level``.
    """
    if level <= 0:
        return x
    if kind == "gaussian":
        noise = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
        return (x + level * noise).clamp(0.0, 1.0)
    if kind == "mask":
        keep = torch.rand(x.shape, generator=generator, dtype=x.dtype, device=x.device) >= level
        return x * keep
    raise ValueError(f"unknown noise {kind!r}; choose from {NOISE_KINDS}")
