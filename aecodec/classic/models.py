"""The seven classic autoencoders: vanilla, undercomplete, variational, convolutional, denoising,
sparse and contractive.

All models take images of shape (N, C, H, W) with values in [0, 1] and return reconstructions of
the same shape (the decoders end with a sigmoid). Fully connected models flatten internally.
Every model exposes ``encode``, ``decode``, ``forward``, ``objective`` (the training loss, used by
the shared loop in :mod:`aecodec.classic.training`) and ``score`` (per-sample anomaly score).
The regularization options of :class:`AEConfig` (dropout, L1/L2 weight penalties, sparsity and
contractive penalties) apply to every type; each type only changes the defaults and what is specific
to it.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import torch
from torch import nn

from aecodec.classic import regularizers as R
from aecodec.classic.corruption import NOISE_KINDS, corrupt

TYPES = ("vanilla", "undercomplete", "vae", "conv", "denoising", "sparse", "contractive")
ACTIVATIONS = ("identity", "relu", "sigmoid")


@dataclass
class AEConfig:
    """Architecture and loss of a classic autoencoder (see :func:`make_config` for per-type defaults)."""

    type: str = "vanilla"
    input_shape: tuple[int, int, int] = (1, 8, 8)
    code_dim: int = 16
    hidden: tuple[int, ...] = (128,)  # fully connected layers between input and code
    channels: tuple[int, ...] = (16, 32)  # conv: channels of the stride-2 convolutions
    code_activation: str = "identity"
    recon_loss: str = "mse"
    dropout: float = 0.0
    l1_weight: float = 0.0
    l2_weight: float = 0.0
    sparsity: str = "l1"  # "l1" on the code, or "kl" to a target mean activation (sigmoid codes)
    sparsity_weight: float = 0.0
    sparsity_target: float = 0.05
    contractive_weight: float = 0.0
    noise: str = "gaussian"  # training corruption of the denoising AE
    noise_level: float = 0.0
    beta: float = 1.0  # VAE: weight of the KL term

    @property
    def input_dim(self) -> int:
        return math.prod(self.input_shape)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "AEConfig":
        d = dict(d)
        for k in ("input_shape", "hidden", "channels"):
            if k in d:
                d[k] = tuple(d[k])
        return cls(**d)

    def validate(self) -> None:
        """Raise ``ValueError`` on inconsistent settings."""
        if self.type not in TYPES:
            raise ValueError(f"unknown type {self.type!r}; choose from {TYPES}")
        if self.code_activation not in ACTIVATIONS:
            raise ValueError(f"code_activation must be one of {ACTIVATIONS}")
        if self.recon_loss not in R.RECON_LOSSES:
            raise ValueError(f"recon_loss must be one of {R.RECON_LOSSES}")
        if self.noise not in NOISE_KINDS:
            raise ValueError(f"noise must be one of {NOISE_KINDS}")
        if self.sparsity not in ("l1", "kl"):
            raise ValueError("sparsity must be 'l1' or 'kl'")
        if self.sparsity == "kl" and self.sparsity_weight > 0 and self.code_activation != "sigmoid":
            raise ValueError("the KL sparsity penalty needs code_activation='sigmoid' (codes in (0, 1))")
        if self.type == "undercomplete" and self.code_dim >= self.input_dim:
            raise ValueError(f"undercomplete: code_dim {self.code_dim} must be < input size {self.input_dim}")
        if self.type == "sparse" and self.sparsity_weight <= 0:
            raise ValueError("sparse: sparsity_weight must be > 0")
        if self.type == "contractive" and self.contractive_weight <= 0:
            raise ValueError("contractive: contractive_weight must be > 0")
        if self.type == "denoising" and self.noise_level <= 0:
            raise ValueError("denoising: noise_level must be > 0")
        if self.type == "conv":
            f = 2 ** len(self.channels)
            if self.input_shape[1] % f or self.input_shape[2] % f:
                raise ValueError(f"conv: height and width must be multiples of {f}")


_TYPE_DEFAULTS: dict[str, dict] = {
    "vanilla": {},
    "undercomplete": {"code_dim": 6},
    "vae": {"code_dim": 8, "recon_loss": "bce"},
    "conv": {},
    "denoising": {"code_dim": 32, "noise": "gaussian", "noise_level": 0.2},
    "sparse": {"code_dim": 64, "code_activation": "relu", "sparsity": "l1", "sparsity_weight": 0.05},
    "contractive": {"code_activation": "sigmoid", "contractive_weight": 0.1},
}


def make_config(type: str, **overrides) -> AEConfig:
    """Config for ``type`` with its defaults, updated by ``overrides``; validated."""
    if type not in TYPES:
        raise ValueError(f"unknown type {type!r}; choose from {TYPES}")
    values = {**_TYPE_DEFAULTS[type], **overrides, "type": type}
    if values.get("sparsity") == "kl" and "code_activation" not in overrides:
        values["code_activation"] = "sigmoid"
    cfg = AEConfig.from_dict(values)
    cfg.validate()
    return cfg


def _activation(name: str) -> nn.Module:
    return {"identity": nn.Identity, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}[name]()


def _mlp(sizes: list[int], dropout: float) -> list[nn.Module]:
    """Linear layers with ReLU (and dropout) between them, none after the last."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
    return layers


