"""Model-side coding: an RGB uint8 array to coded latent streams and back.

The engine owns a loaded model, its entropy coders and the tiling that bounds memory on large images.
Entropy parameters (means and scale tables) come from the hyper-synthesis run in float64 on one thread,
so that encoder and decoder derive the very same tables whatever torch's thread count.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from aecodec.container import FORMAT_VERSION, SCALE_RULE_OF_VERSION
from aecodec.entropy import IndexedCoder, default_gaussian_coder
from aecodec.hardware import cpu_has_amx
from aecodec.nn.model import HyperpriorModel
from aecodec.nn.store import load_weights
from aecodec.nn.objective import rate_distortion_loss
from aecodec.nn.priors import gaussian_likelihood
from aecodec.refine import (MAX_REFINE_PIXELS, TILE_LATENT, coded_bits, refine_hyper_latent, refine_latent,
                            refine_latent_in_tiles)
from aecodec.tiling import HYPER_STRIDE, LATENT_STRIDE, tiles

# How predicted scales pick their Gaussian table (GaussianCoder.snap_scales) when a caller does not say:
# the rule of the format version the container writes.
DEFAULT_SCALE_RULE = SCALE_RULE_OF_VERSION[FORMAT_VERSION]


@contextlib.contextmanager
def torch_threads(count: int | None):
    """Runs the block with ``count`` torch threads (None: leave as is)."""
    if count is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@dataclass
class CodedLatents:
    """The two entropy-coded streams the container stores for one image (their shapes follow from its size)."""

    z_stream: bytes
    y_stream: bytes


@dataclass
class Timings:
    transform_s: float = 0.0
    entropy_s: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {"transform_s": self.transform_s, "entropy_s": self.entropy_s}


# The Timings of the call in progress, per thread: an engine is shared by every Codec of its model.
_CALL_TIMINGS: contextvars.ContextVar[Timings | None] = contextvars.ContextVar("aecodec_call_timings", default=None)


@contextlib.contextmanager
def timed_call():
    """Yields a new Timings that collects the engine time of the block's engine calls in this thread only."""
    timings = Timings()
    token = _CALL_TIMINGS.set(timings)
    try:
        yield timings
    finally:
        _CALL_TIMINGS.reset(token)


def stored_quality(quality: float) -> float:
    """``quality`` rounded to float32, as the .aec header stores it: encoder and decoder derive the gains
    from this value."""
    return float(np.float32(quality))


def quality_to_level(quality: float, num_levels: int) -> float:
    """Maps quality in [1, 100] linearly onto the model's gain levels [0, L-1]."""
    return (stored_quality(quality) - 1.0) / 99.0 * (num_levels - 1)


