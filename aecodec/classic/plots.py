"""Small matplotlib helpers for the classic examples and CLI (imported lazily: matplotlib is optional)."""

from __future__ import annotations

from pathlib import Path

import torch


def save_image_rows(path: str | Path, rows: list[torch.Tensor], labels: list[str]) -> None:
    """Save a grid with one row of grayscale images (N, 1, H, W) per entry of ``rows``."""
    from aecodec.classic.extras import require

    matplotlib = require("matplotlib", "plotting")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = max(len(r) for r in rows)
    fig, axes = plt.subplots(len(rows), n, figsize=(n * 0.9, len(rows) * 1.0), squeeze=False)
    for i, (row, label) in enumerate(zip(rows, labels)):
        for j in range(n):
            ax = axes[i][j]
            ax.axis("off")
            if j < len(row):
                ax.imshow(row[j, 0].detach().numpy(), cmap="gray", vmin=0, vmax=1)
        axes[i][0].set_title(label, fontsize=8, loc="left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
