"""Random mutations of the core seeds through core_harness, without atheris: for a sanitizer build of
_core (build_sanitized.sh), where atheris's coverage counters do not work.

    python fuzz/mutate.py --seconds 600 [--seed 0]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import core_harness

HERE = Path(__file__).resolve().parent


def mutate(rng: np.random.Generator, data: bytes) -> bytes:
    """Bit flips, truncation, appended or overwritten bytes, or a fresh random stream."""
    b = bytearray(data)
    kind = rng.integers(5)
    if kind == 0 and b:
        for _ in range(rng.integers(1, 4)):
            i = rng.integers(len(b))
            b[i] ^= 1 << rng.integers(8)
    elif kind == 1:
        del b[rng.integers(len(b) + 1):]
    elif kind == 2:
        b += rng.bytes(rng.integers(1, 9))
    elif kind == 3 and b:
        i = rng.integers(len(b))
        b[i:i + 4] = rng.bytes(4)
    else:
        b = bytearray(rng.bytes(rng.integers(0, 2 * len(b) + 2)))
    return bytes(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    folders = [HERE / "corpus" / "core", HERE / "work" / "core"]
    seeds = [p.read_bytes() for folder in folders if folder.is_dir() for p in sorted(folder.iterdir())]
    rng = np.random.default_rng(args.seed)
    end = time.monotonic() + args.seconds
    count = 0
    while time.monotonic() < end:
        seed = seeds[rng.integers(len(seeds))]
        # Mostly keep the 4-byte harness header (kind, n, threads) so that the stream itself is mutated.
        core_harness.one_input(seed[:4] + mutate(rng, seed[4:]) if rng.random() < 0.8 else mutate(rng, seed))
        count += 1
    from aecodec import _core

    print(f"core: {count} executions in {args.seconds:g} s, no crash ({_core.__file__})")


if __name__ == "__main__":
    main()
