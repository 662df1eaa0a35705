"""Runtime settings of the model side: the transforms' precision, torch's threads, per-call timings.

None of this changes what a file holds: entropy parameters are derived in float64 on one thread
(``aecodec.entropy_parameters``) whatever is chosen here.
"""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass

import torch

from aecodec.hardware import cpu_has_amx

PRECISIONS = ("auto", "bf16", "fp32")


def resolve_precision(precision: str) -> str:
    """"bf16" or "fp32": "auto" is bf16 where the CPU has AMX (fast bf16 matrix units), else fp32.

    Not on AVX512-BF16 alone (AMD Zen 4): there bf16 coded a Kodak image 1.4-1.9x faster than fp32, but its
    decode lost 0.005-0.08 dB PSNR (most at high quality), so the default keeps fp32's quality; training, where
    speed buys quality, does use bf16 there (``aecodec.training.trainer.resolve_precision``)."""
    if precision == "auto":
        return "bf16" if cpu_has_amx() else "fp32"
    if precision not in ("bf16", "fp32"):
        raise ValueError(f"precision must be 'auto', 'bf16' or 'fp32', got {precision!r}")
    return precision


@contextlib.contextmanager
def torch_threads(count: int | None):
    """Runs the block with ``count`` torch threads (None: leave as is)."""
    if count is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@dataclass
class Timings:
    transform_s: float = 0.0
    entropy_s: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {"transform_s": self.transform_s, "entropy_s": self.entropy_s}


# The Timings of the call in progress, per thread (and task): an engine is shared by every Codec of its
# model, so the time it spends is added here, never kept on the engine.
_CALL_TIMINGS: contextvars.ContextVar[Timings | None] = contextvars.ContextVar("aecodec_call_timings", default=None)


@contextlib.contextmanager
def timed_call():
    """Yields a new Timings that collects the engine time of the block's engine calls in this thread only."""
    timings = Timings()
    token = _CALL_TIMINGS.set(timings)
    try:
        yield timings
    finally:
        _CALL_TIMINGS.reset(token)


def call_timings() -> Timings:
    """Where model-side code adds its time: the current ``timed_call``'s Timings (outside one, a scratch one)."""
    current = _CALL_TIMINGS.get()
    return Timings() if current is None else current
