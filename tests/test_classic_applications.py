"""Applications and the defining property of each regularized type, on held-out digits.

Numbers in comments were measured with these seeds and epochs; the asserted margins are looser.
"""

import pytest
import torch

from aecodec.classic import (
    build_model,
    compare_with_pca,
    denoise,
    embed,
    fit,
    fraction_inactive,
    hoyer_sparsity,
    jacobian_norm,
    load_digits_split,
    make_config,
    mean_score,
)
from aecodec.classic.data import DEFAULT_PATCH_DIR, load_patch_split

torch.set_num_threads(1)
EPOCHS = 30


@pytest.fixture(scope="module")
def digits():
    return load_digits_split()


@pytest.fixture(scope="module")
def trained(digits):
    """Train each named variant once for the module."""
    cache = {}

    def get(name, type_, **kw):
        if name not in cache:
            model = build_model(make_config(type_, **kw))
            fit(model, digits.x_train, epochs=EPOCHS)
            cache[name] = model
        return cache[name]

    return get


def test_undercomplete_beats_pca_at_code_size_8(trained, digits):
    # Measured: AE MSE/pixel 0.0154 vs PCA 0.0246 (37% lower); 5-NN accuracy 0.951 vs 0.951.
    model = trained("under8", "undercomplete", code_dim=8)
    r = compare_with_pca(model, digits.x_train, digits.x_test, digits.y_train, digits.y_test)
    assert r.code_dim == 8
    assert r.ae_mse <= 0.8 * r.pca_mse, r  # at least 20% lower error than PCA
    assert r.ae_knn_accuracy >= r.pca_knn_accuracy - 0.03, r  # codes as useful for 5-NN as PCA's
    assert embed(model, digits.x_test).shape == (len(digits.x_test), 8)


def test_sparse_codes_are_sparser_than_vanilla(trained, digits):
    # Same 64-unit ReLU code, only the L1 penalty differs. Measured Hoyer sparsity 0.77 vs 0.35,
    # inactive fraction 0.84 vs 0.39.
    vanilla = embed(trained("vanilla64", "vanilla", code_dim=64, code_activation="relu"), digits.x_test)
    sparse = embed(trained("sparse", "sparse"), digits.x_test)
    assert hoyer_sparsity(sparse) > hoyer_sparsity(vanilla) + 0.2
    assert fraction_inactive(sparse) > fraction_inactive(vanilla) + 0.2


def test_kl_sparsity_lowers_mean_activation(trained, digits):
    plain = embed(trained("vanilla_sig64", "vanilla", code_dim=64, code_activation="sigmoid"), digits.x_test)
    kl = embed(trained("sparse_kl", "sparse", sparsity="kl", sparsity_weight=1.0, sparsity_target=0.05), digits.x_test)
    assert kl.mean() < 0.5 * plain.mean()


def test_contractive_jacobian_is_smaller_than_vanilla(trained, digits):
    # Same sigmoid code of 16 units, only the penalty differs. Measured mean ||J||_F: 1.20 vs 2.80
    # (the default vanilla AE with a linear code: 13.9).
    vanilla = jacobian_norm(trained("vanilla_sig", "vanilla", code_activation="sigmoid"), digits.x_test)
    contractive = jacobian_norm(trained("contractive", "contractive"), digits.x_test)
    assert contractive < 0.6 * vanilla, (contractive, vanilla)


def test_denoising_raises_psnr(trained, digits):
    # Measured (gaussian sigma 0.2): noisy 16.09 dB, denoising AE 18.19 dB, vanilla AE 17.42 dB.
    dae = trained("denoising", "denoising")
    noisy, out, r = denoise(dae, digits.x_test, "gaussian", 0.2)
    assert noisy.shape == out.shape == digits.x_test.shape
    assert r.psnr_denoised > r.psnr_noisy + 1.5, r
    vanilla = denoise(trained("vanilla", "vanilla"), digits.x_test, "gaussian", 0.2)[2]
    assert r.psnr_denoised > vanilla.psnr_denoised, (r, vanilla)


def test_masking_denoiser(trained, digits):
    # Measured (30% of pixels zeroed): noisy 11.55 dB, denoised 16.49 dB.
    dae = trained("denoising_mask", "denoising", noise="mask", noise_level=0.3)
    r = denoise(dae, digits.x_test, "mask", 0.3)[2]
    assert r.psnr_denoised > r.psnr_noisy + 3.0, r


def test_vae_elbo_improves_and_samples_are_in_range(digits):
    # Measured held-out -ELBO: 29.3 nats after epoch 1, 24.6 after 60.
    model = build_model(make_config("vae"))
    before = mean_score(model, digits.x_test)
    history = fit(model, digits.x_train, epochs=40, x_val=digits.x_test)
    assert history.val[-1] < history.val[0] - 2.0 < before
    samples = model.sample(256, torch.Generator().manual_seed(0))
    assert samples.shape == (256, 1, 8, 8)
    assert samples.min() >= 0.0 and samples.max() <= 1.0
    # the samples look like the data on average, not like noise or blanks
    assert abs(samples.mean().item() - digits.x_train.mean().item()) < 0.1
    # the anomaly score (-ELBO) is deterministic
    torch.testing.assert_close(model.score(digits.x_test[:10]), model.score(digits.x_test[:10]))


@pytest.mark.skipif(not DEFAULT_PATCH_DIR.is_dir(), reason=f"photo folder {DEFAULT_PATCH_DIR} is absent")
def test_conv_and_denoising_on_photo_patches():
    # Train and test patches come from different photos. Measured: conv AE on 16x16 patches, MSE
    # 0.0045 vs mean image 0.050; denoising AE on 8x8 patches, sigma 0.2: noisy 14.8 dB, denoised 21.9 dB.
    split = load_patch_split(patch=16, n=2000)
    conv = build_model(make_config("conv", input_shape=(1, 16, 16)))
    fit(conv, split.x_train, epochs=10)
    r = compare_with_pca(conv, split.x_train, split.x_test)
    assert r.ae_mse < 0.2 * r.mean_image_mse, r
    split = load_patch_split(patch=8, n=3000)
    dae = build_model(make_config("denoising", input_shape=(1, 8, 8), code_dim=16, noise_level=0.2))
    fit(dae, split.x_train, epochs=10)
    d = denoise(dae, split.x_test, "gaussian", 0.2)[2]
    assert d.psnr_denoised > d.psnr_noisy + 4.0, d
