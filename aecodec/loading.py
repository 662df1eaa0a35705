"""Building a model's coder (``aecodec.coding.LatentCoder``) from a weights file, cached per process.

The coder is chosen by the model kind the weights' stored config names, from ``CODER_OF_KIND``: a new
model kind plugs in with one entry there, the API and the registry unchanged.
"""

from __future__ import annotations

import functools
import importlib
import json
from pathlib import Path

from aecodec import models
from aecodec.errors import ModelMismatchError

# Model kind (the "kind" of the config stored with the weights; model 1's carries none) -> its coder.
CODER_OF_KIND = {
    "hyperprior": "aecodec.engine:CodecEngine",  # model 1: hyperprior (aecodec/nn/model.py)
    "context": "aecodec.context_engine:ContextEngine",  # model 2: context entropy model (aecodec/nn/context_model.py)
}
DEFAULT_KIND = "hyperprior"


def model_id_for(model_id: int | None, weights_path: str | Path | None):
    """The model id asked for; if none, the model whose architecture the weights hold, else the default model."""
    if model_id is not None:
        return model_id
    return models.model_id_of_kind(weights_kind(weights_path)) if weights_path else models.DEFAULT_MODEL_ID


def load_coder(model_id: int | None = None, weights_path: str | Path | None = None, precision: str = "auto"):
    """A ready-to-code coder (cached, shared by every Codec of those weights and precision) for an explicit
    weights file, or for the weights this build encodes ``model_id`` with (``aecodec.releases.encoder_weights``);
    the model id defaults as ``model_id_for`` says. ModelMismatchError if the file is not weights this aecodec
    can load, or holds another model's architecture."""
    from aecodec.releases import encoder_weights

    model_id = model_id_for(model_id, weights_path)
    return _load_coder(model_id, str(weights_path or encoder_weights(model_id)), precision)


_UNREADABLE = (OSError, KeyError, ValueError, TypeError, AttributeError, RuntimeError)


def weights_kind(weights_path: str | Path) -> str:
    """The model kind a weights file's stored config names (its metadata only: no tensors are read)."""
    from safetensors import SafetensorError

    from aecodec.nn.store import read_metadata

    path = Path(weights_path)
    if not path.exists():
        raise ModelMismatchError(f"weights not found at {path}")
    try:
        kind = json.loads(read_metadata(path)["config"]).get("kind", DEFAULT_KIND)
    except (SafetensorError, *_UNREADABLE) as exc:  # not safetensors, or no aecodec config in its metadata
        raise ModelMismatchError(f"{path} is not a weights file this aecodec can load "
                                 f"({type(exc).__name__}: {exc})") from exc
    if kind not in CODER_OF_KIND:
        raise ModelMismatchError(f"{path.name} holds a model of kind {kind!r}, which this aecodec cannot code")
    return kind


@functools.lru_cache(maxsize=4)
def _load_coder(model_id: int, weights_path: str, precision: str):
    from safetensors import SafetensorError

    from aecodec.nn.store import load_weights

    path = Path(weights_path)
    kind, entry = weights_kind(path), models.entry(model_id)
    if kind != entry.kind:  # its files would name a model whose architecture they do not hold
        raise ModelMismatchError(f"{path.name} holds a {kind!r} model; model {model_id} ({entry.name}) "
                                 f"is {entry.kind!r}")
    try:
        model, meta = load_weights(path)
    except (SafetensorError, *_UNREADABLE) as exc:  # tensors that do not fit the config
        raise ModelMismatchError(f"{path} is not a weights file this aecodec can load "
                                 f"({type(exc).__name__}: {exc})") from exc
    module, name = CODER_OF_KIND[kind].split(":")
    coder_class = getattr(importlib.import_module(module), name)
    return coder_class(model=model, model_id=model_id, fingerprint=meta["fingerprint"], metadata=meta,
                       precision=precision)
