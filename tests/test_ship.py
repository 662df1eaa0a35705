"""Shipping: the model history keeps one row per fingerprint and the card shows it."""

import json
import shutil

from aecodec.nn.store import read_metadata
from aecodec.training.ship import update_history, write_model_card
from conftest import TEST_DATA


def _results(folder, psnr, msssim):
    folder.mkdir()
    (folder / "bd_rates.json").write_text(json.dumps({"aecodec": {"psnr": psnr, "msssim": msssim}}))
    return folder


def test_history_rows_per_fingerprint(tmp_path):
    weights = tmp_path / "model.safetensors"
    shutil.copyfile(TEST_DATA / "tiny_model.safetensors", weights)
    history = tmp_path / "history.csv"
    history.write_text("date,fingerprint,steps,train_hours,kodak_bd_psnr,kodak_bd_msssim,holdout_bd_psnr,"
                       "format_version\n2026-01-01,00aa00aa00aa00aa,10,0.01,5.0,9.0,,1\n")
    kodak = _results(tmp_path / "kodak", -12.5, 3.0)
    rows = update_history(history, weights, kodak, _results(tmp_path / "holdout", -11.0, 2.0))
    assert [r["fingerprint"] for r in rows] == ["00aa00aa00aa00aa", read_metadata(weights)["fingerprint"][:16]]
    assert rows[-1]["kodak_bd_psnr"] == "-12.5" and rows[-1]["holdout_bd_psnr"] == "-11.0"
    # Shipping the same weights again replaces their row rather than adding one.
    rows = update_history(history, weights, _results(tmp_path / "kodak2", -13.0, 1.0), None)
    assert len(rows) == 2 and rows[-1]["kodak_bd_psnr"] == "-13.0" and rows[-1]["holdout_bd_psnr"] == ""
    card = write_model_card(weights, None, kodak, history)
    assert "| 2026-01-01 | 10 | 0.01 | +5.0 % | +9.0 % | - | 1 |" in card
    assert "-13.0 %" in card and (tmp_path / "MODEL_CARD.md").read_text() == card
