"""Level balancing of a variable-rate run: running per-level losses and the weights they give."""

import math

import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from aecodec.training.balance import LevelBalance
from aecodec.training.options import TrainOptions
from aecodec.training.trainer import Trainer
from conftest import synthetic_photo, training_log


def test_weights_are_one_until_a_loss_is_seen():
    balance = LevelBalance(10)
    torch.testing.assert_close(balance.weights(torch.tensor([0.0, 4.5, 9.0])), torch.ones(3))


def test_cheap_levels_weigh_more_in_proportion_to_their_loss():
    balance = LevelBalance(2)
    balance.update(torch.tensor([0.0, 1.0]), torch.tensor([0.2, 3.0]))
    low, middle, top = balance.weights(torch.tensor([0.0, 0.5, 1.0])).tolist()
    assert low == pytest.approx(math.sqrt(3.0 / 0.2)) and top == pytest.approx(math.sqrt(0.2 / 3.0))
    assert middle == pytest.approx(1.0)  # halfway in log loss: the geometric mean


def test_estimates_follow_the_losses_slowly():
    balance = LevelBalance(2, momentum=0.1)
    balance.update(torch.tensor([0.0]), torch.tensor([1.0]))
    balance.update(torch.tensor([0.0]), torch.tensor([math.e]))
    assert balance.log_loss[0].item() == pytest.approx(0.1)
    assert math.isnan(balance.log_loss[1].item())  # level 1 has not been seen (a share of 0 leaves it alone)


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("train")
    for i in range(3):
        Image.fromarray(synthetic_photo(96, 128, seed=40 + i)).save(folder / f"im{i}.png")
    return folder


def _options(data, out, steps, **extra):
    return TrainOptions(data=str(data), out=str(out), steps=steps, patch=64, batch=2, n=16, m=24, precision="fp32",
                        threads=1, warmup=2, holdout_every=0, compile=False, checkpoint_every_min=1000,
                        eval_every_min=1000, balance_levels=True, **extra)


def test_balanced_run_resumes_exactly_and_logs_the_plain_loss(image_folder, tmp_path):
    """The running estimates travel in the checkpoint: a resumed run weighs its samples as an unbroken one."""
    Trainer(_options(image_folder, tmp_path / "straight", 6)).run()
    Trainer(_options(image_folder, tmp_path / "split", 3)).run()
    resumed = Trainer(_options(image_folder, tmp_path / "split", 6, resume=True))
    assert not torch.isnan(resumed.balance.log_loss).all()
    resumed.run()
    straight = load_file(tmp_path / "straight" / "weights.safetensors")
    split = load_file(tmp_path / "split" / "weights.safetensors")
    for name in straight:
        torch.testing.assert_close(split[name], straight[name], rtol=0, atol=0)
    assert training_log(tmp_path / "straight")[0]["options"]["balance_levels"] is True
