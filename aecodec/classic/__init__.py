"""The classic autoencoder family: seven small PyTorch autoencoders sharing one training loop, and
the applications they are used for (dimensionality reduction, anomaly detection, denoising).

    from aecodec.classic import make_config, build_model, fit, load_digits_split, compare_with_pca
    split = load_digits_split()
    model = build_model(make_config("undercomplete", code_dim=8))
    fit(model, split.x_train, epochs=30)
    print(compare_with_pca(model, split.x_train, split.x_test, split.y_train, split.y_test))

See docs/CLASSIC.md.
"""

from aecodec.classic.applications import (
    anomaly_auc,
    anomaly_scores,
    compare_with_pca,
    denoise,
    embed,
    fraction_inactive,
    hoyer_sparsity,
    jacobian_norm,
    psnr,
    reconstruct,
    roc_auc,
)
from aecodec.classic.data import anomaly_split, load_digits_split, load_patch_split, load_patches
from aecodec.classic.models import (
    TYPES,
    VAE,
    AEConfig,
    Autoencoder,
    ContractiveAE,
    ConvAE,
    DenoisingAE,
    SparseAE,
    UndercompleteAE,
    VanillaAE,
    build_model,
    make_config,
)
from aecodec.classic.store import load_model, save_model
from aecodec.classic.training import fit, mean_score

__all__ = [
    "TYPES", "AEConfig", "Autoencoder", "VanillaAE", "UndercompleteAE", "VAE", "ConvAE", "DenoisingAE",
    "SparseAE", "ContractiveAE", "make_config", "build_model", "fit", "mean_score", "save_model",
    "load_model", "load_digits_split", "anomaly_split", "load_patches", "load_patch_split", "embed",
    "reconstruct", "compare_with_pca", "anomaly_scores", "anomaly_auc", "roc_auc", "denoise", "psnr",
    "hoyer_sparsity", "fraction_inactive", "jacobian_norm",
]
