"""Balancing the levels of a variable-rate run (``aecodec train --balance-levels``).

One model trains every level at once, and a top-level sample's loss (lambda * 255^2 * MSE + bpp) is
about 15x a bottom-level one's, so the plain mean of the batch spends the shared weights mostly on the
top levels. BD-rate averages the logarithm of the rate: a 1 % saving counts the same at every level.
``LevelBalance`` divides each sample's loss by a running estimate of the typical loss at its level, so
the gradient is that of the sum of log losses, which asks for the same.
"""

from __future__ import annotations

import torch


class LevelBalance:
    """Running log-loss per integer level; a sample at level i + f updates and reads levels i and i + 1
    with weights 1 - f and f. Estimates start at a level's first sample."""

    def __init__(self, num_levels: int, momentum: float = 0.01):
        self.momentum = momentum
        self.log_loss = torch.full((num_levels,), float("nan"), dtype=torch.float64)

    def _neighbours(self, level: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        level = level.detach().double().cpu().clamp(0, len(self.log_loss) - 1)
        low = level.floor().long().clamp(max=len(self.log_loss) - 2)
        return low, low + 1, level - low

    def update(self, level: torch.Tensor, losses: torch.Tensor) -> None:
        """Moves the estimates toward the samples' losses (per sample, detached)."""
        low, high, frac = self._neighbours(level)
        logs = losses.detach().double().cpu().clamp_min(1e-12).log()
        for index, share, value in zip(torch.cat([low, high]), torch.cat([1 - frac, frac]), torch.cat([logs, logs])):
            if share <= 0:
                continue
            current = self.log_loss[index]
            if torch.isnan(current):
                self.log_loss[index] = value
            else:
                self.log_loss[index] = current + self.momentum * share * (value - current)

    def weights(self, level: torch.Tensor) -> torch.Tensor:
        """Per-sample factors: the levels' geometric-mean loss over the typical loss at each sample's level
        (1 while nothing is known)."""
        known = ~torch.isnan(self.log_loss)
        if not known.any():
            return torch.ones(level.shape, dtype=torch.float32, device=level.device)
        filled = self.log_loss.clone()
        filled[~known] = self.log_loss[known].mean()
        low, high, frac = self._neighbours(level)
        typical = (1 - frac) * filled[low] + frac * filled[high]
        return (filled[known].mean() - typical).exp().float().to(level.device)

    def state_dict(self) -> dict:
        return {"log_loss": self.log_loss.clone()}

    def load_state_dict(self, state: dict) -> None:
        if len(state["log_loss"]) == len(self.log_loss):
            self.log_loss = state["log_loss"].clone().double()
