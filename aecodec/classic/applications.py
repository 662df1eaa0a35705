"""What the classic autoencoders are used for: dimensionality reduction (compared with PCA),
anomaly detection (ROC-AUC) and denoising (PSNR); plus code statistics used to compare types."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from aecodec.classic import regularizers as R
from aecodec.classic.extras import require
from aecodec.classic.corruption import corrupt
from aecodec.classic.models import Autoencoder
from aecodec.classic.training import evaluating
from aecodec.metrics import psnr


def _batched(fn, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([fn(b) for b in x.split(batch_size)])


def embed(model: Autoencoder, x: torch.Tensor) -> np.ndarray:
    """Codes of ``x`` (the posterior mean for the VAE), shape (N, code_dim)."""
    with evaluating(model):
        return _batched(model.encode, x).numpy()


def reconstruct(model: Autoencoder, x: torch.Tensor) -> torch.Tensor:
    """Reconstructions of ``x`` in eval mode."""
    with evaluating(model):
        return _batched(model, x)


def sse_per_sample(a: torch.Tensor | np.ndarray, b: torch.Tensor | np.ndarray) -> np.ndarray:
    """Sum of squared errors per sample."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return ((a - b) ** 2).reshape(len(a), -1).sum(1)


# ---------------------------------------------------------------- dimensionality reduction


@dataclass
class ReductionReport:
    """Test reconstruction error (mean squared error per pixel) and kNN accuracy on the codes."""

    code_dim: int
    ae_mse: float
    pca_mse: float
    mean_image_mse: float
    ae_knn_accuracy: float | None
    pca_knn_accuracy: float | None

    def as_dict(self) -> dict:
        return asdict(self)


def compare_with_pca(
    model: Autoencoder,
    x_train: torch.Tensor,
    x_test: torch.Tensor,
    y_train: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    k: int = 5,
) -> ReductionReport:
    """Compare the model's codes with PCA at the same dimension, fitted on ``x_train``.

    kNN accuracies (k neighbours, fitted on the train codes) are computed when labels are given.
    """
    require("sklearn", "comparing codes with PCA")
    from sklearn.decomposition import PCA
    from sklearn.neighbors import KNeighborsClassifier

    d = model.cfg.code_dim
    xtr, xte = x_train.flatten(1).numpy(), x_test.flatten(1).numpy()
    pca = PCA(n_components=d, random_state=0).fit(xtr)
    pca_rec = pca.inverse_transform(pca.transform(xte))
    pixels = xte.shape[1]
    ae_mse = sse_per_sample(reconstruct(model, x_test).flatten(1), xte).mean() / pixels
    pca_mse = sse_per_sample(pca_rec, xte).mean() / pixels
    mean_mse = sse_per_sample(np.broadcast_to(xtr.mean(0), xte.shape), xte).mean() / pixels
    ae_acc = pca_acc = None
    if y_train is not None and y_test is not None and (np.asarray(y_train) >= 0).all():
        knn = lambda a, b: KNeighborsClassifier(k).fit(a, y_train).score(b, y_test)  # noqa: E731
        ae_acc = float(knn(embed(model, x_train), embed(model, x_test)))
        pca_acc = float(knn(pca.transform(xtr), pca.transform(xte)))
    return ReductionReport(d, float(ae_mse), float(pca_mse), float(mean_mse), ae_acc, pca_acc)


# ---------------------------------------------------------------- anomaly detection


def anomaly_scores(model: Autoencoder, x: torch.Tensor) -> np.ndarray:
    """Per-sample anomaly scores: reconstruction loss (negative ELBO for the VAE). Higher = more anomalous."""
    with evaluating(model):
        return _batched(model.score, x).numpy()


def roc_auc(normal_scores: np.ndarray, anomaly_scores_: np.ndarray) -> float:
    """Area under the ROC curve for separating anomalies (positives) from normals by score."""
    require("sklearn", "ROC-AUC")
    from sklearn.metrics import roc_auc_score

    y = np.r_[np.zeros(len(normal_scores)), np.ones(len(anomaly_scores_))]
    return float(roc_auc_score(y, np.r_[normal_scores, anomaly_scores_]))


def anomaly_auc(model: Autoencoder, x_normal: torch.Tensor, x_anomalous: torch.Tensor) -> float:
    """ROC-AUC of the model's anomaly score: held-out normals against anomalies."""
    return roc_auc(anomaly_scores(model, x_normal), anomaly_scores(model, x_anomalous))


# ---------------------------------------------------------------- denoising


@dataclass
class DenoiseReport:
    """PSNR (dB) of the corrupted input and of the model's output, both against the clean images."""

    noise: str
    level: float
    psnr_noisy: float
    psnr_denoised: float

    def as_dict(self) -> dict:
        return asdict(self)


def denoise(
    model: Autoencoder, x_clean: torch.Tensor, noise: str = "gaussian", level: float = 0.2, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor, DenoiseReport]:
    """Corrupt ``x_clean`` (seeded), run the model on it; returns (noisy, denoised, report)."""
    g = torch.Generator().manual_seed(seed)
    noisy = corrupt(x_clean, noise, level, generator=g)
    out = reconstruct(model, noisy)
    clean = x_clean.numpy()  # pixels in [0, 1]
    return noisy, out, DenoiseReport(noise, level, psnr(noisy.numpy(), clean, peak=1.0),
                                    psnr(out.numpy(), clean, peak=1.0))


# ---------------------------------------------------------------- code statistics


def hoyer_sparsity(codes: np.ndarray) -> float:
    """Mean Hoyer sparsity of the code vectors: 0 when all units are equal in magnitude, 1 when one
    unit is active. Scale invariant, so shrinking the code does not count as sparsity."""
    c = np.abs(np.asarray(codes, dtype=np.float64))
    n = c.shape[1]
    l1, l2 = c.sum(1), np.sqrt((c**2).sum(1))
    ratio = np.where(l2 > 0, l1 / np.maximum(l2, 1e-12), np.sqrt(n))
    return float(((np.sqrt(n) - ratio) / (np.sqrt(n) - 1)).mean())


def fraction_inactive(codes: np.ndarray, rel_threshold: float = 0.01) -> float:
    """Fraction of code entries below ``rel_threshold`` times the largest magnitude in their vector."""
    c = np.abs(np.asarray(codes, dtype=np.float64))
    return float((c <= rel_threshold * c.max(1, keepdims=True)).mean())


def jacobian_norm(model: Autoencoder, x: torch.Tensor) -> float:
    """Mean over samples of the Frobenius norm of the encoder's Jacobian d code / d x."""
    with evaluating(model):
        inputs = x.detach().clone().requires_grad_(True)
        sq = R.jacobian_frobenius_sq(model.encode(inputs), inputs, create_graph=False)
    return float(sq.sqrt().mean())
