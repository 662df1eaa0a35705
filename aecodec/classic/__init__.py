"""The classic autoencoder family: seven small PyTorch autoencoders sharing one training loop, and
the applications they are used for (dimensionality reduction, anomaly detection, denoising).

    from aecodec.classic import make_config, build_model, fit, load_digits_split, compare_with_pca
    split = load_digits_split()
    model = build_model(make_config("undercomplete", code_dim=8))
    fit(model, split.x_train, epochs=30)
    print(compare_with_pca(model, split.x_train, split.x_test, split.y_train, split.y_test))

See docs/CLASSIC.md.
"""

import importlib

# Exports resolve lazily (PEP 562) so that ``aecodec --help`` does not import torch.
_EXPORTS = {
    "applications": [
        "embed", "reconstruct", "compare_with_pca", "anomaly_scores", "anomaly_auc", "roc_auc", "denoise",
        "psnr", "hoyer_sparsity", "fraction_inactive", "jacobian_norm",
    ],
    "data": ["load_digits_split", "anomaly_split", "load_patches", "load_patch_split"],
    "models": [
        "TYPES", "AEConfig", "Autoencoder", "VanillaAE", "UndercompleteAE", "VAE", "ConvAE", "DenoisingAE",
        "SparseAE", "ContractiveAE", "make_config", "build_model",
    ],
    "store": ["save_model", "load_model"],
    "training": ["fit", "mean_score"],
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = list(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f"aecodec.classic.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'aecodec.classic' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
