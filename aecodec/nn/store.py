"""Saving and loading model weights as safetensors (fp16 on disk, fp32 in memory)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from safetensors import safe_open

from aecodec.nn.context_model import build_model
from aecodec.nn.model import HyperpriorModel


def state_fingerprint(state: dict[str, torch.Tensor]) -> str:
    """SHA-256 over the names, dtypes, shapes and bytes of the tensors, in name order."""
    digest = hashlib.sha256()
    for name in sorted(state):
        tensor = state[name].detach().cpu().contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
    return digest.hexdigest()


def save_weights(model: HyperpriorModel, path: str | Path, metadata: dict | None = None) -> str:
    """Writes the model's weights in fp16 (atomically); returns their fingerprint."""
    state = {
        name: (t.detach().cpu().half() if t.is_floating_point() else t.detach().cpu()).contiguous()
        for name, t in model.state_dict().items()
    }
    meta = {"config": json.dumps(model.config.to_dict())}
    meta.update({k: str(v) for k, v in (metadata or {}).items()})
    fingerprint = state_fingerprint(state)
    meta["fingerprint"] = fingerprint
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    save_file(state, str(tmp), metadata=meta)
    os.replace(tmp, path)
    return fingerprint


def read_metadata(path: str | Path) -> dict[str, str]:
    with safe_open(str(path), framework="pt") as f:
        return dict(f.metadata() or {})


def short_fingerprint(metadata: dict[str, str]) -> str:
    """The fingerprint's first 8 bytes in hex: the part every .aec file carries, and the weights' name in results."""
    return metadata["fingerprint"][:16]


def load_weights(path: str | Path) -> tuple[HyperpriorModel, dict[str, str]]:
    """Model in fp32 eval mode from a safetensors file, and the file's metadata."""
    meta = read_metadata(path)
    state = load_file(str(path))
    model = build_model(json.loads(meta["config"]))
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    meta["fingerprint"] = state_fingerprint(state)
    return model.eval(), meta
