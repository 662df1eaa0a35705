"""The Python API: encode images to .aec bytes, decode them, read headers."""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from aecodec import container, models, refine, releases
from aecodec.coding import CodedLatents, LatentCoder
from aecodec.container import stored_quality
from aecodec.errors import InvalidArgumentError, ModelMismatchError
from aecodec.fileinfo import METADATA_KINDS, ImageInfo, info, max_image_pixels, read_bytes
from aecodec.imageio import PlanarImage, bare_exif, decode_alpha, encode_alpha, from_planar, to_planar
from aecodec.loading import load_coder, model_id_for
from aecodec.runtime import PRECISIONS, timed_call, torch_threads

if TYPE_CHECKING:
    import torch

MIN_QUALITY, MAX_QUALITY = 1.0, 100.0
TARGET_TOLERANCE = 1.05  # a target_bpp search accepts files up to 5% above the target


# Latent elements per independent substream. Each extra substream costs ~19 bytes (two rANS states and a
# length) and only pays where entropy decoding is long enough to split across threads: a Kodak latent
# (295k elements) decodes in ~2 ms single-threaded, so it gets one (42 bytes saved at 4: 0.8% of a
# quality-1 file); a 24 Mpx image gets the maximum of 8.
ELEMENTS_PER_SUBSTREAM = 1 << 20
ENCODER_MAX_SUBSTREAMS = 8  # this encoder's choice; the format allows aecodec.entropy's FORMAT_MAX_SUBSTREAMS


