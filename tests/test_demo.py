"""``aecodec demo``: works without ../shared, on the sample image the package ships."""

import re
import subprocess
import sys

from PIL import Image

from aecodec import demo


def test_demo_runs_on_the_packaged_sample(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(demo, "KODAK_SAMPLE", tmp_path / "absent.png")
    sample = demo.default_image()
    assert sample.name == "sample.png" and sample.stat().st_size < 200_000
    with Image.open(sample) as image:
        assert image.mode == "RGB" and image.size == (256, 256)
    assert demo.run(None, 75.0) == 0
    out = capsys.readouterr().out
    aec = re.search(r"aecodec q=75\s+(\d+) bytes\s+([\d.]+) bpp\s+PSNR ([\d.]+) dB", out)
    jpeg = re.search(r"JPEG\s+q=\d+\s+(\d+) bytes", out)
    assert aec and jpeg and int(jpeg.group(1)) <= int(aec.group(1)) and float(aec.group(3)) > 30


def test_demo_on_a_tiny_image_says_no_jpeg_is_as_small(tmp_path, capsys):
    Image.new("RGB", (1, 1), (200, 40, 90)).save(tmp_path / "1x1.png")
    assert demo.run(str(tmp_path / "1x1.png"), 75.0) == 0
    out = capsys.readouterr().out
    aec = int(re.search(r"aecodec q=75\s+(\d+) bytes", out).group(1))
    jpeg = int(re.search(r"JPEG\s+q=1\s+(\d+) bytes", out).group(1))
    assert jpeg > aec  # even quality 1 has a larger file: JPEG's headers alone outweigh aecodec's file
    assert "no quality fits" in out and "not above aecodec's" not in out


def test_demo_bad_input_is_a_one_line_error(tmp_path):
    (tmp_path / "bad.png").write_text("not an image")
    for path, reason in ((tmp_path / "bad.png", "not an image format"), (tmp_path, "is a folder")):
        result = subprocess.run([sys.executable, "-m", "aecodec", "demo", str(path)], capture_output=True, text=True)
        assert result.returncode == 1 and result.stdout == ""
        assert result.stderr.startswith("aecodec: error: ") and reason in result.stderr
        assert len(result.stderr.splitlines()) == 1
