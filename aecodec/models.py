"""Registry of shipped models, as data: ids are written into .aec files, so entries are append-only.

Each entry names a model and its development weights file; ``aecodec.releases`` holds the weights
(fingerprints) each release shipped, and ``aecodec.loading`` builds and caches coders from weights files.
"""

from __future__ import annotations

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

