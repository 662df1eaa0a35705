"""The model-agnostic codec core: what a model's coding side must offer to plug into ``aecodec.Codec``.

A model's coder (``aecodec.engine.CodecEngine`` for model 1, ``aecodec.context_engine.ContextEngine`` for
model 2) turns an image into the two coded streams the container stores and back, in three stages:
analysis (pixels to latent), entropy coding with parameters both sides derive identically (latent to
streams), and synthesis (decoded latent to pixels). ``aecodec.loading`` picks the coder of a weights file
by the model kind its metadata names; the API only speaks this interface.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import torch

from aecodec.container import stored_quality

# Chooses the hyper-latent to code: (model, latent after gain, hyper-analysis output) -> rounded
# hyper-latent. The default rounds; encoder effort (``aecodec.refine``) searches for one with fewer bits.
HyperLatentChoice = Callable[[torch.nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass
class CodedLatents:
    """The two entropy-coded streams the container stores for one image (their shapes follow from its size)."""

    z_stream: bytes
    y_stream: bytes


def quality_to_level(quality: float, num_levels: int) -> float:
    """Maps quality in [1, 100] (as the header stores it) linearly onto the model's gain levels [0, L-1]."""
    return (stored_quality(quality) - 1.0) / 99.0 * (num_levels - 1)


@runtime_checkable
class LatentCoder(Protocol):
    """One model's coding side. ``quality`` is the header's (float32) value, ``scale_rule`` the one of the
    file's format version, ``threads`` the entropy coder's thread count."""

    model: torch.nn.Module
    model_id: int
    fingerprint: str  # the weights' full SHA-256 (hex)
    precision: str  # "bf16" or "fp32": the transforms' arithmetic (never the entropy parameters')

    @property
    def fingerprint_bytes(self) -> bytes:
        """The fingerprint's part that .aec headers carry."""

    def analyze(self, rgb: np.ndarray, quality: float) -> torch.Tensor:
        """The latent before gain of an HxWx3 uint8 image at ``quality`` (the same at every quality unless
        ``analysis_depends_on_quality``)."""

    @property
    def analysis_depends_on_quality(self) -> bool:
        """Whether the analysis is conditioned on the quality (so ``analyze`` runs again for another)."""

    def level(self, quality: float) -> torch.Tensor:
        """The model's continuous level position (1,) of ``quality``."""

    def gains(self, quality: float) -> tuple[torch.Tensor, torch.Tensor]:
        """The gain and inverse gain of ``quality``."""

    def encode_latent(self, y: torch.Tensor, quality: float, substreams: int, threads: int, scale_rule: str,
                      choose_hyper_latent: HyperLatentChoice | None = None,
                      image_size: tuple[int, int] | None = None, rd_rounding: bool = True) -> CodedLatents:
        """The coded streams of latent ``y`` (before gain); ``image_size`` (height, width) lets the latent that
        only sees padding be settled; ``rd_rounding``: round by rate and distortion (``aecodec.entropy.rounding``),
        else to the nearest integers."""

    def decode_latent(self, coded: CodedLatents, height: int, width: int, quality: float, threads: int,
                      scale_rule: str) -> np.ndarray:
        """The HxWx3 uint8 image of the coded streams."""

    def synthesize(self, latent: torch.Tensor, height: int, width: int, quality: float) -> torch.Tensor:
        """(1, 3, height, width) uint8 pixels of a latent after inverse gain at ``quality`` (refinement's cost
        function)."""
