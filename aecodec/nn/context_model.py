"""Model 2: model 1's transforms with a spatial-channel context entropy model.

The latent's channels are split into uneven slices (ELIC, He et al. 2022) coded one after another; each
slice is coded in two checkerboard passes (He et al. 2021): the "anchor" half is predicted from the
hyperprior and the slices already coded, the other half also from the anchors around it. Each slice's
means and scales are predicted as a residual on the hyperprior's, and a latent residual prediction
(Minnen & Singh 2020) corrects what the synthesis sees. Every residual layer starts at zero, so model 2
initialised from model 1's weights starts exactly as model 1 and training moves it from there.

The context networks see only values both sides know exactly: the hyperprior's float64 parameters and
the coded latent values round(y - mean) + mean. The latent residual prediction is not an input of any
later table, so it may run in any precision.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from aecodec.nn.model import DEFAULT_LAMBDAS, HyperpriorModel, ModelConfig, round_ste
from aecodec.entropy.gaussian import SCALE_BOUND
from aecodec.nn.priors import gaussian_likelihood
from aecodec.nn.rate import uniform_noise

DEFAULT_SLICES = (16, 16, 32, 64, 64)
# The context may move the hyperprior's mean by at most this many of the hyperprior's scales (each at least
# the coder's smallest). On photos it stays within it (held-out photos: the same bytes with and without the
# bound); on content unlike the training photos, a smooth synthetic gradient, the unbounded context moved
# means by hundreds of scales and coded 2.8x model 1's bytes at quality 75 (docs/TRAINING.md).
MEAN_SHIFT_BOUND = 4.0


@dataclass(frozen=True)
class ContextModelConfig(ModelConfig):
    """Model 1's hyper-parameters plus the channel slices of the context model."""

    slices: tuple[int, ...] = DEFAULT_SLICES
    width: int = 64  # channels of the context networks

    def __post_init__(self):
        if sum(self.slices) != self.m:
            raise ValueError(f"slices {self.slices} must add up to m={self.m}")

    def to_dict(self) -> dict:
        return {**super().to_dict(), "slices": self.slices, "width": self.width, "kind": "context"}

    @classmethod
    def from_dict(cls, data: dict) -> "ContextModelConfig":
        base = ModelConfig.from_dict(data)
        return cls(n=base.n, m=base.m, lambdas=base.lambdas, conditioned_synthesis=base.conditioned_synthesis,
                   conditioned_analysis=base.conditioned_analysis, slices=tuple(int(v) for v in data["slices"]),
                   width=int(data["width"]))


def anchor_mask(height: int, width: int, device=None, dtype=torch.float32) -> torch.Tensor:
    """(1, 1, H, W): 1 on the checkerboard's anchors (row + column even), 0 elsewhere."""
    rows = torch.arange(height, device=device)[:, None]
    cols = torch.arange(width, device=device)[None, :]
    return ((rows + cols) % 2 == 0).to(dtype)[None, None]


def _zero_last(module: nn.Sequential) -> nn.Sequential:
    nn.init.zeros_(module[-1].weight)
    nn.init.zeros_(module[-1].bias)
    return module


