"""Releases: every released model's golden file decodes as the day it shipped, released weights never
change, every weights file is released or development, and the version agrees everywhere."""

from __future__ import annotations

import json
import re
import shutil
from importlib.metadata import version as installed_version
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import aecodec
from aecodec import models, releases
from aecodec.errors import ModelMismatchError
from conftest import PRECISIONS, PSNR_TOLERANCE_DB, TINY_MODEL

REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "data" / "releases"
MANIFEST = json.loads((GOLDEN / "golden.json").read_text())
CHANGELOG = REPO / "CHANGELOG.md"
# bf16 moves reconstructions by hundredths of a dB, by how much depends on the CPU's bf16 kernels: 0.02 dB held
# for model 1 on the AMX Xeon, an AMD EPYC with AVX2 alone measured 0.031. A released file must stay within
# conftest's bf16 tolerance of its fp32 decode; fp32 is held to the very pixels.
BF16_PSNR_TOLERANCE_DB = PSNR_TOLERANCE_DB["bf16"]
VERSION_HEADING = re.compile(r"^## (\d+\.\d+\.\d+(?:\.dev\d+)?) \((\d{4}-\d{2}-\d{2}|unreleased)\)$", re.M)


def _load_generator():
    """tests/data/releases/make_golden.py, whose pixel hash and PSNR the checks must repeat exactly."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_golden", GOLDEN / "make_golden.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_generator = _load_generator()
_pixel_hash, _psnr = _generator.pixel_hash, _generator.psnr


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_golden_file_decodes_as_released(name, precision):
    """fp32: the very pixels recorded when the release shipped; bf16: the same PSNR within conftest's bf16
    tolerance."""
    golden = MANIFEST[name]
    data = (GOLDEN / golden["file"]).read_bytes()
    header = aecodec.info(data)
    assert (header.model_id, header.fingerprint, header.release) == (golden["model_id"], golden["fingerprint"],
                                                                     golden["release"])
    # The default codec of this build, whatever weights it encodes with, finds the released ones.
    decoded = aecodec.Codec(golden["model_id"], precision=precision).decode(data)
    if precision == "fp32":
        assert _pixel_hash(decoded) == golden["fp32_pixel_sha256"]
    else:
        source = np.asarray(Image.open(GOLDEN / golden["source"]))
        assert abs(_psnr(source, np.asarray(decoded)) - golden["fp32_psnr_db"]) <= BF16_PSNR_TOLERANCE_DB


def test_every_released_model_has_a_golden_file():
    golden = {(g["model_id"], g["fingerprint"]) for g in MANIFEST.values()}
    assert set(releases.released_weights()) <= golden, "make one with tests/data/releases/make_golden.py"


def test_released_weights_are_in_the_package_unchanged():
    from safetensors.torch import load_file

    from aecodec.nn.store import state_fingerprint

    for (model_id, short), (release, weights) in releases.released_weights().items():
        assert weights.path.exists(), f"release {release.version}'s weights {weights.filename} are missing"
        assert state_fingerprint(load_file(str(weights.path))) == weights.fingerprint, (
            f"{weights.filename} no longer holds the weights release {release.version} shipped")


def test_every_weights_file_is_released_or_development():
    released = {w.filename: key for key, (_, w) in releases.released_weights().items()}
    development = {e.filename: e.model_id for e in models.REGISTRY.values()}
    for path in sorted(models.WEIGHTS_DIR.glob("*.safetensors")):
        assert path.name in released or path.name in development, (
            f"{path.name}: name released weights <model>-<fingerprint16>.safetensors and list them in a release, "
            "or keep development weights at the registry's file name")
        if path.name in development:
            model_id = development[path.name]
            full = releases.development_fingerprint(model_id)
            assert (model_id, full[:16]) not in releases.released_weights(), (
                f"{path.name} repeats released weights: remove the copy")


def test_release_entries_are_well_formed():
    versions = [r.version for r in releases.RELEASES]
    assert len(set(versions)) == len(versions)
    for release in releases.RELEASES:
        ids = [w.model_id for w in release.encodes]
        assert ids and len(set(ids)) == len(ids), f"{release.version}: one weights per model id"
        assert all(i in models.REGISTRY and len(w.fingerprint) == 64 for i, w in zip(ids, release.encodes))


def test_version_agrees_with_metadata_and_changelog():
    headings = VERSION_HEADING.findall(CHANGELOG.read_text())
    assert headings, "CHANGELOG.md has no '## X.Y.Z (YYYY-MM-DD)' entry"
    assert headings[0][0] == aecodec.__version__, "the top CHANGELOG.md entry names another version"
    assert installed_version("aecodec") == aecodec.__version__, "installed metadata is stale: reinstall"
    dates = dict(headings)
    for release in releases.RELEASES:
        assert dates.get(release.version) == release.date, f"CHANGELOG.md lacks '## {release.version} ({release.date})'"


def test_a_release_version_holds_only_released_weights():
    """A version without .devN is a release: it encodes only with that release's weights."""
    development = [e.filename for e in models.REGISTRY.values() if e.path.exists()]
    if ".dev" in aecodec.__version__:
        return
    assert aecodec.__version__ == releases.RELEASES[-1].version, "a release version must be the last release"
    assert not development, f"{development}: development weights, but {aecodec.__version__} is a release version " \
                            "(make it X.Y.Z.dev0, or release the weights)"


