"""The model: shapes, gain interpolation, likelihood sanity, weights files, determinism of entropy parameters."""

import numpy as np
import pytest
import torch

from aecodec.nn.gdn import GDN
from aecodec.nn.model import HyperpriorModel, ModelConfig
from aecodec.nn.objective import rate_distortion_loss
from aecodec.nn.priors import FactorizedPrior, gaussian_likelihood
from aecodec.nn.rate import bits, bits_per_sample, hyperprior_latent
from aecodec.nn.store import load_weights, save_weights


@pytest.fixture(scope="module")
def small_model():
    torch.manual_seed(0)
    return HyperpriorModel(ModelConfig(n=16, m=24))


def test_forward_shapes_and_likelihoods(small_model):
    x = torch.rand(2, 3, 64, 64)
    out = small_model(x, torch.tensor([0.0, 7.0]))
    assert out["x_hat"].shape == x.shape
    assert out["y_likelihood"].shape == (2, 24, 4, 4) and out["z_likelihood"].shape == (2, 16, 1, 1)
    for key in ("y_likelihood", "z_likelihood"):
        assert out[key].dtype == torch.float32
        assert torch.all((out[key] > 0) & (out[key] <= 1))


def test_ste_rate_proxy_takes_the_likelihoods_of_the_coded_values(small_model):
    x = torch.rand(1, 3, 64, 64)
    level = torch.tensor([3.0])
    torch.manual_seed(1)
    out = small_model(x, level, rate_proxy="ste")
    with torch.no_grad():  # what aecodec.training.evaluate (and the coder) count: hard-rounded values
        gain, _ = small_model.gains(level)
        y = small_model.g_a(x) * gain
        z_hat = torch.round(small_model.h_a(y))
        means, scales = small_model.entropy_parameters(z_hat)
        y_hat = torch.round(y - means) + means
        torch.testing.assert_close(out["y_likelihood"], gaussian_likelihood(y_hat, means, scales))
        torch.testing.assert_close(out["z_likelihood"], small_model.hyper_prior.likelihood(z_hat))
    # Noise draws differ from call to call; the coded values do not.
    again = small_model(x, level, rate_proxy="ste")
    assert torch.equal(out["y_likelihood"], again["y_likelihood"])
    noisy = [small_model(x, level)["y_likelihood"] for _ in range(2)]
    assert not torch.equal(noisy[0], noisy[1])


def test_ste_rate_proxy_passes_gradients_to_the_analysis(small_model):
    x = torch.rand(1, 3, 64, 64)
    out = small_model(x, torch.tensor([5.0]), rate_proxy="ste")
    total = bits_per_sample(out["y_likelihood"], out["z_likelihood"]).sum()
    first_conv = next(small_model.g_a.parameters())
    (grad,) = torch.autograd.grad(total, first_conv)
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0


def test_one_rate_function_for_training_evaluation_and_refinement(small_model):
    """The training loss, the evaluation's estimate and refinement's bit count are one computation."""
    from aecodec.refine import coded_bits
    from aecodec.training.evaluate import estimate_rd

    image = (np.random.default_rng(3).random((64, 64, 3)) * 255).astype(np.uint8)
    x = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255
    level = torch.tensor([2.0])
    with torch.no_grad():
        out = small_model(x, level, rate_proxy="ste")
        gain, _ = small_model.gains(level)
        y = small_model.g_a(x) * gain
        z_hat = torch.round(small_model.h_a(y))
        _, y_likelihood = hyperprior_latent(small_model, y, z_hat)
        total = bits_per_sample(y_likelihood, small_model.hyper_prior.likelihood(z_hat))
        torch.testing.assert_close(total, bits_per_sample(out["y_likelihood"], out["z_likelihood"]))
        torch.testing.assert_close(total[0], coded_bits(small_model, y, z_hat))
        assert total[0] > 0 and torch.equal(bits(torch.tensor([0.5, 0.25])), torch.tensor([1.0, 2.0]))
        loss = rate_distortion_loss(out, x, torch.zeros(1))  # lambda 0: the loss is the rate
        torch.testing.assert_close(loss["loss"], total[0] / (64 * 64))
    (estimated_bpp, _), = estimate_rd(small_model, image, [2.0])
    assert estimated_bpp == pytest.approx(float(total[0]) / (64 * 64), rel=1e-5)


def test_unknown_rate_proxy_is_refused(small_model):
    with pytest.raises(ValueError, match="rate_proxy"):
        small_model(torch.rand(1, 3, 64, 64), torch.tensor([0.0]), rate_proxy="round")


def test_gains_interpolate_geometrically(small_model):
    with torch.no_grad():
        small_model.log_gain.copy_(torch.arange(float(small_model.num_levels))[:, None].expand_as(small_model.log_gain))
    top = small_model.num_levels - 1.0
    gain, _ = small_model.gains(torch.tensor([2.5, 0.0, top]))
    assert torch.allclose(gain[:, 0, 0, 0], torch.exp(torch.tensor([2.5, 0.0, top])))


def test_gdn_inverse_undoes_gdn():
    gdn, igdn = GDN(4), GDN(4, inverse=True)
    x = torch.randn(1, 4, 8, 8) * 0.1
    # For small inputs GDN is close to the identity scaled by 1/sqrt(beta); the pair nearly cancels.
    assert torch.allclose(igdn(gdn(x)), x, atol=1e-3)


def test_gaussian_likelihood_sums_to_one():
    values = torch.arange(-60, 61, dtype=torch.float32)
    for scale in (0.11, 1.0, 7.3):
        p = gaussian_likelihood(values, torch.tensor(0.3), torch.tensor(scale))
        assert float(p.sum()) == pytest.approx(1.0, abs=1e-5)


def test_factorized_prior_table_is_a_distribution():
    prior = FactorizedPrior(3)
    pmf, offsets, lengths = prior.pmf_table()
    for c in range(3):
        assert float(pmf[c, : lengths[c]].sum()) == pytest.approx(1.0, abs=1e-6)
        assert int(lengths[c]) >= 1 and offsets[c] <= 0 <= offsets[c] + lengths[c]


def test_weights_round_trip_and_fingerprint(small_model, tmp_path):
    fingerprint = save_weights(small_model, tmp_path / "w.safetensors", {"steps": 12})
    loaded, meta = load_weights(tmp_path / "w.safetensors")
    assert meta["fingerprint"] == fingerprint and meta["steps"] == "12"
    assert loaded.config == small_model.config
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(loaded.g_a(x), small_model.g_a(x).half().float().clone(), atol=0.05, rtol=0.05)
    assert save_weights(loaded, tmp_path / "again.safetensors") == fingerprint


def test_entropy_parameters_do_not_depend_on_thread_count(model1_codec):
    """Encoder and decoder must pick identical tables: run the hyper-synthesis with 1 and 2 threads."""
    engine = model1_codec.engine
    z = torch.randint(-6, 7, (1, engine.model.config.n, 6, 9)).float()
    previous = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        means_1, scales_1 = engine._entropy_parameters(z)
        torch.set_num_threads(2)
        means_2, scales_2 = engine._entropy_parameters(z)
    finally:
        torch.set_num_threads(previous)
    np.testing.assert_array_equal(means_1, means_2)
    np.testing.assert_array_equal(scales_1, scales_2)
    assert np.isin(scales_1, engine.gaussian.scale_grid).all()
