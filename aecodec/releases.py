"""Releases: the weights each aecodec release encodes with, and where every weights file lives.

A release is a version (``aecodec.__version__``, a git tag ``vX.Y.Z``, a CHANGELOG.md entry) and the
(model id, weights fingerprint) pairs it encodes with. Weights a release has shipped never change and
never leave the package: they live at ``weights/<model name>-<fingerprint16>.safetensors``, so that
every later version decodes every file a release wrote, to the same pixels.

``weights/<model name>.safetensors`` (the registry's file, where training ships) holds *development*
weights: what main encodes with between releases. Files they write carry their fingerprint like any
other, and ``describe`` reports them as development weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aecodec import models
from aecodec.errors import ModelMismatchError

# Hex digits of the weights fingerprint an .aec header carries (its first 8 bytes).
HEADER_FINGERPRINT_HEX = 16


@dataclass(frozen=True)
class ReleasedWeights:
    """One model's weights as a release shipped them."""

    model_id: int
    fingerprint: str  # full SHA-256 (hex) of the weights, as aecodec.nn.store computes it

    @property
    def short(self) -> str:
        """The part of the fingerprint that .aec headers carry."""
        return self.fingerprint[:HEADER_FINGERPRINT_HEX]

    @property
    def filename(self) -> str:
        return f"{models.entry(self.model_id).name}-{self.short}.safetensors"

    @property
    def path(self) -> Path:
        return models.WEIGHTS_DIR / self.filename


@dataclass(frozen=True)
class Release:
    version: str
    date: str
    encodes: tuple[ReleasedWeights, ...]  # the weights this release encodes with, one per model id


# Weights shipped by more than one release, defined once.
_MODEL1_OF_0_1_0 = ReleasedWeights(1, "3c32dda32dbb52a6c2535419532b2c07c30affd2f2597b70513e1d594f8cecb5")

# Append-only, like the model registry: a release, once made, is never edited or removed.
RELEASES: tuple[Release, ...] = (
    Release("0.1.0", "2026-11-30", (_MODEL1_OF_0_1_0,)),
    Release("0.2.0", "2026-12-03", (
        _MODEL1_OF_0_1_0,
        ReleasedWeights(2, "861cca088f3ad5981de273f9ffb981af24f10f86d329914c99458958cfb6a98f"),
    )),
)


@dataclass(frozen=True)
class WeightsOrigin:
    """Which release (or development build) the weights named by an .aec header come from."""

    model_id: int
    model_name: str | None  # None: a model id this aecodec does not know
    fingerprint: str  # as the header carries it (16 hex digits)
    release: str | None  # the first release that shipped these weights
    development: bool  # development weights this package holds (in no release)

    def __str__(self) -> str:
        model = f"model {self.model_id} ({self.model_name or 'unknown to this aecodec'}) weights {self.fingerprint}"
        if self.release:
            return f"{model}, release {self.release}"
        if self.development:
            return f"{model}, development weights (not released)"
        return f"{model}, weights not in this aecodec (unreleased development weights, or a later release)"


def _short(fingerprint: bytes | str) -> str:
    text = fingerprint.hex() if isinstance(fingerprint, (bytes, bytearray)) else fingerprint
    return text[:HEADER_FINGERPRINT_HEX].lower()


def released_weights() -> dict[tuple[int, str], tuple[Release, ReleasedWeights]]:
    """Every (model id, short fingerprint) any release shipped, with the first release that shipped it."""
    shipped: dict[tuple[int, str], tuple[Release, ReleasedWeights]] = {}
    for release in RELEASES:
        for weights in release.encodes:
            shipped.setdefault((weights.model_id, weights.short), (release, weights))
    return shipped


def development_fingerprint(model_id: int) -> str | None:
    """The full fingerprint of the model's development weights file, or None when the package has none."""
    path = models.entry(model_id).path
    if not path.exists():
        return None
    from safetensors import safe_open  # the numpy view: aecodec info must not import torch

    with safe_open(str(path), framework="numpy") as weights:
        fingerprint = (weights.metadata() or {}).get("fingerprint")
    if fingerprint is None:  # written by something other than aecodec.nn.store.save_weights
        from safetensors.torch import load_file

        from aecodec.nn.store import state_fingerprint

        fingerprint = state_fingerprint(load_file(str(path)))
    return fingerprint


def encoder_weights(model_id: int) -> Path:
    """The weights file this build encodes with: development weights if present, else the newest release's."""
    development = models.entry(model_id).path
    if development.exists():
        return development
    for release in reversed(RELEASES):
        for weights in release.encodes:
            if weights.model_id == model_id:
                return weights.path
    raise ModelMismatchError(f"this aecodec holds no weights to encode with model {model_id}")


def weights_path(model_id: int, fingerprint: bytes | str) -> Path:
    """The file holding the weights an .aec header names; ModelMismatchError if this package lacks them."""
    entry = models.entry(model_id)  # unknown ids get their own message
    short = _short(fingerprint)
    shipped = released_weights().get((model_id, short))
    if shipped is not None:
        release, weights = shipped
        if not weights.path.exists():
            raise ModelMismatchError(f"the weights of release {release.version} for model {model_id} "
                                     f"({weights.filename}) are missing from this installation")
        return weights.path
    development = development_fingerprint(model_id)
    if development is not None and development.startswith(short):
        return entry.path
    raise ModelMismatchError(
        f"file was made by weights {short} of model {model_id} ({entry.name}), which this aecodec does not "
        f"hold: no release shipped them (development weights of another build?), or a later release did")


def describe(model_id: int, fingerprint: bytes | str) -> WeightsOrigin:
    """Names the release (or development build) of the weights an .aec header names; reads no weights."""
    short = _short(fingerprint)
    known = models.REGISTRY.get(model_id)
    shipped = released_weights().get((model_id, short))
    development = False
    if known is not None and shipped is None:
        full = development_fingerprint(model_id)
        development = full is not None and full.startswith(short)
    return WeightsOrigin(model_id=model_id, model_name=known.name if known else None, fingerprint=short,
                         release=shipped[0].version if shipped else None, development=development)
