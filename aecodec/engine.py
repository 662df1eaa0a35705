"""Model 1's coding side (``aecodec.coding.LatentCoder``): an RGB uint8 array to coded latent streams and back.

The engine owns a loaded model and its entropy coders. It runs the analysis and synthesis in tiles
(``aecodec.tiling``) at the precision of ``aecodec.runtime``, codes the latent with the tables of
``aecodec.entropy_parameters`` and settles the latent that only sees padding. Encoder effort lives apart
(``aecodec.refine``): the API refines the latent before handing it here, and may pass a hyper-latent choice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from aecodec.coding import CodedLatents, HyperLatentChoice, quality_to_level
from aecodec.container import SCALE_RULE
from aecodec.entropy import default_gaussian_coder
from aecodec.entropy.rounding import ROUNDING_WEIGHT, level_weight, rd_round
from aecodec.entropy_parameters import HYPER_BAND, HyperSynthesis64, hyper_indexes, hyper_latent_coder
from aecodec.nn.model import HyperpriorModel
from aecodec.runtime import Timings, call_timings, resolve_precision
from aecodec.tiling import HYPER_STRIDE, LATENT_STRIDE, apply_tiled


@dataclass
class CodecEngine:
    model: HyperpriorModel
    model_id: int
    fingerprint: str
    metadata: dict = field(default_factory=dict)
    tile_latent: int = 48  # latent tile side (x16 pixels) above which images are processed in tiles
    tile_margin: int = 4  # latent elements of context around each tile
    # "bf16" runs the analysis/synthesis transforms under bf16 autocast (fast with AMX); "auto" picks it
    # where the CPU has AMX (aecodec.runtime). Entropy parameters are always float64, so streams stay
    # decodable anywhere.
    precision: str = "auto"
    hyper_band: int = HYPER_BAND  # hyper-latent rows per band of the float64 hyper-synthesis
    # The encoder's rate-distortion rounding of the latent at the lowest level (aecodec.entropy.rounding;
    # 0: nearest integer); it rises with the level (rounding_weight_at).
    rounding_weight: float = ROUNDING_WEIGHT

    def __post_init__(self):
        self.model.eval()
        self.precision = resolve_precision(self.precision)
        self.model.g_a.to(memory_format=torch.channels_last)
        self.model.g_s.to(memory_format=torch.channels_last)
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.hyper_synthesis = HyperSynthesis64(self.model, self.hyper_band)
        self.gaussian = default_gaussian_coder()
        self.hyper_coder = hyper_latent_coder(self.model)

    @property
    def timings(self) -> Timings:
        """Where the engine adds its time: the current call's (``aecodec.runtime.timed_call``), never the engine's."""
        return call_timings()

    @property
    def fingerprint_bytes(self) -> bytes:
        return bytes.fromhex(self.fingerprint)[:8]

    # ----- shared by both sides -------------------------------------------------------------

    def level(self, quality: float) -> torch.Tensor:
        """The model's continuous level position (1,) of ``quality``."""
        return torch.tensor([quality_to_level(quality, self.model.num_levels)], dtype=torch.float32)

    def gains(self, quality: float) -> tuple[torch.Tensor, torch.Tensor]:
        """Gain and inverse gain (1, M, 1, 1) of ``quality``."""
        return self.model.gains(self.level(quality))

    def rounding_weight_at(self, quality: float) -> float:
        """The weight of rate-distortion rounding at ``quality`` (0: the nearest integers)."""
        levels = self.model.num_levels
        return level_weight(quality_to_level(quality, levels) / max(levels - 1, 1), self.rounding_weight)

    def _symbols(self, residuals: np.ndarray, scales: np.ndarray, quality: float, rd_rounding: bool) -> np.ndarray:
        """The symbols to code for ``residuals`` = y - means with snapped ``scales``: rounded by rate and distortion
        (``aecodec.entropy.rounding``) or, without ``rd_rounding``, to the nearest integers."""
        return rd_round(residuals, scales, self.rounding_weight_at(quality) if rd_rounding else 0.0)

    def _entropy_parameters(self, z_hat: torch.Tensor, scale_rule: str = SCALE_RULE) -> tuple[np.ndarray, np.ndarray]:
        """Means and snapped scales (float32) of the latent, bit-identical on both sides."""
        return self.hyper_synthesis.latent_tables(z_hat, self.gaussian, scale_rule)

    @staticmethod
    def latent_shape(height: int, width: int, channels: int) -> tuple[int, int, int, int]:
        stride = HyperpriorModel.STRIDE
        hp, wp = -(-height // stride) * stride, -(-width // stride) * stride
        return (1, channels, hp // LATENT_STRIDE, wp // LATENT_STRIDE)

    def _tiled(self, x: torch.Tensor, transform, scale: float, out_channels: int, crop=None) -> torch.Tensor:
        """``aecodec.tiling.apply_tiled`` with this engine's tiles and precision."""
        return apply_tiled(x, transform, scale, out_channels, self.tile_latent, self.tile_margin,
                           self.precision == "bf16", crop)

    def synthesize(self, latent: torch.Tensor, height: int, width: int, quality: float) -> torch.Tensor:
        """(1, 3, height, width) uint8 pixels of a decoded latent (after inverse gain) at ``quality``, in tiles."""
        return self._tiled(latent, self.model.synthesis(self.level(quality)), scale=LATENT_STRIDE, out_channels=3,
                           crop=(height, width))

    # ----- encoder -------------------------------------------------------------------------

    @property
    def analysis_depends_on_quality(self) -> bool:
        """Whether ``analyze`` must run again for another quality (a conditioned analysis)."""
        return self.model.analysis_depends_on_level

    def analyze(self, rgb: np.ndarray, quality: float) -> torch.Tensor:
        """Latent before gain, (1, M, H/16, W/16), of an HxWx3 uint8 image (padded internally) at ``quality``
        (see ``analysis_depends_on_quality``)."""
        started = time.perf_counter()
        h, w = rgb.shape[:2]
        stride = HyperpriorModel.STRIDE
        padded = np.pad(rgb, ((0, (-h) % stride), (0, (-w) % stride), (0, 0)), mode="edge")
        x = torch.from_numpy(padded).permute(2, 0, 1)[None]  # uint8; tiles convert to float
        with torch.inference_mode():
            y = self._tiled(x, self.model.analysis(self.level(quality)), scale=1 / LATENT_STRIDE,
                            out_channels=self.model.config.m)
        self.timings.transform_s += time.perf_counter() - started
        return y

    def hyper_latent(self, y: torch.Tensor, choose: HyperLatentChoice | None = None) -> torch.Tensor:
        """The hyper-latent to code for ``y`` (after gain): the rounded hyper-analysis output, or what
        ``choose(model, y, hyper-analysis output)`` picks (encoder effort, ``aecodec.refine``)."""
        with torch.inference_mode():
            z = self.model.h_a(y).float()
        if choose is None:
            return torch.round(z)
        return choose(self.model, y, z)

    def encode_latent(self, y: torch.Tensor, quality: float, substreams: int, threads: int,
                      scale_rule: str = SCALE_RULE, choose_hyper_latent: HyperLatentChoice | None = None,
                      image_size: tuple[int, int] | None = None, rd_rounding: bool = True) -> CodedLatents:
        """The two streams of latent ``y`` (before gain) at ``quality``; ``choose_hyper_latent``: see ``hyper_latent``.

        ``image_size`` (height, width) of the image ``y`` was analyzed from lets the latent elements that
        lie wholly in the padding be coded at their predicted means (see ``_settle_padding``).
        """
        started = time.perf_counter()
        gain, _ = self.gains(quality)
        with torch.no_grad():  # not inference_mode: hyper-latent refinement differentiates through y's bits
            y = y * gain
            padding = self._padding_slices(y.shape, image_size)
            if padding:
                self._settle_padding(y, padding)
        z_hat = self.hyper_latent(y, choose_hyper_latent)
        means, scales = self._entropy_parameters(z_hat, scale_rule)
        if padding:  # the final means, so that those residuals are exactly zero
            self._fill_padding(y, torch.from_numpy(means), padding)
        transform_end = time.perf_counter()
        symbols = z_hat.to(torch.int32).numpy()
        z_stream = self.hyper_coder.compress(symbols, hyper_indexes(symbols.shape))
        values = self._symbols(y.numpy() - means, scales, quality, rd_rounding)
        values += means  # what the decoder reconstructs: the coder takes rint(values - means) as the symbols
        y_stream = self.gaussian.compress(values, means, scales, substreams=substreams, threads=threads)
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
                      scale_rule: str = SCALE_RULE) -> np.ndarray:
        """HxWx3 uint8 image from the two streams (``scale_rule``: the one the encoder used)."""
        m, n = self.model.config.m, self.model.config.n
        _, _, yh, yw = self.latent_shape(height, width, m)
        z_shape = (1, n, yh // HYPER_STRIDE, yw // HYPER_STRIDE)
        # Cheap checks first: a broken latent stream header fails before the networks run and the
        # latent's arrays are allocated.
        self.gaussian.check_stream(coded.y_stream, m * yh * yw)
        started = time.perf_counter()
        z_symbols = self.hyper_coder.decompress(coded.z_stream, hyper_indexes(z_shape))
        entropy_s = time.perf_counter() - started
        started = time.perf_counter()
        means, scales = self._entropy_parameters(torch.from_numpy(z_symbols.astype(np.float32)), scale_rule)
        transform_s = time.perf_counter() - started
        started = time.perf_counter()
        y_hat, _ = self.gaussian.decompress(coded.y_stream, means, scales, threads=threads)
        del scales
        entropy_s += time.perf_counter() - started
        started = time.perf_counter()
        _, inverse_gain = self.gains(quality)
        with torch.inference_mode():
            y = torch.from_numpy(y_hat) * inverse_gain
            x_hat = self.synthesize(y, height, width, quality)
        image = np.ascontiguousarray(x_hat[0].permute(1, 2, 0).numpy())
        self.timings.transform_s += transform_s + time.perf_counter() - started
        self.timings.entropy_s += entropy_s
        return image
