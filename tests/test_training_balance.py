"""Level balancing of a variable-rate run: running per-level losses and the weights they give."""

import math

import pytest
import torch

from aecodec.training.balance import LevelBalance


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
