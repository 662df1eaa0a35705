"""Differentiable probability models for training: factorized prior and Gaussian conditional.

Both work in float32 whatever the autocast state, because likelihoods are sensitive to precision.
"""

from __future__ import annotations

import math

import torch
from torch import nn
import torch.nn.functional as F

from aecodec.entropy.gaussian import SCALE_BOUND  # the coder's smallest grid scale: scales are clamped to it

LIKELIHOOD_BOUND = 1e-9


def _lower_bound_ste(x: torch.Tensor, bound: float) -> torch.Tensor:
    """max(x, bound) whose gradient still flows where it pushes x back up (as in Balle's LowerBound)."""
    clamped = torch.clamp(x, min=bound)
    return x + (clamped - x).detach()


def standard_normal_cdf(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * torch.erfc(-x * (2**-0.5))


def gaussian_likelihood(values: torch.Tensor, means: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
    """P(integer bin around ``values``) under N(means, scales), bins of width 1."""
    scales = torch.clamp(scales, min=SCALE_BOUND)
    centered = torch.abs(values - means)
    upper = standard_normal_cdf((0.5 - centered) / scales)
    lower = standard_normal_cdf((-0.5 - centered) / scales)
    return torch.clamp(upper - lower, min=LIKELIHOOD_BOUND)


class FactorizedPrior(nn.Module):
    """Per-channel learned density (Balle et al. 2018, appendix 6.1), convolved with a unit uniform.

    ``logits_cdf(x)`` evaluates the per-channel cumulative (in logit space) at points of shape
    (C, 1, K); the coder tables are built from it.
    """

    def __init__(self, channels: int, filters: tuple[int, ...] = (3, 3, 3), init_scale: float = 10.0):
        super().__init__()
        self.channels = channels
        dims = (1, *filters, 1)
        scale = init_scale ** (1 / (len(filters) + 1))
        self.matrices = nn.ParameterList()
        self.biases = nn.ParameterList()
        self.factors = nn.ParameterList()
        for i in range(len(filters) + 1):
            init = math.log(math.expm1(1 / scale / dims[i + 1]))
            self.matrices.append(nn.Parameter(torch.full((channels, dims[i + 1], dims[i]), init)))
            self.biases.append(nn.Parameter(torch.rand(channels, dims[i + 1], 1) - 0.5))
            if i < len(filters):
                self.factors.append(nn.Parameter(torch.zeros(channels, dims[i + 1], 1)))

    def logits_cdf(self, x: torch.Tensor) -> torch.Tensor:
        """x: (C, 1, K) -> logits of the CDF at x, (C, 1, K)."""
        logits = x
        for i, matrix in enumerate(self.matrices):
            logits = torch.matmul(F.softplus(matrix), logits) + self.biases[i]
            if i < len(self.factors):
                logits = logits + torch.tanh(self.factors[i]) * torch.tanh(logits)
        return logits

    def likelihood(self, values: torch.Tensor) -> torch.Tensor:
        """P(bin of width 1 around each value) for a (B, C, H, W) tensor."""
        b, c, h, w = values.shape
        flat = values.permute(1, 0, 2, 3).reshape(c, 1, -1).float()
        lower = self.logits_cdf(flat - 0.5)
        upper = self.logits_cdf(flat + 0.5)
        # Difference of sigmoids computed on the side where they are not both close to 1.
        sign = -torch.sign(lower + upper).detach()
        probs = torch.abs(torch.sigmoid(sign * upper) - torch.sigmoid(sign * lower))
        probs = probs.reshape(c, b, h, w).permute(1, 0, 2, 3)
        return torch.clamp(probs, min=LIKELIHOOD_BOUND)

    @torch.no_grad()
    def pmf_table(self, tail_mass: float = 1e-9, search_radius: int = 512) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-channel probabilities over integer support: (pmf (C, K) float64, offsets (C,) int).

        The support of channel c is offsets[c] .. offsets[c] + K - 1, cut where the CDF leaves
        [tail_mass/2, 1 - tail_mass/2]; mass outside it is left to the coder's escape symbol.
        """
        grid = torch.arange(-search_radius, search_radius + 1, dtype=torch.float32)
        points = grid.reshape(1, 1, -1).repeat(self.channels, 1, 1)
        cdf_upper = torch.sigmoid(self.logits_cdf(points + 0.5)).squeeze(1).double()
        cdf_lower = torch.sigmoid(self.logits_cdf(points - 0.5)).squeeze(1).double()
        low_idx, high_idx = [], []
        for c in range(self.channels):
            inside = ((cdf_upper[c] > tail_mass / 2) & (cdf_lower[c] < 1 - tail_mass / 2)).nonzero()
            low_idx.append(int(inside.min()) if len(inside) else search_radius)
            high_idx.append(int(inside.max()) if len(inside) else search_radius)
        width = max(h - l for l, h in zip(low_idx, high_idx)) + 1
        pmf = torch.zeros(self.channels, width, dtype=torch.float64)
        for c in range(self.channels):
            lo, hi = low_idx[c], high_idx[c]
            pmf[c, : hi - lo + 1] = (cdf_upper[c, lo : hi + 1] - cdf_lower[c, lo : hi + 1]).clamp(min=0)
        offsets = torch.tensor(low_idx, dtype=torch.int64) - search_radius
        lengths = torch.tensor([h - l + 1 for l, h in zip(low_idx, high_idx)], dtype=torch.int64)
        return pmf, offsets, lengths
