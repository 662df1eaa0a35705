"""Mean-scale hyperprior image compression model with gain units for variable rate.

Analysis/synthesis transforms follow Balle et al. 2018 (four stride-2 5x5 convolutions with GDN);
the hyperprior predicts a mean and a scale per latent element (Minnen et al. 2018, without
context model); per-quality gain vectors (Cui et al. 2021) scale the latent before quantization so that
one model covers the whole rate range.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, asdict

import torch
from torch import nn

from aecodec.nn.conditioning import LevelModulation, conditioned_transform, interpolate_levels
from aecodec.nn.gdn import GDN
from aecodec.nn.priors import FactorizedPrior
from aecodec.nn.rate import hyperprior_latent, round_ste, uniform_noise

# Lagrange multipliers of the quality levels, log-spaced (x1.93) across the trained range. The two
# lowest were added after 21k steps of training, to reach the low rates (~0.15 bpp) of JPEG quality 5.
DEFAULT_LAMBDAS = (0.00048, 0.00093, 0.0018, 0.0035, 0.0067, 0.013, 0.025, 0.0483, 0.093, 0.18)


@dataclass(frozen=True)
class ModelConfig:
    """Architecture hyper-parameters; stored with the weights."""

    n: int = 128
    m: int = 192
    lambdas: tuple[float, ...] = DEFAULT_LAMBDAS
    # Per-level channel scales and shifts inside the synthesis / the analysis (aecodec.nn.conditioning).
    conditioned_synthesis: bool = False
    conditioned_analysis: bool = False

    def to_dict(self) -> dict:
        data = asdict(self)
        for key in ("conditioned_synthesis", "conditioned_analysis"):
            if not data[key]:  # the stored configs of weights without it stay as they were
                del data[key]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "ModelConfig":
        return cls(n=int(data["n"]), m=int(data["m"]), lambdas=tuple(float(v) for v in data["lambdas"]),
                   conditioned_synthesis=bool(data.get("conditioned_synthesis", False)),
                   conditioned_analysis=bool(data.get("conditioned_analysis", False)))


def _conv(cin: int, cout: int, kernel: int = 5, stride: int = 2) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2)


def _deconv(cin: int, cout: int, kernel: int = 5, stride: int = 2) -> nn.ConvTranspose2d:
    return nn.ConvTranspose2d(cin, cout, kernel, stride=stride, padding=kernel // 2, output_padding=stride - 1)


class HyperpriorModel(nn.Module):
    """The learned transforms and probability models of the codec (no bitstream code here)."""

    # Total downsampling of the hyper-latent; inputs are padded to a multiple of it.
    STRIDE = 64

    def __init__(self, config: ModelConfig = ModelConfig()):
        super().__init__()
        self.config = config
        n, m = config.n, config.m
        levels = len(config.lambdas)
        self.g_a = nn.Sequential(
            _conv(3, n), GDN(n), _conv(n, n), GDN(n), _conv(n, n), GDN(n), _conv(n, m)
        )
        self.g_s = nn.Sequential(
            _deconv(m, n), GDN(n, inverse=True), _deconv(n, n), GDN(n, inverse=True),
            _deconv(n, n), GDN(n, inverse=True), _deconv(n, 3),
        )
        self.h_a = nn.Sequential(
            _conv(m, n, 3, 1), nn.LeakyReLU(inplace=True), _conv(n, n), nn.LeakyReLU(inplace=True), _conv(n, n)
        )
        self.h_s = nn.Sequential(
            _deconv(n, m), nn.LeakyReLU(inplace=True), _deconv(m, m * 3 // 2), nn.LeakyReLU(inplace=True),
            _conv(m * 3 // 2, 2 * m, 3, 1),
        )
        self.hyper_prior = FactorizedPrior(n)
        # Gains are stored as logs so that interpolation between levels is geometric. They start spread
        # as high-rate theory suggests (quantization step ~ lambda^-1/2, a factor 10 over the range).
        spread = 0.5 * torch.log(torch.tensor(config.lambdas) / math.sqrt(config.lambdas[0] * config.lambdas[-1]))
        self.log_gain = nn.Parameter(spread[:, None].repeat(1, m))
        self.log_inverse_gain = nn.Parameter(-spread[:, None].repeat(1, m))
        self.register_buffer("lambdas", torch.tensor(config.lambdas, dtype=torch.float32))
        self.synthesis_modulation = (LevelModulation(levels, len(self.MODULATED_SYNTHESIS_LAYERS), n)
                                     if config.conditioned_synthesis else None)
        self.analysis_modulation = (LevelModulation(levels, len(self.MODULATED_ANALYSIS_LAYERS), n)
                                    if config.conditioned_analysis else None)

    # The layers (the GDNs) whose outputs a conditioned synthesis / analysis scales and shifts per level.
    MODULATED_SYNTHESIS_LAYERS = (1, 3, 5)
    MODULATED_ANALYSIS_LAYERS = (1, 3, 5)

    def gain_parameters(self) -> list[nn.Parameter]:
        return [self.log_gain, self.log_inverse_gain]

    @property
    def num_levels(self) -> int:
        return len(self.config.lambdas)

    def modulation_parameters(self) -> list[nn.Parameter]:
        """The conditioned synthesis's per-level scales and shifts (none without it)."""
        return list(self.synthesis_modulation.parameters()) if self.synthesis_modulation is not None else []

    def analysis_modulation_parameters(self) -> list[nn.Parameter]:
        """The conditioned analysis's per-level scales and shifts (none without it)."""
        return list(self.analysis_modulation.parameters()) if self.analysis_modulation is not None else []

    def gains(self, level: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Gain and inverse gain (B, M, 1, 1) at continuous level positions ``level`` (B,) in [0, L-1]."""
        log_g = interpolate_levels(self.log_gain, level)
        log_ig = interpolate_levels(self.log_inverse_gain, level)
        return torch.exp(log_g)[..., None, None], torch.exp(log_ig)[..., None, None]

    def lambdas_at(self, level: torch.Tensor) -> torch.Tensor:
        """Training lambda (B,) at continuous level positions ``level`` (B,), interpolated geometrically."""
        return torch.exp(interpolate_levels(torch.log(self.lambdas.to(level.device)), level))

    def synthesis(self, level: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
        """The synthesis transform at continuous level positions ``level`` (B,): latent after inverse gain to
        pixels. Without a conditioned synthesis it is ``g_s`` at every level."""
        if self.synthesis_modulation is None:
            return self.g_s
        return conditioned_transform(self.g_s, self.MODULATED_SYNTHESIS_LAYERS, self.synthesis_modulation, level)

    @property
    def analysis_depends_on_level(self) -> bool:
        """Whether ``analysis`` differs between levels (a conditioned analysis), so it runs once per level."""
        return self.analysis_modulation is not None

    def analysis(self, level: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
        """The analysis transform at continuous level positions ``level`` (B,): pixels to the latent before gain.
        Without a conditioned analysis it is ``g_a`` at every level (the encoder then analyses once per image)."""
        if self.analysis_modulation is None:
            return self.g_a
        return conditioned_transform(self.g_a, self.MODULATED_ANALYSIS_LAYERS, self.analysis_modulation, level)

    def entropy_parameters(self, z_hat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        means, scales = self.h_s(z_hat).float().chunk(2, dim=1)
        return means, scales

    def code_latent(self, y: torch.Tensor, z_hat: torch.Tensor, rate_proxy: str,
                    noise: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The latent the synthesis sees and the likelihoods of its coded values, given ``y`` after gain.

        ``rate_proxy``: "noise" (likelihoods at y plus uniform noise: ``noise``, in [-0.5, 0.5) like ``y``, or
        drawn here), "ste" or "hard" (at the values the coder codes, round(y - mean) + mean; "ste" passes
        gradients straight through the rounding).
        Model 2 (``aecodec.nn.context_model``) overrides this with its context entropy model.
        """
        y_coded = y + uniform_noise(y, noise) if rate_proxy == "noise" else None
        return hyperprior_latent(self, y, z_hat, y_coded)

    def forward(self, x: torch.Tensor, level: torch.Tensor, rate_proxy: str = "noise") -> dict[str, torch.Tensor]:
        """Training pass: x in [0, 1], (B, 3, H, W); returns reconstruction and likelihoods (fp32).

        ``rate_proxy`` says where the likelihoods are taken: "noise" at y and z plus uniform noise (the
        smooth proxy of Balle et al., for training from scratch), "ste" at the values the coder really codes,
        round(y - mean) + mean and round(z), with straight-through gradients (for fine-tuning: at low rates
        the noise proxy counts several times the real bits, see docs/TRAINING.md).
        """
        if rate_proxy not in ("noise", "ste"):
            raise ValueError(f"rate_proxy must be 'noise' or 'ste', got {rate_proxy!r}")
        gain, inverse_gain = self.gains(level)
        y = self.analysis(level)(x).float() * gain
        z = self.h_a(y)
        z = z.float()
        z_hat = round_ste(z)
        z_coded = z_hat if rate_proxy == "ste" else z + torch.empty_like(z).uniform_(-0.5, 0.5)
        z_likelihood = self.hyper_prior.likelihood(z_coded)
        y_hat, y_likelihood = self.code_latent(y, z_hat, rate_proxy)
        x_hat = self.synthesis(level)(y_hat * inverse_gain)
        return {"x_hat": x_hat.float(), "y_likelihood": y_likelihood, "z_likelihood": z_likelihood}
