"""Rate-distortion evaluation of a model on a folder of images, rate estimated from likelihoods."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from aecodec.nn.model import HyperpriorModel
from aecodec.nn.priors import gaussian_likelihood
from aecodec.training.data import list_images, load_rgb


def pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    return F.pad(x, (0, pw, 0, ph), mode="replicate") if ph or pw else x


@torch.no_grad()
def estimate_rd(model: HyperpriorModel, image: np.ndarray, level: float) -> tuple[float, float]:
    """(estimated bpp, PSNR in dB) of one uint8 HxWx3 image at a level, with hard quantization."""
    h, w = image.shape[:2]
    x = torch.from_numpy(np.array(image)).permute(2, 0, 1)[None].float() / 255
    x = pad_to_multiple(x, model.STRIDE)
    gain, inverse_gain = model.gains(torch.tensor([float(level)]))
    y = model.g_a(x) * gain
    z_hat = torch.round(model.h_a(y))
    means, scales = model.entropy_parameters(z_hat)
    y_hat = torch.round(y - means) + means
    bits = -torch.log2(gaussian_likelihood(y_hat, means, scales)).sum()
    bits = bits - torch.log2(model.hyper_prior.likelihood(z_hat)).sum()
    x_hat = model.g_s(y_hat * inverse_gain)[..., :h, :w].clamp(0, 1)
    pixels = torch.round(x_hat * 255)
    mse = float(((pixels - torch.from_numpy(np.array(image)).permute(2, 0, 1)[None].float()) ** 2).mean())
    psnr = 10 * math.log10(255**2 / max(mse, 1e-10))
    return float(bits) / (h * w), psnr


def evaluate_folder(model: HyperpriorModel, folder: str | Path, levels: list[float]) -> list[dict]:
    """Average estimated bpp and PSNR per level over the images of ``folder``."""
    images = [load_rgb(p) for p in list_images(folder)]
    results = []
    for level in levels:
        points = [estimate_rd(model, im, level) for im in images]
        results.append({
            "level": level,
            "bpp": float(np.mean([p[0] for p in points])),
            "psnr": float(np.mean([p[1] for p in points])),
        })
    return results
