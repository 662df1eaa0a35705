"""The command line, through subprocess as users run it."""

import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

import aecodec
from conftest import synthetic_photo


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "aecodec", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def make_images(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"img{i}.png"
        Image.fromarray(synthetic_photo(48, 64, seed=i)).save(path)
        paths.append(path)
    return paths


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_version():
    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"aecodec {aecodec.__version__}"


def test_encode_decode_info_and_overwrite_rules(tmp_path):
    (source,) = make_images(tmp_path, 1)
    result = run("encode", source, "-q", "60")
    assert result.returncode == 0, result.stderr
    target = tmp_path / "img0.aec"
    assert "bpp" in result.stdout and target.exists()
    before = target.read_bytes()

    refused = run("encode", source, "-q", "20")
    assert refused.returncode == 1
    assert "exists (use --force to overwrite)" in refused.stderr
    assert "Traceback" not in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert target.read_bytes() == before

    forced = run("encode", source, "-q", "20", "--force")
    assert forced.returncode == 0 and target.read_bytes() != before

    info = run("info", target)
    assert info.returncode == 0 and "48" in info.stdout and "quality 20.0" in info.stdout

    decoded = run("decode", target, "-o", tmp_path / "out.png")
    assert decoded.returncode == 0, decoded.stderr
    assert Image.open(tmp_path / "out.png").size == (64, 48)
    assert run("decode", target, "-o", tmp_path / "out.jpg").returncode == 0
    assert Image.open(tmp_path / "out.jpg").format == "JPEG"
    assert leftovers(tmp_path) == []


def test_folders_globs_and_target_bpp(tmp_path):
    make_images(tmp_path / "in", 3)
    result = run("encode", tmp_path / "in", "-d", tmp_path / "out", "--bpp", "1.0")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["img0.aec", "img1.aec", "img2.aec"]
    result = run("decode", str(tmp_path / "out" / "*.aec"), "-d", tmp_path / "png")
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "png").glob("*.png"))) == 3


def test_bad_input_gives_one_line_error_and_no_output(tmp_path):
    bad = tmp_path / "bad.aec"
    bad.write_bytes(b"\x89AEC\r\n\x1a\n" + b"\0" * 50)
    result = run("decode", bad, "-o", tmp_path / "bad.png")
    assert result.returncode == 1
    assert result.stderr.startswith("aecodec: error:") and "Traceback" not in result.stderr
    assert not (tmp_path / "bad.png").exists() and leftovers(tmp_path) == []

    not_image = tmp_path / "notes.png"
    not_image.write_text("hello")
    result = run("encode", not_image)
    assert result.returncode == 1 and "cannot read image" in result.stderr
    assert not (tmp_path / "notes.aec").exists()

    missing = run("encode", tmp_path / "nope*.png")
    assert missing.returncode == 1 and "no file matches" in missing.stderr
    assert run("info", bad).returncode == 1
    assert run("encode", "-o", tmp_path / "x.aec", *make_images(tmp_path / "two", 2)).returncode == 1


def test_decoded_pixels_match_api(tmp_path):
    image = synthetic_photo(40, 40, seed=11)
    (tmp_path / "a.aec").write_bytes(aecodec.encode(image, quality=70))
    assert run("decode", tmp_path / "a.aec").returncode == 0
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "a.png")),
                                  np.asarray(aecodec.decode((tmp_path / "a.aec").read_bytes())))


def test_encode_effort(tmp_path):
    (source,) = make_images(tmp_path, 1)
    result = run("encode", source, "-q", "40", "-e", "1", "-o", tmp_path / "e1.aec")
    assert result.returncode == 0, result.stderr
    assert aecodec.decode(tmp_path / "e1.aec").size == (64, 48)
    result = run("encode", source, "-e", "4", "-o", tmp_path / "e4.aec")
    assert result.returncode == 2 and "--effort" in result.stderr
    assert not (tmp_path / "e4.aec").exists()
