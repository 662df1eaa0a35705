"""10,500 mutated streams must decode or raise an AecodecError: never crash, hang or read out of bounds."""

import time

import numpy as np

from aecodec.entropy import IndexedCoder, default_gaussian_coder
from aecodec.errors import AecodecError

def mutate(rng, data: bytes) -> bytes:
    b = bytearray(data)
    kind = rng.integers(6)
    if kind == 0 and b:  # bit flips
        for _ in range(rng.integers(1, 4)):
            i = rng.integers(len(b))
            b[i] ^= 1 << rng.integers(8)
    elif kind == 1:  # truncation
        del b[rng.integers(len(b) + 1):]
    elif kind == 2:  # appended bytes
        b += rng.bytes(rng.integers(1, 9))
    elif kind == 3:  # random bytes of random length, tag kept half the time
        b = bytearray(rng.bytes(rng.integers(0, 2 * len(b) + 2)))
        if b and rng.random() < 0.5:
            b[0] = 0xA1
    elif kind == 4 and b:  # overwrite a run
        i = rng.integers(len(b))
        b[i:i + 4] = rng.bytes(4)
    else:  # header bytes
        for i in range(min(3, len(b))):
            if rng.random() < 0.5:
                b[i] = rng.integers(256)
    return bytes(b)


def run(decode, data, rng, count):
    ok = bad = 0
    for _ in range(count):
        try:
            decode(mutate(rng, data))
            ok += 1
        except AecodecError:
            bad += 1
    return ok, bad


def test_mutated_gaussian_streams():
    coder = default_gaussian_coder()
    rng = np.random.default_rng(0)
    start = time.monotonic()
    total_bad = 0
    for n, k, big, count in ((40, 1, False, 3000), (300, 3, True, 3000), (1, 1, True, 2000), (0, 1, False, 500)):
        scales = np.exp(rng.uniform(-2, 3, n)).astype(np.float32)
        means = rng.normal(0, 2, n).astype(np.float32)
        y = means + rng.normal(0, 1, n).astype(np.float32) * scales
        if big and n:
            y[:: max(1, n // 5)] = 1e7  # escapes
        data = coder.compress(y, means, scales, substreams=k)
        ok, bad = run(lambda d: coder.decompress(d, means, scales), data, rng, count)
        total_bad += bad
    assert total_bad > 4000
    assert time.monotonic() - start < 60


def test_mutated_indexed_streams():
    coder = IndexedCoder.from_pmfs(np.full((3, 8), 0.125), np.array([8, 5, 2]), np.array([0, -2, 100]))
    rng = np.random.default_rng(1)
    idx = rng.integers(0, 3, 200).astype(np.int32)
    sym = rng.integers(-5, 110, 200).astype(np.int32)
    data = coder.compress(sym, idx)
    ok, bad = run(lambda d: coder.decompress(d, idx), data, rng, 2000)
    assert bad > 1000
