"""Anomaly detection: train on the 8x8 digits without one digit, score by reconstruction error
(negative ELBO for the VAE), and plot the ROC curves.

    python examples/classic_anomaly_detection.py [out.png] [digit]
"""

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.metrics import roc_curve  # noqa: E402

from aecodec.classic import anomaly_scores, anomaly_split, build_model, fit, make_config, roc_auc  # noqa: E402


def main(out: str = "classic_anomaly_detection.png", digit: str = "9") -> None:
    torch.set_num_threads(1)
    d = int(digit)
    train, held_out, anomalies = anomaly_split(d)
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    for type_, kw, epochs in (("undercomplete", {"code_dim": 6}, 120), ("vae", {}, 60), ("denoising", {}, 30)):
        model = build_model(make_config(type_, **kw))
        fit(model, train, epochs=epochs, progress=True, desc=type_)
        normal, anomalous = anomaly_scores(model, held_out), anomaly_scores(model, anomalies)
        auc = roc_auc(normal, anomalous)
        fpr, tpr, _ = roc_curve(np.r_[np.zeros(len(normal)), np.ones(len(anomalous))], np.r_[normal, anomalous])
        ax.plot(fpr, tpr, label=f"{type_} (AUC {auc:.3f})")
        print(f"{type_}: ROC-AUC {auc:.4f}")
    ax.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title=f"anomaly: digit {d}")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    print(f"saved {out}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
