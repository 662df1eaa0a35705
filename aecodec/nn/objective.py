"""The rate-distortion objective shared by training and encoder-side refinement."""

from __future__ import annotations

import torch

from aecodec.nn.rate import bits_per_sample


def rate_distortion_loss(out: dict, x: torch.Tensor, lambdas: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per-sample lambda * 255^2 * MSE + bpp, averaged over the batch ("per_sample" keeps each one's).

    ``out`` holds "x_hat" (like ``x``) and the "y_likelihood" / "z_likelihood" of the coded values.
    """
    pixels = x.shape[-2] * x.shape[-1]
    bpp = bits_per_sample(out["y_likelihood"], out["z_likelihood"]) / pixels
    mse = ((out["x_hat"] - x) ** 2).mean(dim=(1, 2, 3))
    per_sample = lambdas * 255**2 * mse + bpp
    return {"loss": per_sample.mean(), "bpp": bpp.mean(), "mse": mse.mean(), "per_sample": per_sample}


def latent_rate_loss(out: dict, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Bits per pixel of the latent alone (``out["y_likelihood"]``), averaged over the batch: the loss of
    model 2's context-first stage, where nothing else can change."""
    bpp = bits_per_sample(out["y_likelihood"]) / (x.shape[-2] * x.shape[-1])
    return {"loss": bpp.mean(), "bpp": bpp.mean()}
