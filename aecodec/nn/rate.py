"""The one place a model's likelihoods become bits: used by training, evaluation, refinement and tests."""

from __future__ import annotations

import torch

from aecodec.nn.priors import gaussian_likelihood


def round_ste(x: torch.Tensor) -> torch.Tensor:
    """Rounding whose gradient is the identity."""
    return x + (torch.round(x) - x).detach()


def hyperprior_latent(model, y: torch.Tensor, z_hat: torch.Tensor,
                      y_coded: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The hyperprior's Gaussian conditional of latent ``y`` (after gain) given hyper-latent ``z_hat``.

    Returns the coded latent round(y - mean) + mean (gradients straight through the rounding) and the
    likelihood of ``y_coded`` (default: the coded latent; the noise proxy passes y plus uniform noise)
    under N(mean, scale) from ``model.entropy_parameters(z_hat)``.
    """
    means, scales = model.entropy_parameters(z_hat)
    y_hat = round_ste(y - means) + means
    return y_hat, gaussian_likelihood(y_hat if y_coded is None else y_coded, means, scales)


def uniform_noise(like: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
    """The training proxy's quantization noise for ``like``: ``noise`` when the caller drew it (encoder
    refinement draws from its own seeded generator, so a file is reproducible), else uniform in [-0.5, 0.5)."""
    return noise if noise is not None else torch.empty_like(like).uniform_(-0.5, 0.5)


def bits(likelihood: torch.Tensor) -> torch.Tensor:
    """Ideal code length in bits of each coded value of the given likelihood."""
    return -torch.log2(likelihood)


def bits_per_sample(*likelihoods: torch.Tensor) -> torch.Tensor:
    """Total bits (B,) of each sample over all the given (B, C, H, W) likelihoods (latent, hyper-latent)."""
    total = torch.log2(likelihoods[0]).sum(dim=(1, 2, 3))
    for likelihood in likelihoods[1:]:
        total = total + torch.log2(likelihood).sum(dim=(1, 2, 3))
    return -total
