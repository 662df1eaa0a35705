"""Registry of shipped models: ids are written into .aec files, so entries are append-only."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from aecodec.errors import ModelMismatchError

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


@dataclass(frozen=True)
class ModelEntry:
    model_id: int
    name: str
    filename: str  # the development weights (where training ships); released ones: aecodec.releases

    @property
    def path(self) -> Path:
        return WEIGHTS_DIR / self.filename


# Never renumber or reuse an id: files in the wild name their model by it.
REGISTRY: dict[int, ModelEntry] = {
    1: ModelEntry(1, "hyperprior-gain-n128-m192", "hyperprior-gain-n128-m192.safetensors"),
    # Model 2: model 1's transforms plus a slice/checkerboard context entropy model (aecodec/nn/context_model.py).
    2: ModelEntry(2, "context-gain-n128-m192", "context-gain-n128-m192.safetensors"),
}
DEFAULT_MODEL_ID = 1


def entry(model_id: int) -> ModelEntry:
    """The registry entry of ``model_id``; ModelMismatchError if this build does not know it."""
    try:
        return REGISTRY[model_id]
    except KeyError:
        known = ", ".join(f"{k} ({v.name})" for k, v in REGISTRY.items())
        raise ModelMismatchError(f"file was made by model id {model_id}, unknown to this aecodec (knows {known})") from None


def load_engine(model_id: int = DEFAULT_MODEL_ID, weights_path: str | None = None, precision: str = "auto"):
    """A ready-to-code engine (cached) for an explicit weights file, or for the weights this build
    encodes ``model_id`` with (see ``aecodec.releases.encoder_weights``)."""
    from aecodec.releases import encoder_weights

    return _load_engine(model_id, str(weights_path or encoder_weights(model_id)), precision)


@functools.lru_cache(maxsize=4)
def _load_engine(model_id: int, weights_path: str, precision: str):
    from aecodec.context_engine import ContextEngine
    from aecodec.engine import CodecEngine
    from aecodec.nn.context_model import ContextModel
    from aecodec.nn.store import load_weights

    path = Path(weights_path)
    if not path.exists():
        raise ModelMismatchError(f"weights of model {model_id} not found at {path}")
    model, meta = load_weights(path)
    engine_class = ContextEngine if isinstance(model, ContextModel) else CodecEngine
    return engine_class(model=model, model_id=model_id, fingerprint=meta["fingerprint"], metadata=meta,
                        precision=precision)
