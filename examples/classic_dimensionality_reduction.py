"""Dimensionality reduction: an undercomplete autoencoder vs PCA on the 8x8 digits, per code size.

    python examples/classic_dimensionality_reduction.py [out.png]

Plots the held-out reconstruction error and the 5-NN accuracy on the codes against the code size.
"""

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from aecodec.classic import build_model, compare_with_pca, fit, load_digits_split, make_config  # noqa: E402


def main(out: str = "classic_dimensionality_reduction.png") -> None:
    torch.set_num_threads(1)
    split = load_digits_split()
    sizes, reports = [2, 4, 8, 16], []
    for d in sizes:
        model = build_model(make_config("undercomplete", code_dim=d))
        fit(model, split.x_train, epochs=30, progress=True, desc=f"code {d}")
        r = compare_with_pca(model, split.x_train, split.x_test, split.y_train, split.y_test)
        reports.append(r)
        print(f"code {d:2d}: MSE AE {r.ae_mse:.4f} PCA {r.pca_mse:.4f} | 5-NN AE {r.ae_knn_accuracy:.3f} PCA {r.pca_knn_accuracy:.3f}")
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.5))
    a.plot(sizes, [r.ae_mse for r in reports], "o-", label="autoencoder")
    a.plot(sizes, [r.pca_mse for r in reports], "s--", label="PCA")
    a.set(xlabel="code size", ylabel="held-out MSE per pixel", xscale="log", title="reconstruction")
    b.plot(sizes, [r.ae_knn_accuracy for r in reports], "o-", label="autoencoder")
    b.plot(sizes, [r.pca_knn_accuracy for r in reports], "s--", label="PCA")
    b.set(xlabel="code size", ylabel="5-NN accuracy", xscale="log", title="codes as features")
    for ax in (a, b):
        ax.set_xticks(sizes, [str(s) for s in sizes])
        ax.minorticks_off()
        ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    print(f"saved {out}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
