"""Model 2's golden file: the decoder picks the encoder's tables with any thread count and precision."""

import json
import math

import numpy as np
import pytest
from PIL import Image

import aecodec
from aecodec import container, releases
from aecodec.engine import CodedLatents
from conftest import TEST_DATA

GOLDEN = TEST_DATA / "model2"


def _latent_hash(latent) -> str:
    import hashlib

    return hashlib.sha256(np.ascontiguousarray(latent.numpy(), dtype="<f4").tobytes()).hexdigest()


@pytest.fixture(scope="module")
def golden():
    record = json.loads((GOLDEN / "golden.json").read_text())
    data = (GOLDEN / "golden.aec").read_bytes()
    parsed = container.parse(data)
    assert parsed.header.model_id == 2
    # New development weights need a new golden file: tests/data/model2/make_golden.py.
    releases.weights_path(2, parsed.header.fingerprint)
    return record, data, parsed


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
@pytest.mark.parametrize("threads", [1, 2])
def test_coded_latent_is_the_same_on_every_path(golden, precision, threads):
    record, _, parsed = golden
    codec = aecodec.Codec(2, precision=precision, threads=threads)
    coded = CodedLatents(parsed.sections[container.HYPER_LATENT], parsed.sections[container.LATENT])
    latent, _ = codec.engine.decode_coded_latent(coded, parsed.header.height, parsed.header.width, threads)
    assert _latent_hash(latent) == record["coded_latent_sha256"]


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_golden_decodes_to_its_quality(golden, precision):
    record, data, parsed = golden
    source = np.asarray(Image.open(GOLDEN / "golden-source.png").convert("RGB"), dtype=np.float64)
    decoded = np.asarray(aecodec.Codec(2, precision=precision).decode(data), dtype=np.float64)
    psnr = 10 * math.log10(255**2 / np.mean((decoded - source) ** 2))
    assert psnr == pytest.approx(record["psnr_fp32_db"], abs=0.02 if precision == "fp32" else 0.15)


def test_command_line_encodes_with_model_2(tmp_path):
    import subprocess
    import sys

    source = tmp_path / "in.png"
    Image.open(GOLDEN / "golden-source.png").save(source)
    out = tmp_path / "in.aec"
    run = subprocess.run([sys.executable, "-m", "aecodec", "encode", str(source), "-o", str(out), "--model", "2",
                          "-q", "40", "--quiet"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert aecodec.info(out).model_id == 2
    assert aecodec.decode(out).size == Image.open(source).size
    bad = subprocess.run([sys.executable, "-m", "aecodec", "encode", str(source), "-o", str(tmp_path / "x.aec"),
                          "--model", "99"], capture_output=True, text=True)
    assert bad.returncode != 0 and "99" in bad.stderr and "Traceback" not in bad.stderr
