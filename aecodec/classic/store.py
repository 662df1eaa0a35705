"""Saving and loading classic autoencoders: ``model.safetensors`` (weights) + ``config.json``
(the :class:`AEConfig` and free-form metadata such as the training data). No pickled classes."""

from __future__ import annotations

import json
from pathlib import Path

from safetensors.torch import load_file, save_file

from aecodec.classic.models import AEConfig, Autoencoder, build_model

WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"


def save_model(model: Autoencoder, folder: str | Path, meta: dict | None = None) -> Path:
    """Write the model's weights and config (plus ``meta``) into ``folder``; returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    save_file(state, str(folder / WEIGHTS_NAME))
    doc = {"format": "aecodec-classic/1", "config": model.cfg.to_dict(), "meta": meta or {}}
    (folder / CONFIG_NAME).write_text(json.dumps(doc, indent=2) + "\n")
    return folder


def load_model(folder: str | Path) -> tuple[Autoencoder, dict]:
    """Rebuild a model saved by :func:`save_model`, in eval mode; returns (model, meta)."""
    folder = Path(folder)
    doc = json.loads((folder / CONFIG_NAME).read_text())
    model = build_model(AEConfig.from_dict(doc["config"]))
    model.load_state_dict(load_file(str(folder / WEIGHTS_NAME)))
    model.eval()
    return model, doc.get("meta", {})
