"""What the CPU can do fast, for choosing arithmetic precision."""

from __future__ import annotations

import functools
from pathlib import Path


@functools.lru_cache(maxsize=1)
def _cpu_flags() -> frozenset[str]:
    """The flags /proc/cpuinfo lists (empty where it cannot be read: not Linux, or no x86 flags line)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.partition(":")[2].split())
    return frozenset()


def cpu_has_amx() -> bool:
    """True on x86 CPUs with AMX-BF16 tiles (where bf16 matrix products are several times faster)."""
    return "amx_bf16" in _cpu_flags()


def cpu_has_bf16_instructions() -> bool:
    """True on x86 CPUs with bf16 dot products (AVX512-BF16, as on AMD Zen 4, or AMX): there bf16 training
    measured about twice as fast as fp32 (docs/TRAINING.md); without them bf16 is emulated and slower."""
    return cpu_has_amx() or "avx512_bf16" in _cpu_flags()
