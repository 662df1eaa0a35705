"""Encoder-side latent refinement: spend encode time to lower the rate-distortion cost of one image.

The analysis transform gives a good latent, not the best one for this image. Refinement runs a few Adam
steps on the latent itself, minimizing the training objective (bits per pixel + lambda * 255^2 * MSE) of
this image with the model frozen, and keeps the latent whose cost, measured with hard rounding to the
nearest integers, is lowest: never worse than the analysis output. The coder then rounds it to the
nearest integers too: its rate-distortion rounding (``aecodec.entropy.rounding``, effort 0's) measured worse
on top of a refined latent (effort 2, model 1, 3 held-out photos: +0.26 % BD-rate against effort 0 with it,
-0.90 % with plain rounding; model 2, 4 held-out photos: -0.20 % with it, -0.93 % without). The decoder is
unchanged.

During the steps the rate is the training proxy (uniform noise in place of rounding) and the
reconstruction goes through straight-through rounding; pure straight-through rates measured worse (the
cost rose after 2-3 steps), and a learning rate of 0.005 or more diverged after ~10 steps on Kodak.

The API calls ``refine_for_quality`` on the analysis output before handing the latent to the model's
coder, and gives the coder ``hyper_latent_choice(steps)`` to pick the hyper-latent; the coder never
imports this module.

Large images are refined tile by tile (``refine_latent_in_tiles``), each tile with a margin of fixed latent
around it for context, so that memory stays bounded whatever the image size.

The hyper-latent is refined too (``refine_hyper_latent``): with the latent fixed, Adam steps on the
hyper-latent lower the bits of both streams (the hyper-analysis is amortized, so its output is not the
best side information for this image). Only the hyper-synthesis runs, not the synthesis: measured on six
training photos, 30 steps cut the rate by 1.0% at qualities 10, 50 and 90 with the same MSE.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from contextvars import ContextVar

import numpy as np
import torch

from .coding import HyperLatentChoice, LatentCoder, quality_to_level
from .nn.model import HyperpriorModel
from .nn.objective import rate_distortion_loss
from .nn.rate import bits, round_ste
from .runtime import call_timings
from .tiling import HYPER_STRIDE, LATENT_STRIDE, Window, tiles

# effort -> Adam steps. Measured on three Kodak images at qualities 5/40/90 (2026-11-26): 16 steps cut
# the rate 0.7-5% at equal or better PSNR, 32 steps a little more.
STEPS_OF_EFFORT = (0, 8, 16, 32)
HYPER_STEPS_OF_EFFORT = (0, 24, 32, 64)
MAX_EFFORT = len(STEPS_OF_EFFORT) - 1
LEARNING_RATE = 0.003
EVALUATE_EVERY = 4
# Back-propagating through the synthesis holds its activations: ~2 GB at this size. Larger images are
# refined in tiles of TILE_LATENT latent elements (x16 pixels) plus TILE_MARGIN on each side (~1 GB each).
MAX_REFINE_PIXELS = 2_100_000
TILE_LATENT = 56
TILE_MARGIN = 4  # a multiple of 4, so that tiles line up with the hyper-latent
# Hyper-latent refinement: Adam's step in hyper-latent units (0.05 for 30 steps cut the rate by 1%; steps of
# 0.1-0.3 with a bf16 hyper-synthesis gained nothing; the hyper-synthesis runs in fp32 here), and
# tiles of hyper-latent elements with a margin of fixed context (the hyper-synthesis sees ~2 elements away).
HYPER_LEARNING_RATE = 0.05
HYPER_TILE = 32
HYPER_MARGIN = 2


# Who hears about each optimizer step (the command line's per-image progress); set with reporting_steps.
_step_listener: ContextVar[Callable[[], None] | None] = ContextVar("aecodec_refine_steps", default=None)


@contextlib.contextmanager
def reporting_steps(listener: Callable[[], None]):
    """Calls ``listener()`` after every refinement step (latent and hyper-latent) run inside the block."""
    token = _step_listener.set(listener)
    try:
        yield
    finally:
        _step_listener.reset(token)


def _step_done() -> None:
    listener = _step_listener.get()
    if listener is not None:
        listener()


# ----- encoder effort: what the API calls ------------------------------------------------------

def lambda_of(model: HyperpriorModel, quality: float) -> torch.Tensor:
    """The training lambda (1,) of ``quality``."""
    return model.lambdas_at(torch.tensor([quality_to_level(quality, model.num_levels)]))


def refine_for_quality(coder: LatentCoder, rgb: np.ndarray, y: torch.Tensor, quality: float,
                       steps: int) -> torch.Tensor:
    """``y`` (the coder's analysis of ``rgb``) refined for a lower rate-distortion cost at ``quality``.

    Images above ``MAX_REFINE_PIXELS`` are refined in tiles of ``TILE_LATENT``; the result is kept only if
    the whole image's cost (``rate_distortion_cost``) went down.
    """
    if steps <= 0:
        return y
    started = time.perf_counter()
    model = coder.model
    gain, inverse_gain = coder.gains(quality)
    image = torch.from_numpy(np.array(rgb, dtype=np.float32)).permute(2, 0, 1)[None].div_(255)
    lam = lambda_of(model, quality)
    bf16 = coder.precision == "bf16"
    if rgb.shape[0] * rgb.shape[1] <= MAX_REFINE_PIXELS:
        refined = refine_latent(model, image, y, gain, inverse_gain, lam, steps, bf16, level=coder.level(quality))
    else:
        refined = refine_latent_in_tiles(model, image, y, gain, inverse_gain, lam, steps, bf16, tile=TILE_LATENT,
                                         level=coder.level(quality))
        if rate_distortion_cost(coder, image, refined, quality) >= rate_distortion_cost(coder, image, y, quality):
            refined = y
    call_timings().transform_s += time.perf_counter() - started
    return refined


def rate_distortion_cost(coder: LatentCoder, image: torch.Tensor, y: torch.Tensor, quality: float) -> float:
    """Refinement's cost function: the training objective of coding latent ``y`` (before gain) at ``quality``
    for ``image`` ((1, 3, H, W) in [0, 1]): estimated bits per pixel (continuous scales) + lambda * 255^2 *
    MSE of the 8-bit reconstruction; the synthesis runs tiled, so any size fits."""
    model = coder.model
    gain, inverse_gain = coder.gains(quality)
    with torch.inference_mode():
        y = y * gain
        z_hat = torch.round(model.h_a(y))
        y_hat, y_likelihood = model.code_latent(y, z_hat, "hard")
        x_hat = coder.synthesize(y_hat * inverse_gain, *image.shape[-2:], quality)
        out = {"x_hat": x_hat.float() / 255, "y_likelihood": y_likelihood,
               "z_likelihood": model.hyper_prior.likelihood(z_hat)}
        return float(rate_distortion_loss(out, image, lambda_of(model, quality))["loss"])


def hyper_latent_choice(steps: int) -> HyperLatentChoice | None:
    """The coder's hyper-latent choice for ``steps`` of hyper-latent refinement (None: plain rounding).

    It refines the hyper-analysis output (``refine_hyper_latent``) and keeps the result only if the whole
    image's estimated bits went down.
    """
    if steps <= 0:
        return None

    def choose(model: HyperpriorModel, y: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        z_hat = torch.round(z)
        refined = refine_hyper_latent(model, y, steps, z_start=z.clone())
        with torch.inference_mode():
            if coded_bits(model, y, refined) < coded_bits(model, y, z_hat):
                return refined
        return z_hat

    return choose


# ----- the optimizers ----------------------------------------------------------------------------


def refine_latent(model: HyperpriorModel, image: torch.Tensor, latent: torch.Tensor, gain: torch.Tensor,
                  inverse_gain: torch.Tensor, lam: torch.Tensor, steps: int, bf16: bool, seed: int = 0,
                  window: Window | None = None, *, level: torch.Tensor) -> torch.Tensor:
    """A latent (before gain, like ``latent``) with a lower rate-distortion cost for ``image``.

    ``image``: (1, 3, H, W) float in [0, 1], unpadded; ``latent``: (1, M, h, w) of the padded image;
    ``lam``: (1,) the training lambda of the quality (``model.lambdas_at``); ``level``: (1,) its level. With
    ``window``, only the latent inside it changes and only its bits and pixels are scored; the rest is context.
    """
    height, width = image.shape[-2:]
    generator = torch.Generator().manual_seed(seed)  # the same image and settings give the same file
    frozen = [p for p in model.parameters() if p.requires_grad]
    for p in frozen:
        p.requires_grad_(False)
    synthesis = model.synthesis(level)
    if window is None:
        window = Window(0, 0, latent.shape[-2], latent.shape[-1])
        inside = None
    else:
        inside = torch.zeros((1, 1) + latent.shape[-2:], dtype=torch.bool)
        inside[(..., *window.scaled(1))] = True
    y_rows, y_cols = window.scaled(1)
    z_rows, z_cols = window.shrunk(HYPER_STRIDE)
    x_rows, x_cols = window.scaled(LATENT_STRIDE, height, width)
    target = image[:, :, x_rows, x_cols]

    def noise_like(t):
        return torch.rand(t.shape, generator=generator, dtype=t.dtype) - 0.5

    def cost(y: torch.Tensor, proxy: bool) -> torch.Tensor:
        """The objective with rounded values (what the coder sees), or with the noise proxy for the rates."""
        z = model.h_a(y)
        z_hat = round_ste(z)
        z_coded = z + noise_like(z) if proxy else z_hat
        # The model's own coding of the latent (model 2: its context model and latent residual prediction).
        y_hat, y_likelihood = (model.code_latent(y, z_hat, "noise", noise=noise_like(y)) if proxy
                               else model.code_latent(y, z_hat, "ste"))
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            x_hat = synthesis(y_hat * inverse_gain).float()[:, :, :height, :width]
        z_likelihood = model.hyper_prior.likelihood(z_coded)
        out = {
            "x_hat": x_hat[:, :, x_rows, x_cols],
            "z_likelihood": z_likelihood[:, :, z_rows, z_cols],
            "y_likelihood": y_likelihood[:, :, y_rows, y_cols],
        }
        return rate_distortion_loss(out, target, lam)["loss"]

    def exact_cost(y: torch.Tensor) -> float:
        with torch.no_grad():
            return cost(y, proxy=False).item()

    try:
        start = (latent * gain).detach()
        free = start.clone().requires_grad_(True)

        def current() -> torch.Tensor:
            return free if inside is None else torch.where(inside, free, start)

        optimizer = torch.optim.Adam([free], lr=LEARNING_RATE)
        best_cost, best = exact_cost(start), start
        for step in range(1, steps + 1):
            loss = cost(current(), proxy=True)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            _step_done()
            if step % EVALUATE_EVERY == 0 or step == steps:
                with torch.no_grad():
                    y = current().detach().clone()
                candidate = exact_cost(y)
                if candidate < best_cost:
                    best_cost, best = candidate, y
        if best is start:
            return latent
        return best / gain if inside is None else torch.where(inside, best / gain, latent)
    finally:
        for p in frozen:
            p.requires_grad_(True)


def refine_latent_in_tiles(model: HyperpriorModel, image: torch.Tensor, latent: torch.Tensor, gain: torch.Tensor,
                           inverse_gain: torch.Tensor, lam: torch.Tensor, steps: int, bf16: bool,
                           tile: int = TILE_LATENT, margin: int = TILE_MARGIN, seed: int = 0, *,
                           level: torch.Tensor) -> torch.Tensor:
    """``refine_latent`` tile by tile: memory bounded by the tile, whatever the image size.

    Tiles are refined in raster order, each seeing its neighbours' refined latent as context. Each tile
    is never worse by its own (local) cost; callers that need the global guarantee compare the result.
    """
    if tile % HYPER_STRIDE or margin % HYPER_STRIDE:
        raise ValueError(f"tile and margin must be multiples of {HYPER_STRIDE}, got {tile} and {margin}")
    height, width = image.shape[-2:]
    y = latent.detach().clone()
    for index, (inner, region) in enumerate(tiles(*latent.shape[-2:], tile, margin)):
        if inner.top * LATENT_STRIDE >= height or inner.left * LATENT_STRIDE >= width:
            continue  # only padding under this tile
        rows, cols = region.scaled(1)
        pixel_rows, pixel_cols = region.scaled(LATENT_STRIDE)
        y[:, :, rows, cols] = refine_latent(model, image[:, :, pixel_rows, pixel_cols], y[:, :, rows, cols], gain,
                                            inverse_gain, lam, steps, bf16, seed=seed + index,
                                            window=inner.relative_to(region), level=level)
    return y


def coded_bits(model: HyperpriorModel, y: torch.Tensor, z_hat: torch.Tensor, window: Window | None = None) -> torch.Tensor:
    """Estimated bits of the rounded latent ``y`` (after gain) and of ``z_hat`` under the model's priors.

    With ``window`` (on the hyper-latent grid), only the bits inside it count.
    """
    _, y_likelihood = model.code_latent(y, z_hat, "hard")
    y_bits = bits(y_likelihood)
    z_bits = bits(model.hyper_prior.likelihood(z_hat))
    if window is not None:
        y_bits = y_bits[(..., *window.scaled(HYPER_STRIDE))]
        z_bits = z_bits[(..., *window.scaled(1))]
    return y_bits.sum() + z_bits.sum()


def refine_hyper_latent(model: HyperpriorModel, y: torch.Tensor, steps: int, seed: int = 0,
                        tile: int = HYPER_TILE, margin: int = HYPER_MARGIN,
                        z_start: torch.Tensor | None = None) -> torch.Tensor:
    """A rounded hyper-latent for latent ``y`` (after gain, (1, M, h, w)) with fewer estimated bits.

    Starts from the hyper-analysis output (``z_start``, float32, when the caller has computed it); works
    tile by tile on the hyper-latent grid, in raster order, each tile keeping its best rounded value seen
    (never worse than the start by its own count).
    """
    generator = torch.Generator().manual_seed(seed)
    frozen = [p for p in model.parameters() if p.requires_grad]
    for p in frozen:
        p.requires_grad_(False)
    try:
        if z_start is None:
            with torch.no_grad():
                z_start = model.h_a(y).float()
        z_hat = torch.round(z_start)
        if steps <= 0:
            return z_hat
        with torch.enable_grad():
            return _refine_hyper_tiles(model, y, z_start, z_hat, steps, generator, tile, margin)
    finally:
        for p in frozen:
            p.requires_grad_(True)


def _refine_hyper_tiles(model: HyperpriorModel, y: torch.Tensor, z_start: torch.Tensor, z_hat: torch.Tensor,
                        steps: int, generator: torch.Generator, tile: int, margin: int) -> torch.Tensor:
    for inner, region in tiles(*z_hat.shape[-2:], tile, margin):
        rows, cols = region.scaled(1)
        y_rows, y_cols = region.scaled(HYPER_STRIDE)
        z_hat[:, :, rows, cols] = _refine_hyper_window(model, y[:, :, y_rows, y_cols], z_start[:, :, rows, cols],
                                                       z_hat[:, :, rows, cols].clone(), inner.relative_to(region),
                                                       steps, generator)
    return z_hat


def _refine_hyper_window(model: HyperpriorModel, y: torch.Tensor, z_start: torch.Tensor, context: torch.Tensor,
                         window: Window, steps: int, generator: torch.Generator) -> torch.Tensor:
    """``context`` (rounded hyper-latent of a region) with its ``window`` refined for fewer bits there."""
    inside = torch.zeros((1, 1) + context.shape[-2:], dtype=torch.bool)
    inside[(..., *window.scaled(1))] = True
    y_window, z_window = window.scaled(HYPER_STRIDE), window.scaled(1)
    free = z_start.clone().requires_grad_(True)
    optimizer = torch.optim.Adam([free], lr=HYPER_LEARNING_RATE)
    with torch.no_grad():
        best_bits, best = coded_bits(model, y, context, window).item(), context
    for step in range(1, steps + 1):
        z = torch.where(inside, free, context)
        # The training proxy: uniform noise in place of rounding, for both rates.
        y_noise = torch.rand(y.shape, generator=generator) - 0.5
        z_noisy = z + torch.rand(z.shape, generator=generator) - 0.5
        _, y_likelihood = model.code_latent(y, round_ste(z), "noise", noise=y_noise)
        window_bits = (bits(y_likelihood)[(..., *y_window)].sum()
                       + bits(model.hyper_prior.likelihood(z_noisy))[(..., *z_window)].sum())
        optimizer.zero_grad(set_to_none=True)
        window_bits.backward()
        optimizer.step()
        _step_done()
        if step % EVALUATE_EVERY == 0 or step == steps:
            with torch.no_grad():
                candidate = torch.where(inside, torch.round(free), context)
                candidate_bits = coded_bits(model, y, candidate, window).item()
            if candidate_bits < best_bits:
                best_bits, best = candidate_bits, candidate
    return best