class SliceContext(nn.Module):
    """Entropy parameters and residual prediction of one slice of ``channels`` latent channels."""

    def __init__(self, channels: int, previous: int, width: int):
        super().__init__()
        self.previous = previous
        # Channel context: the slices coded before this one.
        self.channel = nn.Sequential(
            nn.Conv2d(previous, width, 3, padding=1), nn.LeakyReLU(inplace=True), nn.Conv2d(width, width, 1),
        ) if previous else None
        # Spatial context: the four anchors next to each non-anchor (3x3; only anchors are non-zero). The
        # decoder runs this in float64, so it is kept small (docs/TRAINING.md: decode-time budget).
        self.spatial = nn.Conv2d(channels, width, 3, padding=1)
        inputs = 2 * channels + width * (2 if previous else 1)
        self.parameters_net = _zero_last(nn.Sequential(
            nn.Conv2d(inputs, width, 1), nn.LeakyReLU(inplace=True),
            nn.Conv2d(width, width, 1), nn.LeakyReLU(inplace=True),
            nn.Conv2d(width, 2 * channels, 1),
        ))
        self.residual_net = _zero_last(nn.Sequential(
            nn.Conv2d(2 * channels + channels + (width if previous else 0), width, 3, padding=1),
            nn.LeakyReLU(inplace=True),
            nn.Conv2d(width, channels, 3, padding=1),
        ))

    def channel_context(self, coded_before: torch.Tensor | None) -> torch.Tensor | None:
        return self.channel(coded_before) if self.channel is not None else None

    def entropy_parameters(self, hyper: torch.Tensor, channel_ctx: torch.Tensor | None,
                           anchors: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """Means and scales of the slice. ``hyper``: the hyperprior's (means, scales) of the slice,
        concatenated; ``anchors``: the coded anchor values with non-anchors zero (None in the anchor pass)."""
        if anchors is None:
            spatial = torch.zeros((hyper.shape[0], self.spatial.out_channels, *hyper.shape[2:]),
                                  dtype=hyper.dtype, device=hyper.device)
        else:
            spatial = self.spatial(anchors)
        parts = [hyper, spatial] + ([channel_ctx] if channel_ctx is not None else [])
        delta_means, delta_scales = self.parameters_net(torch.cat(parts, dim=1)).chunk(2, dim=1)
        hyper_means, hyper_scales = hyper.chunk(2, dim=1)
        bound = MEAN_SHIFT_BOUND * hyper_scales.clamp_min(SCALE_BOUND)
        return hyper_means + torch.maximum(torch.minimum(delta_means, bound), -bound), hyper_scales + delta_scales

    def residual(self, hyper: torch.Tensor, channel_ctx: torch.Tensor | None, y_hat: torch.Tensor) -> torch.Tensor:
        """Latent residual prediction added to the slice's coded values before the synthesis."""
        parts = [hyper, y_hat] + ([channel_ctx] if channel_ctx is not None else [])
        return 0.5 * torch.tanh(self.residual_net(torch.cat(parts, dim=1)))


class ContextModel(HyperpriorModel):
    """Model 1 plus the slice/checkerboard context entropy model (see the module docstring)."""

    def __init__(self, config: ContextModelConfig = ContextModelConfig()):
        super().__init__(config)
        offsets = [sum(config.slices[:i]) for i in range(len(config.slices))]
        self.slice_bounds = [(o, o + c) for o, c in zip(offsets, config.slices)]
        self.contexts = nn.ModuleList(SliceContext(c, o, config.width) for o, c in zip(offsets, config.slices))

    def context_parameters(self) -> list[nn.Parameter]:
        return list(self.contexts.parameters())

    def slice_parameters(self, index: int, hyper_means: torch.Tensor, hyper_scales: torch.Tensor,
                         coded_before: torch.Tensor | None, anchors: torch.Tensor | None):
        """Means and scales of slice ``index`` for one checkerboard pass (the coder's view of the model)."""
        lo, hi = self.slice_bounds[index]
        context = self.contexts[index]
        hyper = torch.cat([hyper_means[:, lo:hi], hyper_scales[:, lo:hi]], dim=1)
        return context.entropy_parameters(hyper, context.channel_context(coded_before), anchors)

    def code_latent(self, y: torch.Tensor, z_hat: torch.Tensor, rate_proxy: str,
                    noise: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        hyper_means, hyper_scales = self.entropy_parameters(z_hat)
        mask = anchor_mask(y.shape[2], y.shape[3], y.device, y.dtype)
        coded, synthesis_input, likelihoods = [], [], []
        for index, (lo, hi) in enumerate(self.slice_bounds):
            y_slice = y[:, lo:hi]
            before = torch.cat(coded, dim=1) if coded else None
            context = self.contexts[index]
            hyper = torch.cat([hyper_means[:, lo:hi], hyper_scales[:, lo:hi]], dim=1)
            channel_ctx = context.channel_context(before)
            anchor_means, anchor_scales = context.entropy_parameters(hyper, channel_ctx, None)
            anchors = (round_ste(y_slice - anchor_means) + anchor_means) * mask
            other_means, other_scales = context.entropy_parameters(hyper, channel_ctx, anchors)
            means = anchor_means * mask + other_means * (1 - mask)
            scales = anchor_scales * mask + other_scales * (1 - mask)
            y_hat = round_ste(y_slice - means) + means
            y_coded = (y_slice + uniform_noise(y_slice, None if noise is None else noise[:, lo:hi])
                       if rate_proxy == "noise" else y_hat)
            likelihoods.append(gaussian_likelihood(y_coded, means, scales))
            coded.append(y_hat)
            synthesis_input.append(y_hat + context.residual(hyper, channel_ctx, y_hat))
        return torch.cat(synthesis_input, dim=1), torch.cat(likelihoods, dim=1)

    def context_rate_forward(self, x: torch.Tensor, level: torch.Tensor, rate_proxy: str = "noise") -> dict:
        """Training pass of the context part alone: the transforms run without gradients and only the
        latent's likelihoods (the rate the context networks control) are returned. About 3x cheaper per
        step than ``forward``, for the context-first stage of a warm start (docs/TRAINING.md)."""
        with torch.no_grad():
            gain, _ = self.gains(level)
            y = self.analysis(level)(x).float() * gain
            z_hat = torch.round(self.h_a(y).float())
        _, y_likelihood = self.code_latent(y, z_hat, rate_proxy)
        return {"y_likelihood": y_likelihood}


def build_model(config_dict: dict) -> HyperpriorModel:
    """Model 1 or model 2 from a stored config (model 2's carries "kind": "context")."""
    if config_dict.get("kind") == "context":
        return ContextModel(ContextModelConfig.from_dict(config_dict))
    return HyperpriorModel(ModelConfig.from_dict(config_dict))


__all__ = ["ContextModel", "ContextModelConfig", "DEFAULT_LAMBDAS", "anchor_mask", "build_model"]
