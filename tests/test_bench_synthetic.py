"""bench/synthetic.py: model 2 against model 1 on smooth synthetic content, from real files."""

import json

from bench import synthetic


def test_results_hold_both_models_curves_and_the_bd_rate(tmp_path):
    assert synthetic.main(["--images", "2", "--qualities", "20,60", "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "results.json").read_text())
    assert result["meta"]["images"] == 2 and list(result["meta"]["qualities"]) == [20, 60]
    models = result["models"]
    assert set(models) == {"model 1", "model 2"} and models["model 1"]["bd_rate_vs_model_1"] is None
    for r in models.values():
        assert r["bpp"][0] < r["bpp"][1] and r["psnr"][0] < r["psnr"][1]  # more bits, more quality
    assert isinstance(models["model 2"]["bd_rate_vs_model_1"], float)
    assert "BD-rate vs model 1" in (tmp_path / "results.md").read_text()


def test_the_synthetic_set_is_fixed():
    first, second = synthetic.synthetic_images(), synthetic.synthetic_images()
    assert len(first) == 9 and first[0].shape == (512, 512, 3) and first[1].shape == (256, 256, 3)
    assert all((a == b).all() for a, b in zip(first, second))
