"""Registry of shipped models, as data: ids are written into .aec files, so entries are append-only.

Each entry names a model and its development weights file; ``aecodec.releases`` holds the weights
(fingerprints) each release shipped, and ``aecodec.loading`` builds and caches coders from weights files.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from pathlib import Path

from aecodec.errors import InvalidArgumentError, ModelMismatchError

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


@dataclass(frozen=True)
class ModelEntry:
    model_id: int
    name: str
    filename: str  # the development weights (where training ships); released ones: aecodec.releases
    kind: str  # the architecture, as the weights' stored config names it (aecodec.loading.CODER_OF_KIND)

    @property
    def path(self) -> Path:
        return WEIGHTS_DIR / self.filename


# Never renumber or reuse an id: files in the wild name their model by it.
REGISTRY: dict[int, ModelEntry] = {
    1: ModelEntry(1, "hyperprior-gain-n128-m192", "hyperprior-gain-n128-m192.safetensors", "hyperprior"),
    # Model 2: model 1's transforms plus a slice/checkerboard context entropy model (aecodec/nn/context_model.py).
    2: ModelEntry(2, "context-gain-n128-m192", "context-gain-n128-m192.safetensors", "context"),
}
# The model aecodec.encode and `aecodec encode` write with when no model id is named.
DEFAULT_MODEL_ID = 2


def _known() -> str:
    return ", ".join(f"{k} ({v.name})" for k, v in REGISTRY.items())


def entry(model_id: int) -> ModelEntry:
    """The registry entry of the model id a file names; ModelMismatchError if this build does not know it."""
    try:
        return REGISTRY[model_id]
    except KeyError:
        raise ModelMismatchError(f"file was made by model id {model_id}, unknown to this aecodec "
                                 f"(knows {_known()})") from None


def check_model_id(model_id) -> int:
    """A model id asked for (not read from a file), as an int: InvalidArgumentError if it is not an
    integer, ModelMismatchError if this build does not know it."""
    if isinstance(model_id, bool) or not isinstance(model_id, numbers.Integral):
        raise InvalidArgumentError(f"model ids are integers (such as {DEFAULT_MODEL_ID}), got {model_id!r}")
    if model_id not in REGISTRY:
        raise ModelMismatchError(f"unknown model {model_id} (this aecodec knows {_known()})")
    return int(model_id)


def model_id_of_kind(kind: str) -> int:
    """The registered model whose architecture weights of this kind hold (for weights given without a model
    id); ModelMismatchError if no model, or more than one, has it."""
    ids = [model_id for model_id, e in REGISTRY.items() if e.kind == kind]
    if len(ids) != 1:
        raise ModelMismatchError(f"weights of kind {kind!r} match {'no' if not ids else 'several'} registered "
                                 f"models ({_known()}): name the model id")
    return ids[0]
