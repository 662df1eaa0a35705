"""Entropy parameters: the one place where encoder and decoder derive the tables that code a latent.

The hyper-latent is coded with per-channel tables from the model's factorized prior. The latent's means
and scales come from the hyper-synthesis run in float64 on one thread, so that both sides derive
bit-identical parameters whatever torch's thread count or the transforms' precision; each scale is then
snapped onto the Gaussian coder's grid by the rule the file's format version names.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import numpy as np
import torch

from aecodec.container import SCALE_RULE
from aecodec.entropy import GaussianCoder, IndexedCoder
from aecodec.nn.model import HyperpriorModel
from aecodec.runtime import torch_threads
from aecodec.tiling import HYPER_STRIDE

HYPER_BAND = 16  # hyper-latent rows per band of the float64 hyper-synthesis
HYPER_BAND_MARGIN = 2  # hyper-latent rows of context above and below a band (the hyper-synthesis' reach)


def hyper_latent_coder(model: HyperpriorModel) -> IndexedCoder:
    """The coder of the hyper-latent: one table per channel, from the model's factorized prior."""
    pmf, offsets, lengths = model.hyper_prior.pmf_table()
    return IndexedCoder.from_pmfs(pmf.numpy(), lengths.numpy(), offsets.numpy())


def hyper_indexes(shape: tuple[int, ...]) -> np.ndarray:
    """The table index (its channel) of every element of a hyper-latent of ``shape``."""
    channels = np.arange(shape[1], dtype=np.int32).reshape(1, -1, 1, 1)
    return np.ascontiguousarray(np.broadcast_to(channels, shape))


class HyperSynthesis64:
    """The model's hyper-synthesis in float64, run band by band on one thread."""

    def __init__(self, model: HyperpriorModel, band: int = HYPER_BAND):
        self.network = copy.deepcopy(model.h_s).double()
        self.channels = model.config.m
        self.band = band

    def bands(self, z_hat: torch.Tensor) -> Iterator[tuple[int, int, torch.Tensor, torch.Tensor]]:
        """Yields (first row, last row + 1, means, scales) of the float64 output, band by band.

        Bands of hyper-latent rows keep the float64 activations small on large images; encoder and
        decoder cut the same bands.
        """
        rows = z_hat.shape[2]
        band, margin = self.band, HYPER_BAND_MARGIN
        with torch_threads(1), torch.inference_mode():
            for top in range(0, rows, band):
                bottom = min(top + band, rows)
                t0, t1 = max(top - margin, 0), min(bottom + margin, rows)
                part = self.network(z_hat[:, :, t0:t1].double())
                part = part[:, :, (top - t0) * HYPER_STRIDE : (bottom - t0) * HYPER_STRIDE]
                yield top * HYPER_STRIDE, bottom * HYPER_STRIDE, part[:, : self.channels], part[:, self.channels :]

    def latent_tables(self, z_hat: torch.Tensor, gaussian: GaussianCoder,
                      scale_rule: str = SCALE_RULE) -> tuple[np.ndarray, np.ndarray]:
        """Means (float32) and scales snapped onto ``gaussian``'s grid (float32), bit-identical on both sides.

        ``scale_rule`` picks the grid scale (see ``GaussianCoder.snap_scales``); the file format fixes it.
        """
        _, _, rows, cols = z_hat.shape
        means = np.empty((1, self.channels, rows * HYPER_STRIDE, cols * HYPER_STRIDE), dtype=np.float32)
        scales = np.empty_like(means)
        for top, bottom, band_means, band_scales in self.bands(z_hat):
            means[:, :, top:bottom] = band_means.numpy()
            # Choosing the table in float64 keeps a scale near a grid boundary from flipping sides
            # between machines; the snapped float32 value then names that table exactly.
            scales[:, :, top:bottom] = gaussian.snap_scales(band_scales.numpy(), scale_rule)
        return means, scales
