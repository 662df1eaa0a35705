"""The fuzz harnesses (fuzz/) accept their committed seed corpus: the seeds decode, and the harnesses
stay in step with the code. No fuzzing here (that is fuzz/run.py, not CI)."""

from pathlib import Path

import pytest

from fuzz import container_harness, core_harness

FUZZ = Path(__file__).resolve().parent.parent / "fuzz"


@pytest.mark.parametrize("harness, target", [(container_harness, "container"), (core_harness, "core")])
def test_harness_accepts_its_seeds(harness, target):
    seeds = sorted((FUZZ / "corpus" / target).iterdir())
    assert len(seeds) >= 5 and sum(p.stat().st_size for p in seeds) < 16_000
    for seed in seeds:
        harness.one_input(seed.read_bytes())


def test_container_seeds_decode():
    from aecodec import container

    for seed in sorted((FUZZ / "corpus" / "container").iterdir()):
        data = seed.read_bytes()[1:]
        image = container_harness.tiny_codec().decode(data)
        assert image.size == (container.parse(data).header.width, container.parse(data).header.height)