def _substreams(numel: int) -> int:
    return int(min(ENCODER_MAX_SUBSTREAMS, max(1, numel // ELEMENTS_PER_SUBSTREAM)))


class Codec:
    """Holds a loaded model for repeated encoding and decoding.

    ``model_id`` is the registered model it encodes with (default ``aecodec.models.DEFAULT_MODEL_ID``).
    ``weights`` replaces that model's weights file; given alone, it names the model by the architecture it
    holds. Decoding follows the model and weights each file names, whatever the Codec encodes with.

    ``threads`` sets both torch's and the entropy coder's thread count during calls (None: torch's
    current setting). ``precision`` picks the transforms' arithmetic: "bf16" (fast on CPUs with AMX),
    "fp32", or "auto" (bf16 where AMX is present). ``max_pixels`` overrides ``aecodec.MAX_IMAGE_PIXELS``.
    After each call ``last_timings`` splits its time into transform and entropy coding (this Codec's call
    only, even when Codecs of one model run in several threads).

    A Codec pickles to its settings and loads the model again where it is unpickled (once per process),
    so it can be sent to Dask workers (they need aecodec installed, and ``weights`` at the same path)::

        import dask.bag as db
        codec = aecodec.Codec(threads=1)
        sizes = db.from_sequence(paths).map(lambda p: len(codec.encode(p, quality=75))).compute()

    "auto" precision is chosen again on each worker's CPU; give it explicitly for the same bytes on
    clusters that mix CPUs with and without AMX.

    Invalid arguments raise ``InvalidArgumentError`` (also a ValueError) here, not at the first call; an
    unknown model id or a weights file that cannot be loaded ``ModelMismatchError``.
    """

    def __init__(self, model_id: int | None = None, *, weights: str | Path | None = None,
                 threads: int | None = None, max_pixels: int | None = -1, precision: str = "auto"):
        self.model_id = models.check_model_id(model_id_for(model_id, weights))
        if precision not in PRECISIONS:
            raise InvalidArgumentError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
        if max_pixels is not None and max_pixels != -1:
            max_pixels = _check_int("max_pixels", max_pixels, 1)
        self.threads = threads
        self._weights = str(weights) if weights else None
        self._precision = precision
        self.engine: LatentCoder = load_coder(self.model_id, self._weights, precision)  # shared: no call state
        self._max_pixels = max_pixels
        self.last_timings: dict[str, float] = {}

    @property
    def threads(self) -> int | None:
        return self._threads

    @threads.setter
    def threads(self, threads: int | None) -> None:
        self._threads = None if threads is None else _check_int("threads", threads, 1)

    def __getstate__(self) -> dict:
        return {"model_id": self.model_id, "weights": self._weights, "threads": self.threads,
                "max_pixels": self._max_pixels, "precision": self._precision}

    def __setstate__(self, settings: dict) -> None:
        self.__init__(**settings)

    @property
    def max_pixels(self) -> int | None:
        return max_image_pixels() if self._max_pixels == -1 else self._max_pixels

    def _coder_threads(self) -> int:
        import torch

        return self.threads or torch.get_num_threads()

    # ----- encoding -------------------------------------------------------------------------

    def encode(self, image, quality: float = 75.0, *, target_bpp: float | None = None, effort: int = 0,
               strip: bool | Iterable[str] | None = False,
               metadata: Mapping[str, bytes | str | None] | None = None) -> bytes:
        """Compresses ``image`` to .aec bytes; the arguments are those of ``aecodec.encode``."""
        effort = _check_int("effort", effort, 0, refine.MAX_EFFORT)
        if target_bpp is not None:
            target_bpp = _check_target_bpp(target_bpp)
        else:
            quality = _check_quality(quality)
        planar = to_planar(image, self.max_pixels)
        _apply_metadata_options(planar, strip, metadata)
        steps, hyper_steps = refine.STEPS_OF_EFFORT[effort], refine.HYPER_STEPS_OF_EFFORT[effort]
        # Rate-distortion rounding on top of a refined latent measured worse than plain rounding (refinement
        # already trades rate for distortion): effort > 0 rounds to the nearest integers throughout.
        rd_rounding = not effort
        with timed_call() as timings, torch_threads(self.threads):
            latent_at = self._analysis(planar)
            if target_bpp is not None:
                data, quality = self._encode_to_target(planar, latent_at, target_bpp, rd_rounding)
            else:
                quality = stored_quality(quality)
            if effort or target_bpp is None:  # after a search, refine at the quality it chose: the file only shrinks
                latent = refine.refine_for_quality(self.engine, planar.rgb, latent_at(quality), quality, steps)
                data = self._encode_at(planar, latent, quality, hyper_steps, rd_rounding)
        self.last_timings = timings.as_dict()
        return data

    def _analysis(self, planar: PlanarImage) -> Callable[[float], torch.Tensor]:
        """The latent (before gain) of ``planar`` at a stored quality: analysed once, or, for a model whose
        analysis is conditioned on the quality, again for each new quality (the last one kept)."""
        last: dict[float | None, torch.Tensor] = {}

        def latent_at(quality: float):
            key = quality if self.engine.analysis_depends_on_quality else None
            if key not in last:
                last.clear()
                last[key] = self.engine.analyze(planar.rgb, quality)
            return last[key]

        return latent_at

    def _encode_at(self, planar: PlanarImage, latent, quality: float, hyper_steps: int = 0,
                   rd_rounding: bool = True) -> bytes:
        quality = stored_quality(quality)
        coded = self.engine.encode_latent(latent, quality, _substreams(latent.numel()), self._coder_threads(),
                                          container.SCALE_RULE, refine.hyper_latent_choice(hyper_steps),
                                          image_size=(planar.height, planar.width), rd_rounding=rd_rounding)
        sections = {container.HYPER_LATENT: coded.z_stream, container.LATENT: coded.y_stream}
        if planar.alpha is not None:
            sections[container.ALPHA] = encode_alpha(planar.alpha)
        for tag, payload in ((container.ICC_PROFILE, planar.icc_profile), (container.EXIF, planar.exif),
                             (container.XMP, planar.xmp)):
            if payload:
                sections[tag] = payload
        header = container.Header(
            model_id=self.model_id, fingerprint=self.engine.fingerprint_bytes, width=planar.width,
            height=planar.height, mode=planar.mode, quality=quality,
        )
        return container.serialize(container.Container(header, sections))

    def _encode_to_target(self, planar: PlanarImage, latent_at: Callable[[float], torch.Tensor], target_bpp: float,
                          rd_rounding: bool = True) -> tuple[bytes, float]:
        """Bisects quality for the largest file within 5% above the target, else the nearest below.

        Returns the file and the quality it was coded at (float32, as stored). A target outside the rates
        the image can be coded at gives a warning naming the rate reached.
        """
        pixels = planar.width * planar.height
        low, high = MIN_QUALITY, MAX_QUALITY
        best = self._encode_at(planar, latent_at(low), low, rd_rounding=rd_rounding)
        lowest_bpp = 8 * len(best) / pixels
        if lowest_bpp > target_bpp:
            if lowest_bpp > target_bpp * TARGET_TOLERANCE:
                warnings.warn(f"target {target_bpp:g} bpp is below the lowest rate of this image: coded at quality "
                              f"{low:g}, {lowest_bpp:.4f} bpp", stacklevel=3)
            return best, low  # even the lowest quality is larger: nearest we can do
        top = self._encode_at(planar, latent_at(high), high, rd_rounding=rd_rounding)
        highest_bpp = 8 * len(top) / pixels
        if highest_bpp <= target_bpp * TARGET_TOLERANCE:
            if highest_bpp < target_bpp:
                warnings.warn(f"target {target_bpp:g} bpp is above the highest rate of this image: coded at quality "
                              f"{high:g}, {highest_bpp:.4f} bpp", stacklevel=3)
            return top, high
        for _ in range(14):
            middle = (low + high) / 2
            data = self._encode_at(planar, latent_at(stored_quality(middle)), middle, rd_rounding=rd_rounding)
            bpp = 8 * len(data) / pixels
            if bpp <= target_bpp * TARGET_TOLERANCE:
                low, best = middle, data
                if bpp >= target_bpp * 0.99:
                    break
            else:
                high = middle
        return best, stored_quality(low)

    # ----- decoding -------------------------------------------------------------------------

    def decode(self, data) -> Image.Image:
        """Decodes an .aec file to a PIL image; the arguments are those of ``aecodec.decode``."""
        parsed = container.parse(read_bytes(data), self.max_pixels)
        header = parsed.header
        engine = self._engine_for(header)
        alpha = None
        if header.mode in ("RGBA", "LA"):  # before the latents: cheaper, and checked before the networks run
            if container.ALPHA not in parsed.sections:
                raise container.CorruptStreamError(f"mode {header.mode} file has no alpha section")
            alpha = decode_alpha(parsed.sections[container.ALPHA], header.width, header.height)
        coded = CodedLatents(parsed.sections[container.HYPER_LATENT], parsed.sections[container.LATENT])
        with timed_call() as timings, torch_threads(self.threads):
            rgb = engine.decode_latent(coded, header.height, header.width, header.quality, self._coder_threads(),
                                       container.SCALE_RULE_OF_VERSION[header.version])
        self.last_timings = timings.as_dict()
        metadata = (parsed.sections.get(tag) for tag in container.METADATA_SECTIONS)
        return from_planar(rgb, header.mode, alpha, *metadata)

    def _engine_for(self, header: container.Header) -> LatentCoder:
        """The loaded engine if the file names its weights, else the package's weights for the file's
        model and fingerprint (any release's, or the development ones); ModelMismatchError if none."""
        if header.model_id == self.model_id and header.fingerprint == self.engine.fingerprint_bytes:
            return self.engine
        path = releases.weights_path(header.model_id, header.fingerprint)
        engine = load_coder(header.model_id, str(path), self._precision)
        if engine.fingerprint_bytes != header.fingerprint:  # a file whose metadata names other weights
            raise ModelMismatchError(f"file was made by weights {header.fingerprint.hex()} of model "
                                     f"{header.model_id}, but {path.name} holds {engine.fingerprint[:16]}")
        return engine


def _check_int(name: str, value, low: int, high: int | None = None) -> int:
    """``value`` as an int within [low, high]; InvalidArgumentError for anything else, bools included."""
    wanted = f"an integer >= {low}" if high is None else f"an integer in {low}..{high}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidArgumentError(f"{name} must be {wanted}, got {value!r}")
    if value < low or (high is not None and value > high):
        raise InvalidArgumentError(f"{name} must be {wanted}, got {value}")
    return int(value)


def _check_target_bpp(target_bpp: float) -> float:
    """The target rate as a float: finite and > 0 (NaN once coded silently at quality 1)."""
    try:
        bpp = float(target_bpp)
    except (TypeError, ValueError):
        bpp = None
    if isinstance(target_bpp, bool) or bpp is None:
        raise InvalidArgumentError(f"target_bpp must be a positive number, got {target_bpp!r}")
    if not (math.isfinite(bpp) and bpp > 0):
        raise InvalidArgumentError(f"target_bpp must be a positive finite number of bits per pixel, "
                                   f"got {target_bpp!r}")
    return bpp


def _check_quality(quality: float) -> float:
    try:
        q = float(quality)
    except (TypeError, ValueError):
        q = None
    if isinstance(quality, bool) or q is None:  # True once encoded at quality 1
        raise InvalidArgumentError(f"quality must be a number in [1, 100], got {quality!r}")
    if not (MIN_QUALITY <= q <= MAX_QUALITY):
        raise InvalidArgumentError(f"quality must be in [1, 100], got {quality}")
    return q


_default_codecs: dict[tuple[int, Path | None], Codec] = {}


def _codec_for(model_id: int, weights: Path | None = None) -> Codec:
    if (model_id, weights) not in _default_codecs:
        _default_codecs[model_id, weights] = Codec(model_id, weights=weights)
    return _default_codecs[model_id, weights]


def _apply_metadata_options(planar: PlanarImage, strip: bool | Iterable[str] | None,
                            metadata: Mapping[str, bytes | str | None] | None) -> None:
    kinds = tuple(METADATA_KINDS)
    if strip is None or isinstance(strip, bool):
        strip = kinds if strip else ()
    elif isinstance(strip, str):
        strip = (strip,)
    elif isinstance(strip, Iterable):
        strip = tuple(strip)
    else:
        raise InvalidArgumentError(f"strip must be True, False or an iterable of metadata kinds "
                                   f"({', '.join(kinds)}), got {strip!r}")
    if metadata is None:
        metadata = {}
    elif not isinstance(metadata, Mapping):
        raise InvalidArgumentError(f"metadata must be a mapping of metadata kinds to bytes, got {metadata!r}")
    for kind in (*strip, *metadata):
        if kind not in kinds:
            raise InvalidArgumentError(f"unknown metadata kind {kind!r}: expected one of {', '.join(kinds)}")
    planar.strip(strip)
    for kind, value in metadata.items():
        if kind == "xmp" and isinstance(value, str):  # Pillow gives PNG XMP as str
            value = value.encode("utf-8")
        elif kind == "exif" and isinstance(value, Image.Exif):
            value = value.tobytes() if len(value) else None
        if value is not None:
            try:
                value = bytes(memoryview(value))
            except TypeError:
                accepted = {"exif": "bytes or a PIL.Image.Exif", "icc": "bytes", "xmp": "bytes or str"}[kind]
                raise InvalidArgumentError(f"metadata[{kind!r}] must be {accepted} (or None to drop it), "
                                           f"got {type(value).__name__}") from None
        if not value:  # None (or empty) drops the kind
            planar.strip((kind,))
        elif kind == "exif":
            planar.exif = bare_exif(value)
            if planar.exif is None:
                raise InvalidArgumentError("exif must be EXIF data: a TIFF structure, optionally after "
                                           "b'Exif\\0\\0'")
        else:
            setattr(planar, "icc_profile" if kind == "icc" else kind, value)


def encode(image, quality: float = 75.0, *, target_bpp: float | None = None, effort: int = 0,
           strip: bool | Iterable[str] | None = False,
           metadata: Mapping[str, bytes | str | None] | None = None) -> bytes:
    """Compresses an image to .aec bytes with the default model.

    image: a PIL image; an HxW or HxWxC (C in 1..4) uint8 numpy array; the bytes of an image file that
        Pillow reads (bytes or any bytes-like object); a binary file object; or a path. EXIF orientation is
        applied to the pixels; modes other than RGB, L, RGBA and LA are converted with a warning.
    quality: 1..100, higher is better (default 75). Ignored when ``target_bpp`` is given.
    target_bpp: a target size in bits per pixel; the quality is searched for the largest file within 5 %
        above it (or the smallest possible file when even quality 1 is larger).
    effort: 0..3; higher spends encode time on a better rate-distortion trade-off for this image (model 2
        on held-out photos, BD-rate against effort 0: 1: -0.3 % at ~22x the encode time, 2: -0.9 % at ~37x;
        ``bench/results/effort/``; see ``aecodec.refine``).
        Decoding is unaffected.
    strip: True drops all metadata; or an iterable of the kinds to drop among "exif", "icc" and "xmp".
        By default (False or None) the image's ICC profile, EXIF (orientation removed) and XMP are kept.
    metadata: replaces the image's own metadata per kind, e.g. ``{"exif": b"Exif\\0\\0II*..."}``
        (bytes; XMP may also be a str, stored as UTF-8); a value of None drops that kind.

    Returns the .aec file as bytes. Raises ``UnsupportedImageError`` for unreadable or unsupported
    images and ``InvalidArgumentError`` (an ``AecodecError`` and a ``ValueError``) for invalid arguments,
    bools included where a number is expected.
    """
    return _codec_for(models.DEFAULT_MODEL_ID).encode(image, quality, target_bpp=target_bpp, effort=effort,
                                                      strip=strip, metadata=metadata)


def decode(data) -> Image.Image:
    """Decodes an .aec file with the model the file names.

    data: the file as bytes or any bytes-like object, a binary file object (read from its current
        position to the end), or a path.

    Returns a PIL image of the stored mode (RGB, L, RGBA or LA) whose ``info`` holds the kept metadata
    under Pillow's keys ("icc_profile", "exif", "xmp"), ready for ``image.save(..., **params)``. Damaged
    files raise ``CorruptStreamError`` (also an ``OSError``), files of an unknown model or other weights
    ``ModelMismatchError``, oversized ones ``ImageTooLargeError``; ``data`` of another type, or a file
    opened in text mode, TypeError.
    """
    data = read_bytes(data)
    header = container.parse_header(data, max_image_pixels())
    return _codec_for(header.model_id, releases.weights_path(header.model_id, header.fingerprint)).decode(data)
