"""Widening model 2's latent (aecodec.training.widen): it starts as the model it widens, then trains on."""

import pytest
import torch
from PIL import Image

from aecodec.nn.store import load_weights, read_metadata, save_weights
from aecodec.training.options import TrainOptions
from aecodec.training.trainer import Trainer
from aecodec.training.widen import main as widen_main, widen
from conftest import TINY_MODEL, synthetic_photo
from test_context_model import tiny_context_model


def test_widened_model_reconstructs_and_codes_the_old_channels_exactly():
    model = tiny_context_model()
    wide = widen(model, extra=6)
    m = model.config.m
    assert wide.config.m == m + 6 and wide.config.slices == (*model.config.slices, 6)
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(3))
    level = torch.tensor([0.5, 8.0])
    with torch.no_grad():
        before, after = model(x, level, "ste"), wide(x, level, "ste")
    assert torch.equal(before["x_hat"], after["x_hat"])
    assert torch.equal(before["z_likelihood"], after["z_likelihood"])
    assert torch.equal(before["y_likelihood"], after["y_likelihood"][:, :m])
    # The new channels are not silent: they carry values the synthesis can learn to use.
    with torch.no_grad():
        gain, _ = wide.gains(level)
        y_new = (wide.g_a(x) * gain)[:, m:]
    assert y_new.abs().max() > 0.5


def test_widen_refuses_model_1_and_nothing_to_add():
    model1, _ = load_weights(TINY_MODEL)
    with pytest.raises(ValueError, match="context model"):
        widen(model1, 4)
    with pytest.raises(ValueError, match="at least 1"):
        widen(tiny_context_model(), 0)


def test_training_goes_on_from_widened_weights(tmp_path):
    folder = tmp_path / "train"
    folder.mkdir()
    for i in range(2):
        Image.fromarray(synthetic_photo(96, 128, seed=40 + i)).save(folder / f"im{i}.png")
    narrow = tmp_path / "narrow.safetensors"
    save_weights(tiny_context_model(), narrow, {"steps": 5, "train_cpu_seconds": 1.5})
    wide = tmp_path / "wide.safetensors"
    assert widen_main(["--weights", str(narrow), "--extra", "4", "--out", str(wide)]) == 0
    assert read_metadata(wide)["steps"] == "5"
    options = TrainOptions(data=str(folder), out=str(tmp_path / "run"), steps=8, patch=64, batch=2, precision="fp32",
                           threads=1, warmup=2, holdout_every=0, compile=False, checkpoint_every_min=1000,
                           eval_every_min=1000, model="context", init_weights=str(wide))
    trainer = Trainer(options)  # the widths come from the weights, not from --channels/--latent-channels
    assert trainer.model.config.m == 16 and trainer.model.config.slices == (2, 2, 4, 4, 4)
    trainer.run()
    resumed = Trainer(TrainOptions(**{**options.__dict__, "steps": 9, "resume": True}))
    assert resumed.step == 8 and resumed.model.config.m == 16
