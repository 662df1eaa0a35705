"""Model-side coding for model 2 (the context entropy model): slices and checkerboard passes.

The latent is coded in passes: for each channel slice, its checkerboard anchors, then the other half.
The tables of a pass come from the context networks evaluated in float64 on one thread over what the
decoder already has (the hyperprior's parameters and the coded values of earlier passes), so encoder and
decoder pick the same tables on any machine, thread count or precision of the transforms. All passes,
concatenated in coding order, form ONE Gaussian rANS stream (the YLAT section, docs/ENTROPY.md): the
encoder codes it once after computing every pass, the decoder decodes it pass by pass with
``GaussianCoder.pass_decoder``.
"""

from __future__ import annotations

import copy
import time

import numpy as np
import torch

from aecodec.coding import CodedLatents, HyperLatentChoice
from aecodec.container import SCALE_RULE
from aecodec.engine import CodecEngine
from aecodec.nn.context_model import ContextModel, anchor_mask
from aecodec.entropy_parameters import hyper_indexes
from aecodec.runtime import torch_threads
from aecodec.tiling import HYPER_STRIDE


class ContextEngine(CodecEngine):
    """``CodecEngine`` for model 2: same analysis, synthesis, tiling and hyper-latent; the latent is coded
    in 2 x slices passes (see the module docstring)."""

    model: ContextModel

    def __post_init__(self):
        super().__post_init__()
        self.contexts64 = copy.deepcopy(self.model.contexts).double()

    @property
    def passes(self) -> int:
        return 2 * len(self.model.slice_bounds)

    # Latent rows per band of the context networks: their float64 3x3 convolutions unfold the input nine
    # times over, so on a 24 MP latent one layer at once would take about 1 GB. Each band is computed on
    # its rows plus a halo covering the convolutions' reach, so every value is the one the whole latent
    # gives (tests/test_context_engine.py); a Kodak latent is a single band.
    context_band = 32

    def _banded(self, rows: int, halo: int, compute, *inputs: torch.Tensor | None):
        """Yields (top, bottom, rows [top, bottom) of ``compute(*inputs)``) band by band, each band computed
        on its rows plus ``halo`` rows either side (clipped at the edges, where the convolutions' zero
        padding then sees what it sees on the whole latent). ``compute`` returns a tensor or a tuple."""
        for top in range(0, rows, self.context_band):
            bottom = min(top + self.context_band, rows)
            t0, t1 = max(top - halo, 0), min(bottom + halo, rows)
            part = compute(*(None if x is None else x[:, :, t0:t1] for x in inputs))
            crop = slice(top - t0, bottom - t0)
            yield top, bottom, tuple(p[:, :, crop] for p in part) if isinstance(part, tuple) else part[:, :, crop]

    def _code_passes(self, z_hat: torch.Tensor, scale_rule: str, code_pass,
                     synthesis: bool = True) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Runs the passes in order; ``code_pass(means, scales, where)`` codes (or decodes) the elements of
        one pass and returns their coded values (float32, flat, in boolean-mask order). Returns the
        coded latent and the synthesis input (the coded latent plus the latent residual prediction;
        None unless ``synthesis``).

        Every value that selects a table is computed here, in float64 on one thread, band by band.
        """
        _, _, rows, cols = z_hat.shape
        rows, cols = rows * HYPER_STRIDE, cols * HYPER_STRIDE
        bounds = self.model.slice_bounds
        # Each slice's hyperprior (means, scales), as the context networks take it; freed once coded.
        hypers: list[torch.Tensor | None] = [
            torch.empty((1, 2 * (hi - lo), rows, cols), dtype=torch.float64) for lo, hi in bounds]
        for top, bottom, band_means, band_scales in self.hyper_synthesis.bands(z_hat):
            for hyper, (lo, hi) in zip(hypers, bounds):
                hyper[:, : hi - lo, top:bottom] = band_means[:, lo:hi]
                hyper[:, hi - lo :, top:bottom] = band_scales[:, lo:hi]
        mask = anchor_mask(rows, cols).bool().numpy()[0, 0]
        coded = np.zeros((1, self.model.config.m, rows, cols), dtype=np.float32)
        latent = torch.empty(coded.shape, dtype=torch.float32) if synthesis else None
        for index, (lo, hi) in enumerate(bounds):
            context, hyper = self.contexts64[index], hypers[index]
            hypers[index] = None
            coded_slice = coded[:, lo:hi]  # a view: the passes write into ``coded``
            channel_ctx = None
            with torch_threads(1), torch.inference_mode():
                if lo:
                    channel_ctx = torch.empty((1, context.channel[-1].out_channels, rows, cols), dtype=torch.float64)
                    for top, bottom, part in self._banded(rows, 1, lambda b: context.channel_context(b.double()),
                                                          torch.from_numpy(coded[:, :lo])):
                        channel_ctx[:, :, top:bottom] = part
            anchors = None
            for half in (mask, ~mask):
                means = np.empty(coded_slice.shape, dtype=np.float32)
                scales = np.empty_like(means)
                with torch_threads(1), torch.inference_mode():
                    for top, bottom, (band_means, band_scales) in self._banded(
                            rows, 0 if anchors is None else 1,
                            lambda h, c, a: context.entropy_parameters(h, c, None if a is None else a.double()),
                            hyper, channel_ctx, anchors):
                        means[:, :, top:bottom] = band_means.numpy()
                        scales[:, :, top:bottom] = self.gaussian.snap_scales(band_scales.numpy(), scale_rule)
                selected = np.broadcast_to(half, coded_slice.shape)
                coded_slice[selected] = code_pass(means[selected], scales[selected], (lo, hi, half))
                del means, scales
                anchors = torch.from_numpy(coded_slice)  # so far only the anchors are non-zero
            if synthesis:
                # The residual prediction selects no table: it runs in float32 on the caller's threads, on
                # the whole slice (oneDNN's float32 results depend on the tensor's size: bands would move
                # the decoded pixels by a few ulps).
                with torch.inference_mode():
                    y_hat = torch.from_numpy(coded_slice)
                    latent[:, lo:hi] = y_hat + self.model.contexts[index].residual(
                        hyper.float(), channel_ctx.float() if channel_ctx is not None else None, y_hat)
            del hyper, channel_ctx
        return torch.from_numpy(coded), latent

    # ----- encoder -------------------------------------------------------------------------

    def encode_latent(self, y: torch.Tensor, quality: float, substreams: int, threads: int,
                      scale_rule: str = SCALE_RULE, choose_hyper_latent: HyperLatentChoice | None = None,
                      image_size: tuple[int, int] | None = None, rd_rounding: bool = True) -> CodedLatents:
        started = time.perf_counter()
        gain, _ = self.gains(quality)
        with torch.no_grad():
            y = y * gain
            padding = self._padding_slices(y.shape, image_size)
            if padding:
                self._settle_padding(y, padding)
        z_hat = self.hyper_latent(y, choose_hyper_latent)
        padded = np.zeros(y.shape[2:], dtype=bool)
        for region in padding:
            padded[region[2:]] = True
        values = y.numpy().astype(np.float32)
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (values, means, scales) per pass

        def code_pass(means, scales, where):
            lo, hi, half = where
            selected = np.broadcast_to(half, (1, hi - lo, *half.shape))
            part = values[:, lo:hi][selected]
            settle = np.broadcast_to(padded, (1, hi - lo, *padded.shape))[selected]
            part[settle] = means[settle]  # padding-only elements cost nothing: residual exactly zero
            coded = means + self._symbols(part - means, scales, quality, rd_rounding)  # what the decoder reconstructs
            parts.append((coded, means, scales))
            return coded

        self._code_passes(z_hat, scale_rule, code_pass, synthesis=False)
        entropy_start = time.perf_counter()
        y_stream = self.gaussian.compress(*(np.concatenate(column) for column in zip(*parts)),
                                          substreams=substreams, threads=threads)
        z_symbols = z_hat.to(torch.int32).numpy()
        z_stream = self.hyper_coder.compress(z_symbols, hyper_indexes(z_symbols.shape))
        self.timings.transform_s += entropy_start - started
        self.timings.entropy_s += time.perf_counter() - entropy_start
        return CodedLatents(z_stream=z_stream, y_stream=y_stream)

    # ----- decoder -------------------------------------------------------------------------

    def decode_coded_latent(self, coded: CodedLatents, height: int, width: int, threads: int,
                            scale_rule: str = SCALE_RULE) -> tuple[torch.Tensor, torch.Tensor]:
        """The coded latent (symbols plus means; what selects the tables) and the synthesis input."""
        m, n = self.model.config.m, self.model.config.n
        _, _, yh, yw = self.latent_shape(height, width, m)
        # The stream's header is checked here, before the networks run and the latent is allocated.
        y_decoder = self.gaussian.pass_decoder(coded.y_stream, m * yh * yw)
        z_symbols = self.hyper_coder.decompress(coded.z_stream, hyper_indexes((1, n, yh // HYPER_STRIDE, yw // HYPER_STRIDE)))

        def decode_pass(means, scales, where):
            y_hat, _ = y_decoder.decode(means, scales, threads=threads)
            return y_hat

        decoded = self._code_passes(torch.from_numpy(z_symbols.astype(np.float32)), scale_rule, decode_pass)
        y_decoder.finish()
        return decoded

    def decode_latent(self, coded: CodedLatents, height: int, width: int, quality: float, threads: int,
                      scale_rule: str = SCALE_RULE) -> np.ndarray:
        started = time.perf_counter()
        _, latent = self.decode_coded_latent(coded, height, width, threads, scale_rule)
        decoded = time.perf_counter()
        _, inverse_gain = self.gains(quality)
        with torch.inference_mode():
            x_hat = self.synthesize(latent * inverse_gain, height, width, quality)
        self.timings.transform_s += time.perf_counter() - decoded
        self.timings.entropy_s += decoded - started
        return np.ascontiguousarray(x_hat[0].permute(1, 2, 0).numpy())
