"""Frozen bitstreams: streams written by an earlier build must keep decoding to the same symbols.

The inputs and expected symbols live in entropy_golden.npz, the streams in entropy_golden.bin.
Regenerate (only when the format changes on purpose) with: AECODEC_REGEN_GOLDEN=1 pytest tests/test_entropy_golden.py
"""

import os
from pathlib import Path

import numpy as np
import pytest

from aecodec.entropy import IndexedCoder, default_gaussian_coder

DATA = Path(__file__).parent / "data"
BIN = DATA / "entropy_golden.bin"
NPZ = DATA / "entropy_golden.npz"


def fresh_inputs():
    rng = np.random.default_rng(20240601)
    shape = (1, 6, 8, 10)
    scales = np.exp(rng.uniform(np.log(0.05), np.log(300), shape)).astype(np.float32)
    means = rng.normal(0, 3, shape).astype(np.float32)
    y = (means + rng.normal(0, 1, shape) * scales).astype(np.float32)
    y.flat[::37] = rng.choice([-1e8, 5e4, 2e9], y.flat[::37].shape)  # escapes
    offsets = np.array([-4, 0, 3, -100])
    idx = rng.integers(0, 4, 300).astype(np.int32)
    return dict(y=y, means=means, scales=scales, pmfs=rng.dirichlet(np.ones(9), 4), lengths=np.array([9, 5, 1, 7]),
                offsets=offsets, idx=idx, sym=(offsets[idx] + rng.integers(-2, 10, 300)).astype(np.int32))


def encode_all(d):
    g = default_gaussian_coder().compress(d["y"], d["means"], d["scales"], substreams=3)
    i = IndexedCoder.from_pmfs(d["pmfs"], d["lengths"], d["offsets"]).compress(d["sym"], d["idx"])
    return g, i


@pytest.mark.skipif(not os.environ.get("AECODEC_REGEN_GOLDEN"), reason="set AECODEC_REGEN_GOLDEN=1 to rewrite")
def test_regenerate():
    d = fresh_inputs()
    g, i = encode_all(d)
    BIN.write_bytes(g + i)
    np.savez_compressed(NPZ, gaussian_len=len(g), y_sym=np.rint(d["y"] - d["means"]).astype(np.int32), **d)


def test_golden_decodes():
    d = np.load(NPZ)
    blob = BIN.read_bytes()
    cut = int(d["gaussian_len"])
    _, y_sym = default_gaussian_coder().decompress(blob[:cut], d["means"], d["scales"], threads=2)
    np.testing.assert_array_equal(y_sym, d["y_sym"])
    coder = IndexedCoder.from_pmfs(d["pmfs"], d["lengths"], d["offsets"])
    np.testing.assert_array_equal(coder.decompress(blob[cut:], d["idx"]), d["sym"])


def test_encoder_still_writes_golden():
    g, i = encode_all(np.load(NPZ))
    assert g + i == BIN.read_bytes()
