"""Growing a model's quality range: old levels unchanged, new ones below, checkpoints resume."""


import pytest
import torch
from PIL import Image

from aecodec.nn.model import DEFAULT_LAMBDAS, HyperpriorModel, ModelConfig
from aecodec.training.levels import extend_checkpoint, extend_state, prepended_count
from aecodec.training.options import TrainOptions
from aecodec.training.trainer import Trainer, build_optimizer
from conftest import synthetic_photo, training_log

OLD_LAMBDAS = DEFAULT_LAMBDAS[2:]


def small_model(lambdas, conditioned=False):
    torch.manual_seed(0)
    return HyperpriorModel(ModelConfig(n=16, m=24, lambdas=tuple(lambdas), conditioned_synthesis=conditioned,
                                       conditioned_analysis=conditioned))


def test_old_levels_keep_their_gains_and_new_ones_continue_the_line():
    old = small_model(OLD_LAMBDAS)
    new = small_model(DEFAULT_LAMBDAS)
    new.load_state_dict(extend_state(old.state_dict(), DEFAULT_LAMBDAS))
    count = len(DEFAULT_LAMBDAS) - len(OLD_LAMBDAS)
    for level in (0.0, 1.5, 3.25, len(OLD_LAMBDAS) - 1.0):
        for a, b in zip(old.gains(torch.tensor([level])), new.gains(torch.tensor([level + count]))):
            torch.testing.assert_close(a, b, rtol=1e-6, atol=0)
    step = old.log_gain[0] - old.log_gain[1]
    torch.testing.assert_close(new.log_gain[count - 1], old.log_gain[0] + step)
    # lower levels mean smaller gains: coarser quantization, fewer bits
    assert (new.log_gain[0] < new.log_gain[count]).all()


def test_only_levels_below_the_lowest_can_be_added():
    assert prepended_count(OLD_LAMBDAS, DEFAULT_LAMBDAS) == 2
    with pytest.raises(ValueError, match="only levels below the lowest"):
        prepended_count(DEFAULT_LAMBDAS, OLD_LAMBDAS)
    with pytest.raises(ValueError, match="only levels below the lowest"):
        prepended_count(OLD_LAMBDAS, (*OLD_LAMBDAS, 0.5))


def _checkpoint_with(lambdas, conditioned=False) -> dict:
    model = small_model(lambdas, conditioned)
    optimizer = build_optimizer(model, 1e-3)
    for p in model.parameters():
        p.grad = torch.ones_like(p)
    optimizer.step()
    return {"model": model.state_dict(), "ema": model.state_dict(), "optimizer": optimizer.state_dict(),
            "step": 5, "elapsed": 1.0}


@pytest.mark.parametrize("conditioned", [False, True])
def test_checkpoint_extension_grows_the_optimizer_moments(conditioned):
    old = _checkpoint_with(OLD_LAMBDAS, conditioned)
    checkpoint = extend_checkpoint(old, DEFAULT_LAMBDAS)
    model = small_model(DEFAULT_LAMBDAS, conditioned)
    optimizer = build_optimizer(model, 1e-3)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    if conditioned:  # the new levels' scales start as the lowest old level's; the old levels keep theirs
        for table in (model.synthesis_modulation.log_scale, model.analysis_modulation.log_scale):
            torch.testing.assert_close(table[:2], table[2:3].expand(2, -1, -1))
            assert (table[2:] != 0).any()
    tables = [*model.gain_parameters(), *model.modulation_parameters(), *model.analysis_modulation_parameters()]
    assert len(tables) == (6 if conditioned else 2)
    for p in tables:
        moments = optimizer.state[p]
        assert moments["exp_avg"].shape == p.shape
        assert (moments["exp_avg"][:2] == 0).all() and (moments["exp_avg_sq"][:2] > 0).all()


def test_training_resumes_a_checkpoint_with_fewer_levels(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    Image.fromarray(synthetic_photo(96, 96, seed=3)).save(data / "a.png")
    out = tmp_path / "run"
    out.mkdir()
    torch.save(_checkpoint_with(OLD_LAMBDAS), out / "checkpoint.pt")
    options = TrainOptions(data=str(data), out=str(out), steps=7, patch=64, batch=2, n=16, m=24, precision="fp32",
                           threads=1, holdout_every=0, compile=False, resume=True)
    trainer = Trainer(options)
    trainer.run()
    log = training_log(out)
    assert [r["event"] for r in log][:2] == ["levels extended", "resumed"]
    assert trainer.step == 7 and trainer.model.num_levels == len(DEFAULT_LAMBDAS)
