"""Rate-distortion evaluation of a model on a folder of images, rate estimated from likelihoods."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from aecodec.metrics import psnr_of_mse
from aecodec.nn.model import HyperpriorModel
from aecodec.nn.rate import bits_per_sample
from aecodec.training.data import list_images, load_rgb


def pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    return F.pad(x, (0, pw, 0, ph), mode="replicate") if ph or pw else x


def _latents_at(model: HyperpriorModel, x: torch.Tensor, levels: list[float]):
    """(level position (1,), latent before gain) of padded pixels ``x`` at each level: the analysis runs once,
    unless it is conditioned on the level."""
    shared = None if model.analysis_depends_on_level else model.g_a(x)
    for level in levels:
        position = torch.tensor([float(level)])
        yield position, shared if shared is not None else model.analysis(position)(x)


@torch.no_grad()
def estimate_rd(model: HyperpriorModel, image: np.ndarray, levels: list[float]) -> list[tuple[float, float]]:
    """(estimated bpp, PSNR in dB) of one uint8 HxWx3 image at each level, with hard quantization."""
    h, w = image.shape[:2]
    original = torch.from_numpy(np.array(image)).permute(2, 0, 1)[None].float()
    points = []
    for position, features in _latents_at(model, pad_to_multiple(original / 255, model.STRIDE), levels):
        gain, inverse_gain = model.gains(position)
        y = features * gain
        z_hat = torch.round(model.h_a(y))
        y_hat, likelihood = model.code_latent(y, z_hat, "hard")
        bits = bits_per_sample(likelihood, model.hyper_prior.likelihood(z_hat))[0]
        x_hat = model.synthesis(position)(y_hat * inverse_gain)[..., :h, :w].clamp(0, 1)
        mse = float(((torch.round(x_hat * 255) - original) ** 2).mean())
        points.append((float(bits) / (h * w), psnr_of_mse(max(mse, 1e-10))))
    return points


@torch.no_grad()
def transform_ceiling(model: HyperpriorModel, image: np.ndarray, levels: list[float]) -> list[tuple[float, float]]:
    """(PSNR coded, PSNR with the latent not rounded) of one uint8 HxWx3 image at each level, in dB.

    The second is what the transforms alone reproduce at that gain: however good the entropy model, a
    level's coded PSNR stays below it, so where the two are close the transforms limit the curve.
    """
    h, w = image.shape[:2]
    original = torch.from_numpy(np.array(image)).permute(2, 0, 1)[None].float()
    points = []
    for position, features in _latents_at(model, pad_to_multiple(original / 255, model.STRIDE), levels):
        gain, inverse_gain = model.gains(position)
        synthesis = model.synthesis(position)
        y = features * gain
        y_hat, _ = model.code_latent(y, torch.round(model.h_a(y)), "hard")
        pair = []
        for latent in (y_hat, y):
            x_hat = synthesis(latent * inverse_gain)[..., :h, :w].clamp(0, 1)
            pair.append(psnr_of_mse(max(float(((torch.round(x_hat * 255) - original) ** 2).mean()), 1e-10)))
        points.append((pair[0], pair[1]))
    return points


def evaluate_folder(model: HyperpriorModel, folder: str | Path, levels: list[float]) -> list[dict]:
    """Average estimated bpp and PSNR per level over the images of ``folder``."""
    return evaluate_images(model, list_images(folder), levels)


def evaluate_images(model: HyperpriorModel, paths: list[Path], levels: list[float]) -> list[dict]:
    """Average estimated bpp and PSNR per level over the images at ``paths``."""
    per_image = np.array([estimate_rd(model, load_rgb(p), levels) for p in paths])  # (images, levels, 2)
    return [{"level": level, "bpp": float(per_image[:, i, 0].mean()), "psnr": float(per_image[:, i, 1].mean())}
            for i, level in enumerate(levels)]