def test_info_names_release(tmp_path, capsys):
    from aecodec import cli

    path = tmp_path / "golden.aec"
    shutil.copy(GOLDEN / MANIFEST["0.1.0-model1"]["file"], path)
    assert cli.main(["info", str(path)]) == 0
    assert "model 1 (hyperprior-gain-n128-m192) weights 3c32dda32dbb52a6, release 0.1.0" in capsys.readouterr().out


@pytest.fixture
def development_weights(tmp_path, monkeypatch):
    """A weights folder holding the released weights and, as model 1's development weights, the tiny model."""
    folder = tmp_path / "weights"
    folder.mkdir()
    for _, weights in releases.released_weights().values():
        (folder / weights.filename).symlink_to(weights.path)
    shutil.copy(TINY_MODEL, folder / models.entry(1).filename)
    monkeypatch.setattr(models, "WEIGHTS_DIR", folder)
    return folder / models.entry(1).filename


def test_development_weights_say_so(development_weights, photo, capsys, tmp_path):
    from aecodec import cli

    assert releases.encoder_weights(1) == development_weights
    data = aecodec.Codec(weights=development_weights, precision="fp32").encode(photo, quality=50)
    info = aecodec.info(data)
    assert info.development and info.release is None
    (tmp_path / "dev.aec").write_bytes(data)
    assert cli.main(["info", str(tmp_path / "dev.aec")]) == 0
    assert ", development weights (not released)" in capsys.readouterr().out
    # A codec holding the development weights still decodes the release's golden file, with the release's.
    golden = MANIFEST["0.1.0-model1"]
    holder = aecodec.Codec(weights=development_weights, precision="fp32")
    assert _pixel_hash(holder.decode(GOLDEN / golden["file"])) == golden["fp32_pixel_sha256"]


def test_weights_no_release_shipped_are_reported():
    origin = releases.describe(1, "16d826d308a7d181")  # weights of a build before 0.1.0
    assert origin.release is None and not origin.development and "not in this aecodec" in str(origin)
    with pytest.raises(ModelMismatchError, match="16d826d308a7d181 of model 1 .* does not hold"):
        releases.weights_path(1, bytes.fromhex("16d826d308a7d181"))
    with pytest.raises(ModelMismatchError, match="unknown to this aecodec"):
        releases.weights_path(999, "16d826d308a7d181")
    assert "unknown to this aecodec" in str(releases.describe(999, "16d826d308a7d181"))


def test_weights_whose_metadata_lies_are_refused(development_weights, photo):
    """The lookup trusts a file's recorded fingerprint, the decoder checks it against the tensors."""
    from safetensors.torch import load_file, save_file

    from aecodec import container
    from aecodec.nn.store import read_metadata

    claimed = "ff" * 32
    save_file(load_file(str(TINY_MODEL)), str(development_weights),
              metadata={**read_metadata(TINY_MODEL), "fingerprint": claimed})
    parsed = container.parse(aecodec.Codec(weights=TINY_MODEL, precision="fp32").encode(photo, quality=50))
    parsed.header.fingerprint = bytes.fromhex(claimed[:16])
    data = container.serialize(parsed)
    assert aecodec.info(data).development
    with pytest.raises(ModelMismatchError, match=f"{claimed[:16]} of model 1, but .* holds"):
        aecodec.Codec(weights=TINY_MODEL, precision="fp32").decode(data)