@dataclass
class CodecEngine:
    model: HyperpriorModel
    model_id: int
    fingerprint: str
    metadata: dict = field(default_factory=dict)
    tile_latent: int = 48  # latent tile side (x16 pixels) above which images are processed in tiles
    tile_margin: int = 4  # latent elements of context around each tile
    # "bf16" runs the analysis/synthesis transforms under bf16 autocast (fast with AMX); "auto" picks it
    # where the CPU has AMX. Entropy parameters are always float64, so streams stay decodable anywhere.
    precision: str = "auto"
    hyper_band: int = 16  # hyper-latent rows per band of the float64 hyper-synthesis
    refine_pixels: int = MAX_REFINE_PIXELS  # images above it are refined in tiles of refine_tile latent rows/cols
    refine_tile: int = TILE_LATENT

    def __post_init__(self):
        self.model.eval()
        if self.precision == "auto":
            self.precision = "bf16" if cpu_has_amx() else "fp32"
        if self.precision not in ("bf16", "fp32"):
            raise ValueError(f"precision must be 'auto', 'bf16' or 'fp32', got {self.precision!r}")
        self.model.g_a.to(memory_format=torch.channels_last)
        self.model.g_s.to(memory_format=torch.channels_last)
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.hyper_synthesis64 = copy.deepcopy(self.model.h_s).double()
        self.gaussian = default_gaussian_coder()
        pmf, offsets, lengths = self.model.hyper_prior.pmf_table()
        self.hyper_coder = IndexedCoder.from_pmfs(pmf.numpy(), lengths.numpy(), offsets.numpy())

    @classmethod
    def from_file(cls, path: str | Path, model_id: int, precision: str = "auto") -> "CodecEngine":
        model, meta = load_weights(path)
        return cls(model=model, model_id=model_id, fingerprint=meta["fingerprint"], metadata=meta,
                   precision=precision)

    @property
    def timings(self) -> Timings:
        """Where the engine adds its time: the current ``timed_call``'s Timings (outside one, a scratch one)."""
        current = _CALL_TIMINGS.get()
        return Timings() if current is None else current

    @property
    def fingerprint_bytes(self) -> bytes:
        return bytes.fromhex(self.fingerprint)[:8]

    # ----- shared by both sides -------------------------------------------------------------

    def _gains(self, quality: float) -> tuple[torch.Tensor, torch.Tensor]:
        level = torch.tensor([quality_to_level(quality, self.model.num_levels)], dtype=torch.float32)
        return self.model.gains(level)

    def hyper_parameter_bands(self, z_hat: torch.Tensor):
        """Yields (first row, last row + 1, means, scales) of the hyper-synthesis' float64 output, band by band.

        The float64 hyper-synthesis runs on one thread so that encoder and decoder derive bit-identical
        parameters whatever torch's thread count, in bands of hyper-latent rows so that its float64
        activations stay small on large images (encoder and decoder cut the same bands).
        """
        rows = z_hat.shape[2]
        m = self.model.config.m
        band, margin = self.hyper_band, 2
        with torch_threads(1), torch.inference_mode():
            for top in range(0, rows, band):
                bottom = min(top + band, rows)
                t0, t1 = max(top - margin, 0), min(bottom + margin, rows)
                part = self.hyper_synthesis64(z_hat[:, :, t0:t1].double())
                part = part[:, :, (top - t0) * HYPER_STRIDE : (bottom - t0) * HYPER_STRIDE]
                yield top * HYPER_STRIDE, bottom * HYPER_STRIDE, part[:, :m], part[:, m:]

    def _entropy_parameters(self, z_hat: torch.Tensor,
                            scale_rule: str = DEFAULT_SCALE_RULE) -> tuple[np.ndarray, np.ndarray]:
        """Means (float32) and scales snapped onto the coder's grid (float32), bit-identical on both sides.

        ``scale_rule`` picks the grid scale (see ``GaussianCoder.snap_scales``); the file format fixes it.
        """
        _, _, rows, cols = z_hat.shape
        means = np.empty((1, self.model.config.m, rows * HYPER_STRIDE, cols * HYPER_STRIDE), dtype=np.float32)
        scales = np.empty_like(means)
        for top, bottom, band_means, band_scales in self.hyper_parameter_bands(z_hat):
            means[:, :, top:bottom] = band_means.numpy()
            # Choosing the table in float64 keeps a scale near a grid boundary from flipping sides
            # between machines; the snapped float32 value then names that table exactly.
            scales[:, :, top:bottom] = self.gaussian.snap_scales(band_scales.numpy(), scale_rule)
        return means, scales

    def _hyper_indexes(self, shape: tuple[int, ...]) -> np.ndarray:
        channels = np.arange(shape[1], dtype=np.int32).reshape(1, -1, 1, 1)
        return np.ascontiguousarray(np.broadcast_to(channels, shape))

    @staticmethod
    def latent_shape(height: int, width: int, channels: int) -> tuple[int, int, int, int]:
        stride = HyperpriorModel.STRIDE
        hp, wp = -(-height // stride) * stride, -(-width // stride) * stride
        return (1, channels, hp // LATENT_STRIDE, wp // LATENT_STRIDE)

    # ----- encoder -------------------------------------------------------------------------

    def analyze(self, rgb: np.ndarray) -> torch.Tensor:
        """Latent before gain, (1, M, H/16, W/16), of an HxWx3 uint8 image (padded internally)."""
        started = time.perf_counter()
        h, w = rgb.shape[:2]
        stride = HyperpriorModel.STRIDE
        padded = np.pad(rgb, ((0, (-h) % stride), (0, (-w) % stride), (0, 0)), mode="edge")
        x = torch.from_numpy(padded).permute(2, 0, 1)[None]  # uint8; tiles convert to float
        with torch.inference_mode():
            y = self._tiled(x, self.model.g_a, scale=1 / LATENT_STRIDE, out_channels=self.model.config.m)
        self.timings.transform_s += time.perf_counter() - started
        return y

    def refine(self, rgb: np.ndarray, y: torch.Tensor, quality: float, steps: int) -> torch.Tensor:
        """``y`` (from ``analyze``) refined for a lower rate-distortion cost at ``quality`` (see aecodec.refine).

        Images above ``refine_pixels`` are refined in tiles; the result is kept only if the whole
        image's cost went down.
        """
        if steps <= 0:
            return y
        started = time.perf_counter()
        gain, inverse_gain = self._gains(quality)
        image = torch.from_numpy(np.array(rgb, dtype=np.float32)).permute(2, 0, 1)[None].div_(255)
        lam = self._lambda(quality)
        bf16 = self.precision == "bf16"
        if rgb.shape[0] * rgb.shape[1] <= self.refine_pixels:
            refined = refine_latent(self.model, image, y, gain, inverse_gain, lam, steps, bf16)
        else:
            refined = refine_latent_in_tiles(self.model, image, y, gain, inverse_gain, lam, steps, bf16,
                                             tile=self.refine_tile)
            if self.rate_distortion_cost(image, refined, quality) >= self.rate_distortion_cost(image, y, quality):
                refined = y
        self.timings.transform_s += time.perf_counter() - started
        return refined

    def _lambda(self, quality: float) -> torch.Tensor:
        """The training lambda (1,) of ``quality``."""
        return self.model.lambdas_at(torch.tensor([quality_to_level(quality, self.model.num_levels)]))

    def rate_distortion_cost(self, image: torch.Tensor, y: torch.Tensor, quality: float) -> float:
        """The training objective of coding latent ``y`` (before gain) at ``quality`` for ``image`` ((1, 3, H, W)
        in [0, 1]): estimated bits per pixel (continuous scales) + lambda * 255^2 * MSE of the 8-bit
        reconstruction; the synthesis runs tiled, so any size fits."""
        gain, inverse_gain = self._gains(quality)
        with torch.inference_mode():
            y = y * gain
            z_hat = torch.round(self.model.h_a(y))
            means, scales = self.model.entropy_parameters(z_hat)
            y_hat = torch.round(y - means) + means
            x_hat = self._tiled(y_hat * inverse_gain, self.model.g_s, scale=LATENT_STRIDE, out_channels=3,
                                crop=tuple(image.shape[-2:]))
            out = {"x_hat": x_hat.float() / 255, "y_likelihood": gaussian_likelihood(y_hat, means, scales),
                   "z_likelihood": self.model.hyper_prior.likelihood(z_hat)}
            return float(rate_distortion_loss(out, image, self._lambda(quality))["loss"])

    def hyper_latent(self, y: torch.Tensor, steps: int = 0) -> torch.Tensor:
        """The rounded hyper-latent of ``y`` (after gain); ``steps`` > 0 refines it for fewer bits
        (see ``aecodec.refine.refine_hyper_latent``), kept only if the whole image's estimate went down."""
        with torch.inference_mode():
            z = self.model.h_a(y).float()
        z_hat = torch.round(z)
        if steps <= 0:
            return z_hat
        refined = refine_hyper_latent(self.model, y, steps, z_start=z.clone())
        with torch.inference_mode():
            if coded_bits(self.model, y, refined) < coded_bits(self.model, y, z_hat):
                return refined
        return z_hat

    def encode_latent(self, y: torch.Tensor, quality: float, substreams: int, threads: int,
                      scale_rule: str = DEFAULT_SCALE_RULE, hyper_steps: int = 0,
                      image_size: tuple[int, int] | None = None) -> CodedLatents:
        """The two streams of latent ``y`` (before gain) at ``quality``; ``hyper_steps``: see ``hyper_latent``.

        ``image_size`` (height, width) of the image ``y`` was analyzed from lets the latent elements that
        lie wholly in the padding be coded at their predicted means (see ``_settle_padding``).
        """
        started = time.perf_counter()
        gain, _ = self._gains(quality)
        with torch.no_grad():  # not inference_mode: hyper-latent refinement differentiates through y's bits
            y = y * gain
            padding = self._padding_slices(y.shape, image_size)
            if padding:
                self._settle_padding(y, padding)
        z_hat = self.hyper_latent(y, hyper_steps)
        means, scales = self._entropy_parameters(z_hat, scale_rule)
        if padding:  # the final means, so that those residuals are exactly zero
            self._fill_padding(y, torch.from_numpy(means), padding)
        transform_end = time.perf_counter()
        symbols = z_hat.to(torch.int32).numpy()
        z_stream = self.hyper_coder.compress(symbols, self._hyper_indexes(symbols.shape))
        y_stream = self.gaussian.compress(
            np.ascontiguousarray(y.numpy(), dtype=np.float32), means, scales, substreams=substreams, threads=threads
        )
        self.timings.transform_s += transform_end - started
        self.timings.entropy_s += time.perf_counter() - transform_end
        return CodedLatents(z_stream=z_stream, y_stream=y_stream)

    @staticmethod
    def _padding_slices(shape: tuple[int, ...], image_size: tuple[int, int] | None) -> list[tuple[slice, ...]]:
        """Index tuples of the latent rows and columns that only see padding (none if size unknown)."""
        if image_size is None:
            return []
        first_row, first_col = (-(-side // LATENT_STRIDE) for side in image_size)
        regions = []
        if first_row < shape[2]:
            regions.append((slice(None), slice(None), slice(first_row, None), slice(None)))
        if first_col < shape[3]:
            regions.append((slice(None), slice(None), slice(None), slice(first_col, None)))
        return regions

    def _settle_padding(self, y: torch.Tensor, padding: list[tuple[slice, ...]]) -> None:
        """Sets ``y``'s (after gain) padding-only elements, in place, to the means its own hyper-latent predicts.

        The image is padded to a multiple of 64 by edge replication; latent rows and columns that lie
        wholly in that padding only shape pixels the decoder crops away (and, through the synthesis'
        reach, a few border pixels: PSNR moved by at most 0.01 dB on training photos). Coding them at
        their means makes their residuals zero, and the hyper-latent recomputed from the settled latent
        predicts small scales there: on 7 training photos whose sides are not multiples of 64, 2.3 %
        fewer bytes (up to 7 % on 481x321 photos). ``encode_latent`` then fills in the final means.
        """
        with torch.inference_mode():
            means, _ = self.model.entropy_parameters(torch.round(self.model.h_a(y)).float())
        self._fill_padding(y, means, padding)

    @staticmethod
    def _fill_padding(y: torch.Tensor, means: torch.Tensor, padding: list[tuple[slice, ...]]) -> None:
        for region in padding:
            y[region] = means[region]

    # ----- decoder -------------------------------------------------------------------------

    def decode_latent(self, coded: CodedLatents, height: int, width: int, quality: float, threads: int,
                      scale_rule: str = DEFAULT_SCALE_RULE) -> np.ndarray:
        """HxWx3 uint8 image from the two streams (``scale_rule``: the one the encoder used)."""
        m, n = self.model.config.m, self.model.config.n
        _, _, yh, yw = self.latent_shape(height, width, m)
        z_shape = (1, n, yh // HYPER_STRIDE, yw // HYPER_STRIDE)
        # Cheap checks first: a broken latent stream header fails before the networks run and the
        # latent's arrays are allocated.
        self.gaussian.check_stream(coded.y_stream, m * yh * yw)
        started = time.perf_counter()
        z_symbols = self.hyper_coder.decompress(coded.z_stream, self._hyper_indexes(z_shape))
        entropy_s = time.perf_counter() - started
        started = time.perf_counter()
        means, scales = self._entropy_parameters(torch.from_numpy(z_symbols.astype(np.float32)), scale_rule)
        transform_s = time.perf_counter() - started
        started = time.perf_counter()
        y_hat, _ = self.gaussian.decompress(coded.y_stream, means, scales, threads=threads)
        del scales
        entropy_s += time.perf_counter() - started
        started = time.perf_counter()
        _, inverse_gain = self._gains(quality)
        with torch.inference_mode():
            y = torch.from_numpy(y_hat) * inverse_gain
            x_hat = self._tiled(y, self.model.g_s, scale=LATENT_STRIDE, out_channels=3, crop=(height, width))
        image = np.ascontiguousarray(x_hat[0].permute(1, 2, 0).numpy())
        self.timings.transform_s += transform_s + time.perf_counter() - started
        self.timings.entropy_s += entropy_s
        return image

    # ----- tiling ---------------------------------------------------------------------------

    def _tiled(self, x: torch.Tensor, transform, scale: float, out_channels: int, crop=None) -> torch.Tensor:
        """Applies a (de)convolutional transform in overlapping tiles laid on the latent grid.

        ``scale`` is output size / input size (1/16 for analysis, 16 for synthesis). Synthesis
        output is clamped, rounded and converted to uint8 tile by tile to keep memory bounded.
        """
        synthesis = scale > 1
        unit = 1 if synthesis else LATENT_STRIDE  # input elements per latent element
        lh, lw = (x.shape[2] // unit, x.shape[3] // unit)
        tile, margin = self.tile_latent, self.tile_margin
        out_h, out_w = int(x.shape[2] * scale), int(x.shape[3] * scale)
        if crop is not None:
            out_h, out_w = crop
        dtype = torch.uint8 if synthesis else torch.float32
        out = torch.empty((1, out_channels, out_h, out_w), dtype=dtype)
        out_unit = LATENT_STRIDE if synthesis else 1  # output elements per latent element
        step = tile if max(lh, lw) > tile + 2 * margin else max(lh, lw)
        for inner, (t0, l0, t1, l1) in tiles(lh, lw, step, margin):
            top, left, bottom, right = inner
            region = x[:, :, t0 * unit : t1 * unit, l0 * unit : l1 * unit]
            if region.dtype == torch.uint8:
                region = region.float().div_(255)
            region = region.contiguous(memory_format=torch.channels_last)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bf16"):
                part = transform(region).float()
            oy, ox = (top - t0) * out_unit, (left - l0) * out_unit
            ty0, tx0 = top * out_unit, left * out_unit
            ty1, tx1 = min(bottom * out_unit, out_h), min(right * out_unit, out_w)
            if ty0 >= ty1 or tx0 >= tx1:
                continue
            piece = part[:, :, oy : oy + ty1 - ty0, ox : ox + tx1 - tx0]
            if synthesis:
                piece = piece.clamp_(0, 1).mul_(255).round_().to(torch.uint8)
            out[:, :, ty0:ty1, tx0:tx1] = piece
        return out
