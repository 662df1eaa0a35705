"""bench/ceiling.py and training.evaluate.transform_ceiling: coded PSNR against the transforms' ceiling."""

import json

import numpy as np
import pytest
from PIL import Image

from aecodec.nn.store import load_weights, save_weights
from aecodec.releases import encoder_weights
from aecodec.training.evaluate import transform_ceiling
from aecodec.training.widen import widen
from bench import ceiling
from conftest import synthetic_photo
from test_context_model import tiny_context_model


def test_rounding_costs_most_at_the_lowest_level():
    model, _ = load_weights(encoder_weights(1))
    image = np.asarray(Image.open("aecodec/data/sample.png").convert("RGB"))
    (coded_low, ceiling_low), (coded_high, ceiling_high) = transform_ceiling(model.eval(), image, [0.0, 9.0])
    assert ceiling_low - coded_low > 3.0  # the coarsest quantization loses several dB
    assert 0.0 < ceiling_high - coded_high < ceiling_low - coded_low
    assert coded_high > coded_low + 5.0


@pytest.fixture
def data(tmp_path):
    """A training folder of 10 photos: the 10th is the one held out."""
    folder = tmp_path / "train"
    folder.mkdir()
    for i in range(10):
        Image.fromarray(synthetic_photo(64, 96, seed=40 + i)).save(folder / f"im{i:02d}.png")
    return folder


def test_results_name_both_models_and_every_level(data, tmp_path):
    extra = tmp_path / "wide.safetensors"
    save_weights(widen(tiny_context_model(), 4), extra)
    assert ceiling.main(["--data", str(data), "--out", str(tmp_path / "out"), "--weights", str(extra)]) == 0
    result = json.loads((tmp_path / "out" / "results.json").read_text())
    assert result["meta"]["images"] == 1
    assert set(result["models"]) == {"model 1", "model 2", "wide.safetensors"}
    for r in result["models"].values():
        assert len(r["coded_psnr"]) == len(r["ceiling_psnr"]) == len(ceiling.LEVELS)
    assert "| model 2 (" in (tmp_path / "out" / "results.md").read_text()


def test_missing_weights_file_is_a_usage_error(data, tmp_path):
    with pytest.raises(SystemExit):
        ceiling.main(["--data", str(data), "--out", str(tmp_path / "out"), "--weights", str(tmp_path / "none")])


def test_no_held_out_photo_is_a_usage_error(tmp_path):
    with pytest.raises(SystemExit):
        ceiling.main(["--data", str(tmp_path), "--out", str(tmp_path / "out")])
