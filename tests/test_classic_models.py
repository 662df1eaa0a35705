"""The seven classic autoencoders: shapes, config checks, persistence, determinism, and that each
one learns (reconstructs held-out digits better than the mean image)."""

import json

import pytest
import torch

from aecodec.classic import TYPES, build_model, fit, load_digits_split, load_model, make_config, save_model
from aecodec.classic.applications import reconstruct, sse_per_sample

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def digits():
    return load_digits_split()


@pytest.mark.parametrize("type_", TYPES)
def test_shapes_and_range(type_):
    model = build_model(make_config(type_)).eval()
    x = torch.rand(5, 1, 8, 8)
    with torch.no_grad():
        out, code = model(x), model.encode(x)
    assert out.shape == x.shape
    assert code.shape == (5, model.cfg.code_dim)
    assert 0.0 <= out.min() and out.max() <= 1.0
    terms = model.train().objective(x)
    assert terms.total.dim() == 0 and torch.isfinite(terms.total)
    assert "recon" in terms.parts


def test_conv_model_on_16x16():
    model = build_model(make_config("conv", input_shape=(1, 16, 16), channels=(8, 16, 16))).eval()
    assert model(torch.rand(3, 1, 16, 16)).shape == (3, 1, 16, 16)
    assert any(isinstance(m, torch.nn.ConvTranspose2d) for m in model.decoder)


@pytest.mark.parametrize(
    "type_, kwargs",
    [
        ("undercomplete", {"code_dim": 64}),  # not smaller than the 8x8 input
        ("sparse", {"sparsity": "kl", "code_activation": "relu"}),  # KL needs codes in (0, 1)
        ("sparse", {"sparsity_weight": 0.0}),
        ("contractive", {"contractive_weight": 0.0}),
        ("denoising", {"noise_level": 0.0}),
        ("conv", {"input_shape": (1, 6, 6)}),
        ("vanilla", {"recon_loss": "l3"}),
    ],
)
def test_invalid_configs_are_rejected(type_, kwargs):
    with pytest.raises(ValueError):
        make_config(type_, **kwargs)


def test_unknown_type_is_rejected():
    with pytest.raises(ValueError):
        make_config("nope")


def test_save_and_load_round_trip(tmp_path):
    model = build_model(make_config("vae", hidden=(32, 16), dropout=0.1), seed=3).eval()
    save_model(model, tmp_path / "m", {"data": "digits"})
    doc = json.loads((tmp_path / "m" / "config.json").read_text())  # plain JSON, no pickle
    assert doc["config"]["type"] == "vae" and doc["meta"] == {"data": "digits"}
    loaded, meta = load_model(tmp_path / "m")
    x = torch.rand(4, 1, 8, 8)
    assert meta == {"data": "digits"} and loaded.cfg == model.cfg
    torch.testing.assert_close(loaded.encode(x), model.encode(x))


def test_training_is_deterministic(digits):
    runs = []
    for _ in range(2):
        model = build_model(make_config("denoising"), seed=1)
        fit(model, digits.x_train[:256], epochs=2, seed=5)
        runs.append(model.state_dict())
    for k in runs[0]:
        torch.testing.assert_close(runs[0][k], runs[1][k], rtol=0, atol=0)


def test_weight_penalties_shrink_weights(digits):
    def weight_norms(**kw):
        model = build_model(make_config("vanilla", **kw), seed=0)
        fit(model, digits.x_train, epochs=5)
        l2 = sum((p**2).sum().item() for p in model.parameters() if p.dim() > 1)
        l1 = sum(p.abs().sum().item() for p in model.parameters() if p.dim() > 1)
        return l1, l2

    free_l1, free_l2 = weight_norms()
    assert weight_norms(l2_weight=1e-2)[1] < 0.7 * free_l2
    assert weight_norms(l1_weight=1e-3)[0] < 0.7 * free_l1


def test_dropout_is_active_only_in_training():
    model = build_model(make_config("vanilla", dropout=0.5))
    x = torch.rand(8, 1, 8, 8)
    assert any(isinstance(m, torch.nn.Dropout) for m in model.encoder)
    model.train()
    assert not torch.equal(model(x), model(x))
    model.eval()
    assert torch.equal(model(x), model(x))


# Measured (30 epochs, seed 0): mean image 4.74 summed squared error per digit; vanilla 0.56,
# undercomplete 0.99, vae 1.96, conv 0.71, denoising 0.72, sparse 1.02, contractive 1.36.
@pytest.mark.parametrize("type_", TYPES)
def test_every_type_beats_the_mean_image(type_, digits):
    model = build_model(make_config(type_))
    fit(model, digits.x_train, epochs=30)
    err = sse_per_sample(reconstruct(model, digits.x_test), digits.x_test).mean()
    mean_err = sse_per_sample(digits.x_train.mean(0).expand_as(digits.x_test), digits.x_test).mean()
    assert err < 0.5 * mean_err, (err, mean_err)


def test_bce_loss_trains(digits):
    model = build_model(make_config("vanilla", recon_loss="bce"))
    history = fit(model, digits.x_train, epochs=10)
    assert history.train[-1]["recon"] < history.train[0]["recon"]
