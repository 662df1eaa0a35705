"""``aecodec demo``: works without ../shared, on the sample image the package ships."""

import re

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