@dataclass
class LossTerms:
    """The batch loss to minimize and its parts (floats, for logging)."""

    total: torch.Tensor
    parts: dict[str, float] = field(default_factory=dict)


class Autoencoder(nn.Module):
    """Base class: fully connected encoder and decoder (the vanilla autoencoder)."""

    def __init__(self, cfg: AEConfig):
        super().__init__()
        cfg.validate()
        self.cfg = cfg
        self.encoder = self._build_encoder()
        self.decoder = self._build_decoder()

    def _build_encoder(self) -> nn.Module:
        c = self.cfg
        sizes = [c.input_dim, *c.hidden, self._encoder_outputs()]
        return nn.Sequential(nn.Flatten(), *_mlp(sizes, c.dropout))

    def _encoder_outputs(self) -> int:
        return self.cfg.code_dim

    def _build_decoder(self) -> nn.Module:
        c = self.cfg
        sizes = [c.code_dim, *reversed(c.hidden), c.input_dim]
        return nn.Sequential(*_mlp(sizes, c.dropout), nn.Sigmoid(), nn.Unflatten(1, c.input_shape))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Codes, shape (N, code_dim)."""
        return _apply_activation(self.encoder(x), self.cfg.code_activation)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Reconstructions in [0, 1], shape (N, *input_shape)."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def corrupt(self, x: torch.Tensor) -> torch.Tensor:
        """What the encoder sees in training (identity except for the denoising AE)."""
        return x

    def objective(self, x: torch.Tensor) -> LossTerms:
        """Training loss on a batch: mean reconstruction loss plus the configured penalties."""
        c = self.cfg
        inputs = self.corrupt(x)
        if c.contractive_weight > 0:
            inputs = inputs.detach().requires_grad_(True)
        code = self.encode(inputs)
        recon = R.reconstruction_loss(self.decode(code), x, c.recon_loss).mean()
        total, parts = recon, {"recon": recon.item()}
        for name, value in self._penalties(code, inputs).items():
            total = total + value
            parts[name] = value.item()
        return LossTerms(total, parts)

    def _penalties(self, code: torch.Tensor, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        c, out = self.cfg, {}
        if c.l1_weight or c.l2_weight:
            out["weights"] = R.weight_penalty(self, c.l1_weight, c.l2_weight)
        if c.sparsity_weight > 0:
            if c.sparsity == "kl":
                out["sparsity"] = c.sparsity_weight * R.kl_sparsity(code, c.sparsity_target)
            else:
                out["sparsity"] = c.sparsity_weight * R.l1_activity(code)
        if c.contractive_weight > 0:
            out["contractive"] = c.contractive_weight * R.jacobian_frobenius_sq(code, inputs).mean()
        return out

    @torch.no_grad()
    def score(self, x: torch.Tensor) -> torch.Tensor:
        """Per-sample anomaly score: reconstruction loss of the clean input, shape (N,)."""
        return R.reconstruction_loss(self(x), x, self.cfg.recon_loss)


def _apply_activation(z: torch.Tensor, name: str) -> torch.Tensor:
    if name == "relu":
        return torch.relu(z)
    if name == "sigmoid":
        return torch.sigmoid(z)
    return z


class VanillaAE(Autoencoder):
    """Fully connected encoder and decoder, trained to reconstruct its input."""


class UndercompleteAE(Autoencoder):
    """Fully connected autoencoder whose code is smaller than its input (``code_dim < C*H*W``)."""


class DenoisingAE(Autoencoder):
    """Fully connected autoencoder trained to reconstruct clean inputs from corrupted ones
    (Gaussian noise or masking, ``cfg.noise`` at ``cfg.noise_level``)."""

    def corrupt(self, x: torch.Tensor) -> torch.Tensor:
        return corrupt(x, self.cfg.noise, self.cfg.noise_level) if self.training else x


class SparseAE(Autoencoder):
    """Fully connected autoencoder with an L1 penalty on the code (ReLU code) or a KL penalty
    towards a small mean activation ``sparsity_target`` (sigmoid code); usually overcomplete."""


class ContractiveAE(Autoencoder):
    """Fully connected autoencoder penalized by ``contractive_weight * ||d code / d x||_F^2``,
    which makes the code insensitive to small input changes."""


class ConvAE(Autoencoder):
    """Convolutional encoder (stride-2 3x3 convolutions, then a linear layer to the code) and a
    mirrored decoder with transposed convolutions."""

    def _spatial(self) -> tuple[int, int]:
        f = 2 ** len(self.cfg.channels)
        return self.cfg.input_shape[1] // f, self.cfg.input_shape[2] // f

    def _build_encoder(self) -> nn.Module:
        c = self.cfg
        layers: list[nn.Module] = []
        prev = c.input_shape[0]
        for ch in c.channels:
            layers += [nn.Conv2d(prev, ch, 3, stride=2, padding=1), nn.ReLU()]
            prev = ch
        h, w = self._spatial()
        if c.dropout > 0:
            layers.append(nn.Dropout(c.dropout))
        return nn.Sequential(*layers, nn.Flatten(), nn.Linear(prev * h * w, c.code_dim))

    def _build_decoder(self) -> nn.Module:
        c = self.cfg
        h, w = self._spatial()
        chans = list(reversed(c.channels))
        layers: list[nn.Module] = [nn.Linear(c.code_dim, chans[0] * h * w), nn.ReLU()]
        if c.dropout > 0:
            layers.append(nn.Dropout(c.dropout))
        layers.append(nn.Unflatten(1, (chans[0], h, w)))
        outs = chans[1:] + [c.input_shape[0]]
        for i, (a, b) in enumerate(zip(chans, outs)):
            # kernel 4, stride 2, padding 1 exactly doubles the size
            layers.append(nn.ConvTranspose2d(a, b, 4, stride=2, padding=1))
            layers.append(nn.ReLU() if i < len(outs) - 1 else nn.Sigmoid())
        return nn.Sequential(*layers)


class VAE(Autoencoder):
    """Variational autoencoder: Gaussian encoder q(z|x) = N(mu, diag(exp(logvar))), standard
    normal prior, reparametrized sampling, loss = -ELBO = reconstruction NLL + beta * KL.

    With ``recon_loss='bce'`` the decoder is Bernoulli; with ``'mse'`` the summed squared error is a
    Gaussian NLL with variance 1/2 up to a constant (use ``beta`` to rebalance).
    ``encode`` returns the posterior mean.
    """

    def _encoder_outputs(self) -> int:
        return 2 * self.cfg.code_dim

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of q(z|x)."""
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar.clamp(-10.0, 10.0)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.posterior(x)[0]

    @staticmethod
    def reparametrize(mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """z = mu + sigma * eps, eps ~ N(0, I): a sample differentiable in mu and logvar."""
        eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
        return mu + (0.5 * logvar).exp() * eps

    def negative_elbo(self, x: torch.Tensor, n_samples: int = 1, generator: torch.Generator | None = None) -> torch.Tensor:
        """Per-sample -ELBO (Monte Carlo over ``n_samples`` draws of z), shape (N,)."""
        mu, logvar = self.posterior(x)
        recon = torch.stack(
            [
                R.reconstruction_loss(self.decode(self.reparametrize(mu, logvar, generator)), x, self.cfg.recon_loss)
                for _ in range(n_samples)
            ]
        ).mean(0)
        return recon + self.cfg.beta * R.gaussian_kl(mu, logvar)

    def objective(self, x: torch.Tensor) -> LossTerms:
        c = self.cfg
        mu, logvar = self.posterior(x)
        z = self.reparametrize(mu, logvar)
        recon = R.reconstruction_loss(self.decode(z), x, c.recon_loss).mean()
        kl = R.gaussian_kl(mu, logvar).mean()
        total = recon + c.beta * kl
        parts = {"recon": recon.item(), "kl": kl.item()}
        for name, value in self._penalties(mu, x).items():
            total = total + value
            parts[name] = value.item()
        return LossTerms(total, parts)

    @torch.no_grad()
    def score(self, x: torch.Tensor, n_samples: int = 16, seed: int = 0) -> torch.Tensor:
        """Per-sample negative ELBO (deterministic: a fixed seed for the Monte Carlo draws)."""
        g = torch.Generator(device=x.device).manual_seed(seed)
        return self.negative_elbo(x, n_samples, g)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Decode ``n`` draws from the prior: new data, shape (n, *input_shape)."""
        z = torch.randn((n, self.cfg.code_dim), generator=generator)
        return self.decode(z)


MODEL_CLASSES: dict[str, type[Autoencoder]] = {
    "vanilla": VanillaAE,
    "undercomplete": UndercompleteAE,
    "vae": VAE,
    "conv": ConvAE,
    "denoising": DenoisingAE,
    "sparse": SparseAE,
    "contractive": ContractiveAE,
}


def build_model(cfg: AEConfig, seed: int = 0) -> Autoencoder:
    """Instantiate the model for ``cfg.type`` with weights initialized from ``seed``."""
    cfg.validate()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return MODEL_CLASSES[cfg.type](cfg)
