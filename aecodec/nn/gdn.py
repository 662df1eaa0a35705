"""Generalized divisive normalization (Balle et al. 2016) with non-negative reparametrization."""

from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

_PEDESTAL = 2.0**-18


class _NonNegative(nn.Module):
    """Stores a parameter as sqrt(x + pedestal) so that gradient steps keep x >= minimum."""

    def __init__(self, initial: torch.Tensor, minimum: float = 0.0):
        super().__init__()
        self.pedestal = _PEDESTAL
        self.bound = (minimum + self.pedestal) ** 0.5
        self.raw = nn.Parameter(torch.sqrt(initial + self.pedestal))

    def forward(self) -> torch.Tensor:
        return torch.clamp(self.raw, min=self.bound) ** 2 - self.pedestal


class GDN(nn.Module):
    """y = x / sqrt(beta + gamma * x^2), per pixel across channels; ``inverse`` multiplies instead."""

    def __init__(self, channels: int, inverse: bool = False, beta_min: float = 1e-6, gamma_init: float = 0.1):
        super().__init__()
        self.inverse = inverse
        self.beta = _NonNegative(torch.ones(channels), minimum=beta_min)
        self.gamma = _NonNegative(gamma_init * torch.eye(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        channels = x.shape[1]
        gamma = self.gamma().reshape(channels, channels, 1, 1).to(x.dtype)
        beta = self.beta().to(x.dtype)
        norm = F.conv2d(x * x, gamma, beta)
        return x * torch.sqrt(norm) if self.inverse else x * torch.rsqrt(norm)
