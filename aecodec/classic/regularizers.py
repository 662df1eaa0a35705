"""Reconstruction losses and the penalties shared by the classic autoencoders.

Every per-sample quantity is summed over the data dimensions (so that, for the VAE, the terms
form a proper ELBO); callers average over the batch.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

RECON_LOSSES = ("mse", "bce")


def reconstruction_loss(x_hat: torch.Tensor, x: torch.Tensor, kind: str = "mse") -> torch.Tensor:
    """Per-sample reconstruction loss, shape (N,): summed squared error or binary cross-entropy.

    ``bce`` treats ``x`` in [0, 1] as Bernoulli probabilities (the Bernoulli negative log-likelihood).
    """
    if kind == "mse":
        err = (x_hat - x) ** 2
    elif kind == "bce":
        err = F.binary_cross_entropy(x_hat, x, reduction="none")
    else:
        raise ValueError(f"unknown reconstruction loss {kind!r}; choose from {RECON_LOSSES}")
    return err.flatten(1).sum(1)


def weight_penalty(model: nn.Module, l1: float = 0.0, l2: float = 0.0) -> torch.Tensor:
    """``l1 * sum|W| + l2 * sum W^2`` over weight matrices and kernels (biases are not penalized)."""
    total = torch.zeros(())
    if l1 == 0.0 and l2 == 0.0:
        return total
    for name, p in model.named_parameters():
        if p.dim() < 2:
            continue
        if l1:
            total = total + l1 * p.abs().sum()
        if l2:
            total = total + l2 * (p**2).sum()
    return total


def l1_activity(code: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of ``sum_j |z_j|``."""
    return code.abs().sum(1).mean()


def kl_sparsity(code: torch.Tensor, target: float) -> torch.Tensor:
    """``sum_j KL(Bernoulli(target) || Bernoulli(mean activation of unit j))``; codes must lie in (0, 1)."""
    rho_hat = code.mean(0).clamp(1e-6, 1 - 1e-6)
    rho = torch.full_like(rho_hat, target)
    return (rho * (rho / rho_hat).log() + (1 - rho) * ((1 - rho) / (1 - rho_hat)).log()).sum()


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Per-sample ``KL(N(mu, exp(logvar)) || N(0, I))``, shape (N,)."""
    return 0.5 * (mu**2 + logvar.exp() - 1.0 - logvar).sum(1)


def jacobian_frobenius_sq(code: torch.Tensor, inputs: torch.Tensor, create_graph: bool = True) -> torch.Tensor:
    """Per-sample squared Frobenius norm of d code / d inputs, shape (N,).

    ``code`` must have been computed from ``inputs`` (which requires grad), sample by sample. One
    backward pass per code unit: exact, and cheap for the small codes used here.
    """
    total = torch.zeros(code.shape[0], dtype=code.dtype, device=code.device)
    for j in range(code.shape[1]):
        (g,) = torch.autograd.grad(code[:, j].sum(), inputs, create_graph=create_graph, retain_graph=True)
        total = total + (g.flatten(1) ** 2).sum(1)
    return total
