"""What the CPU can do fast, for choosing arithmetic precision."""

from __future__ import annotations

import functools
from pathlib import Path


@functools.lru_cache(maxsize=1)
def cpu_has_amx() -> bool:
    """True on x86 CPUs with AMX-BF16 tiles (where bf16 matrix products are several times faster)."""
    try:
        return "amx_bf16" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
