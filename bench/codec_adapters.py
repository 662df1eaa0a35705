"""The codecs under test, each wrapping its real encoder and decoder (bytes in memory).

(Named ``codec_adapters`` rather than ``codecs`` so as not to shadow the standard library.)
Every codec encodes an HxWx3 uint8 RGB array at one *setting* of its grid into the bytes of a
complete file, and decodes those bytes back into an HxWx3 uint8 array.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, features

# Default aecodec quality grid (quality in [1, 100], higher is better).
AECODEC_QUALITIES = (1.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0)


@dataclass
class Codec:
    """One codec with its quality grid. ``settings`` values go to ``encode`` as is."""

    name: str
    label: str
    param: str  # name of the grid parameter, e.g. "quality"
    settings: Sequence[float]
    encode: Callable[[np.ndarray, float], bytes]
    decode: Callable[[bytes], np.ndarray]
    available: Callable[[], str | None]  # None when usable, otherwise why not
    versions: Callable[[], dict[str, str]] = field(default=lambda: {})

    def setting_str(self, value: float) -> str:
        return f"{self.param}={value:g}"


def _pil_encode(image: np.ndarray | Image.Image, fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    (image if isinstance(image, Image.Image) else Image.fromarray(image)).save(buf, fmt, **options)
    return buf.getvalue()


def _pil_decode(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))


def _pil_feature(feature: str) -> Callable[[], str | None]:
    def check() -> str | None:
        return None if features.check(feature) else f"Pillow built without {feature} support"

    return check


def _pil_version(key: str, feature: str) -> Callable[[], dict[str, str]]:
    return lambda: {key: str(features.version(feature))}


def jpeg() -> Codec:
    """Pillow (libjpeg-turbo), 4:2:0, optimized Huffman tables."""
    return Codec(
        "jpeg", "JPEG (Pillow, 4:2:0)", "quality",
        (3, 5, 8, 12, 18, 25, 35, 50, 65, 75, 80, 85, 90, 95),
        lambda im, q: _pil_encode(im, "JPEG", quality=int(q), optimize=True, subsampling="4:2:0"),
        _pil_decode, _pil_feature("jpg"),
        lambda: {"libjpeg-turbo": str(features.version("libjpeg_turbo"))},
    )


def webp() -> Codec:
    """Pillow (libwebp), lossy, method 6 (slowest, best)."""
    return Codec(
        "webp", "WebP m6", "quality",
        (0, 3, 10, 20, 30, 45, 60, 70, 80, 85, 90, 94),
        lambda im, q: _pil_encode(im, "WEBP", quality=int(q), method=6),
        _pil_decode, _pil_feature("webp"), _pil_version("libwebp", "webp"),
    )


def avif(max_threads: int | None = None) -> Codec:
    """Pillow (libavif + its AV1 encoder), 4:4:4, speed 6."""
    threads = {} if max_threads is None else {"max_threads": max_threads}
    return Codec(
        "avif", "AVIF s6 4:4:4", "quality",
        (2, 10, 20, 30, 38, 45, 52, 60, 66, 72, 78, 84, 88),
        lambda im, q: _pil_encode(im, "AVIF", quality=int(q), speed=6, subsampling="4:4:4", **threads),
        _pil_decode, _pil_feature("avif"), _pil_version("libavif", "avif"),
    )


def jpeg2000() -> Codec:
    """Pillow (OpenJPEG), 9/7 irreversible wavelet with the colour transform, rate-controlled."""

    def encode(im: np.ndarray, target_bpp: float) -> bytes:
        ratio = 8.0 * im.shape[2] / target_bpp  # OpenJPEG rates are compression ratios
        return _pil_encode(im, "JPEG2000", quality_mode="rates", quality_layers=[ratio],
                           irreversible=True, mct=1)

    return Codec(
        "jpeg2000", "JPEG 2000 (OpenJPEG)", "target_bpp",
        (0.06, 0.08, 0.12, 0.18, 0.25, 0.35, 0.5, 0.7, 1.0, 1.4, 2.0, 2.6),
        encode, _pil_decode, _pil_feature("jpg_2000"), _pil_version("openjpeg", "jpg_2000"),
    )


def jxl() -> Codec:
    """libjxl at effort 7, quality by butteraugli distance; via imagecodecs, else pillow-jxl-plugin."""
    settings = (25, 15, 10, 7, 5, 3.5, 2.5, 1.8, 1.3, 1.0, 0.8, 0.6)

    def backend() -> str | None:
        try:
            import imagecodecs

            if imagecodecs.JPEGXL.available:
                return "imagecodecs"
        except (ImportError, AttributeError):
            pass
        try:
            import pillow_jxl  # noqa: F401  (registers the JXL format with Pillow)

            return "pillow-jxl-plugin"
        except ImportError:
            return None

    def encode(im: np.ndarray, distance: float) -> bytes:
        if backend() == "imagecodecs":
            import imagecodecs

            return bytes(imagecodecs.jpegxl_encode(im, distance=distance, effort=7))
        return _pil_encode(im, "JXL", quality=None, distance=distance, effort=7)

    def decode(data: bytes) -> np.ndarray:
        if backend() == "imagecodecs":
            import imagecodecs

            return np.asarray(imagecodecs.jpegxl_decode(data))
        return _pil_decode(data)

    def available() -> str | None:
        return None if backend() else "neither imagecodecs with JPEG XL nor pillow-jxl-plugin installed"

    def versions() -> dict[str, str]:
        if backend() == "imagecodecs":
            import imagecodecs

            return {"libjxl": imagecodecs.jpegxl_version().removeprefix("libjxl "), "imagecodecs": imagecodecs.__version__}
        return {"pillow-jxl-plugin": "installed"}

    return Codec("jxl", "JPEG XL e7", "distance", settings, encode, decode, available, versions)


def aecodec(qualities: Sequence[float] = AECODEC_QUALITIES, threads: int | None = None, effort: int = 0,
            model_id: int | None = None) -> Codec:
    """This project's learned codec, through its public ``Codec`` API (``effort``: encoder effort 0-3;
    ``model_id``: a registered model, default the default model)."""
    state: dict = {}

    def model() -> int:
        from aecodec.models import DEFAULT_MODEL_ID

        return DEFAULT_MODEL_ID if model_id is None else model_id

    def codec():
        if "codec" not in state:
            import aecodec as ae

            state["codec"] = ae.Codec(model(), threads=threads)
        return state["codec"]

    def encode(im: np.ndarray, q: float) -> bytes:
        return bytes(codec().encode(im, quality=float(q), effort=effort))

    def decode(data: bytes) -> np.ndarray:
        return np.asarray(codec().decode(data).convert("RGB"))

    def available() -> str | None:
        try:
            import aecodec as ae

            ae.encode, ae.decode  # noqa: B018  (the API may not exist yet)
            probe = np.random.default_rng(0).integers(0, 256, (64, 96, 3), dtype=np.uint8)
            out = decode(encode(probe, 75.0))
            if out.shape != probe.shape:
                return f"aecodec decoded shape {out.shape}, expected {probe.shape}"
        except Exception as e:  # anything: the codec is being built concurrently
            return f"aecodec not usable yet ({type(e).__name__}: {e})"
        return None

    def versions() -> dict[str, str]:
        import aecodec as ae
        from aecodec.nn.store import read_metadata, short_fingerprint
        from aecodec.releases import encoder_weights

        # The weights decide the curve: name them, so a results file says which model it measured.
        weights = read_metadata(encoder_weights(model()))
        return {"aecodec": str(getattr(ae, "__version__", "unknown")),
                f"{name}-weights": f"{short_fingerprint(weights)} (step {weights.get('steps', '?')})"}

    name, label = ("aecodec", "aecodec (ours)") if not effort else (f"aecodec-e{effort}", f"aecodec effort {effort}")
    if model_id is not None:
        name, label = f"{name}-m{model_id}", f"{label}, model {model_id}"
    return Codec(name, label, "quality", tuple(qualities), encode, decode, available, versions)


CLASSICAL = ("jpeg", "webp", "avif", "jxl", "jpeg2000")
ALL = ("aecodec", "aecodec-e2") + CLASSICAL
MODELS = ("aecodec-m1", "aecodec-m2")  # each registered model by id, to compare models in one run
FACTORIES: dict[str, Callable[..., Codec]] = {
    "aecodec": aecodec, "aecodec-e2": lambda **kw: aecodec(effort=2, **kw),
    "aecodec-m1": lambda **kw: aecodec(model_id=1, **kw), "aecodec-m2": lambda **kw: aecodec(model_id=2, **kw),
    "jpeg": jpeg, "webp": webp, "avif": avif, "jxl": jxl, "jpeg2000": jpeg2000,
}


def get(name: str, **kwargs) -> Codec:
    """A codec by name (see ``ALL``)."""
    try:
        return FACTORIES[name](**kwargs)
    except KeyError:
        raise ValueError(f"unknown codec {name!r}; known: {', '.join(FACTORIES)}") from None
