"""aecodec.hardware: which CPUs get bf16, for inference and for training."""

import pytest
import torch

from aecodec import hardware
from aecodec.runtime import resolve_precision
from aecodec.training.trainer import resolve_precision as training_precision

CPU = torch.device("cpu")


@pytest.mark.parametrize("flags, inference, training", [
    ({"avx2", "fma"}, "fp32", "fp32"),  # bf16 emulated: slower than fp32
    ({"avx512f", "avx512_bf16"}, "fp32", "bf16"),  # Zen 4: bf16 trains 2x faster
    ({"avx512_bf16", "amx_tile", "amx_bf16"}, "bf16", "bf16"),  # AMX Xeon
    (set(), "fp32", "fp32"),  # no /proc/cpuinfo
])
def test_auto_precision_follows_the_cpu_flags(monkeypatch, flags, inference, training):
    monkeypatch.setattr(hardware, "_cpu_flags", lambda: frozenset(flags))
    assert resolve_precision("auto") == inference
    assert training_precision("auto", CPU) == training
    assert training_precision("fp32", CPU) == "fp32" and resolve_precision("bf16") == "bf16"


def test_the_flags_are_read_from_this_machine():
    flags = hardware._cpu_flags()
    assert isinstance(flags, frozenset)
    assert hardware.cpu_has_amx() == ("amx_bf16" in flags)
