"""Input conversion and validation shared by the coders."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidInputError

FORMAT_MAX_SUBSTREAMS = 4096  # most substreams a stream may have (docs/ENTROPY.md; csrc/stream.hpp kMaxSubstreams)


def float32_array(name: str, a) -> np.ndarray:
    a = np.asarray(a)
    if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
        raise InvalidInputError(f"{name} must be a real numeric array, got dtype {a.dtype}")
    return np.ascontiguousarray(a, dtype=np.float32)


def int32_array(name: str, a) -> np.ndarray:
    a = np.asarray(a)
    if not np.issubdtype(a.dtype, np.integer):
        raise InvalidInputError(f"{name} must be an integer array, got dtype {a.dtype}")
    if a.dtype != np.int32 and a.size:
        info = np.iinfo(np.int32)
        if a.min() < info.min or a.max() > info.max:
            raise InvalidInputError(f"{name} has values outside int32")
    return np.ascontiguousarray(a, dtype=np.int32)


def same_shape(ref_name: str, ref: np.ndarray, **others: np.ndarray) -> None:
    for name, a in others.items():
        if a.shape != ref.shape:
            raise InvalidInputError(f"{name} has shape {a.shape}, expected {ref.shape} like {ref_name}")


def stream_bytes(data) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise InvalidInputError(f"data must be bytes, got {type(data).__name__}")


def positive_int(name: str, v, upper: int) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 1 <= v <= upper:
        raise InvalidInputError(f"{name} must be an int in [1, {upper}], got {v!r}")
    return int(v)
