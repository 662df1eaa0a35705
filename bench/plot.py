"""The rate-distortion figure: PSNR and MS-SSIM (dB) against bpp."""

from __future__ import annotations

import math
from pathlib import Path

from bench.metrics import msssim_db
from bench.reference import PUBLISHED_NOTE


def rd_figure(curves: dict[str, dict], labels: dict[str, str], reference: dict, path: Path,
              title: str, max_bpp: float = 2.2) -> None:
    """Measured ``curves`` ({codec: {"bpp", "psnr", "msssim"}}) as solid lines; the published
    reference curves dashed and labelled as not measured here (PSNR only where they have no MS-SSIM)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_p, ax_m) = plt.subplots(1, 2, figsize=(15, 7.8))
    published = {codec: c for (source, codec), c in reference.items() if source == "published"}
    palette = plt.get_cmap("tab20")  # light shades for the references, tab10 (the default) for measured
    reference_lines = {ax_p: [], ax_m: []}
    for i, (codec, c) in enumerate(published.items()):
        style = dict(ls="--", lw=1.5, color=palette((2 * i + 1) % 20), label=codec)
        reference_lines[ax_p] += ax_p.plot(c["bpp"], c["psnr"], **style)
        if not any(math.isnan(m) for m in c["msssim"]):
            reference_lines[ax_m] += ax_m.plot(c["bpp"], msssim_db(c["msssim"]), **style)
    measured_lines = {ax_p: [], ax_m: []}
    for codec, c in curves.items():
        style = dict(ls="-", lw=2.2 if codec.startswith("aecodec") else 1.6, marker="o", ms=3.5,
                     label=labels.get(codec, codec))
        measured_lines[ax_p] += ax_p.plot(c["bpp"], c["psnr"], **style)
        measured_lines[ax_m] += ax_m.plot(c["bpp"], msssim_db(c["msssim"]), **style)
    _fit_y(ax_p, [(c["bpp"], c["psnr"]) for c in curves.values()], max_bpp)
    _fit_y(ax_m, [(c["bpp"], msssim_db(c["msssim"])) for c in curves.values()], max_bpp)
    for ax, ylabel in ((ax_p, "PSNR RGB (dB)"), (ax_m, "MS-SSIM (dB), -10 log10(1 - MS-SSIM)")):
        ax.set_xlabel("bits per pixel (whole file)")
        ax.set_ylabel(ylabel)
        ax.set_xlim(0, max_bpp)
        ax.grid(True, alpha=0.3)
    ax_p.set_title(f"{title}: PSNR")
    ax_m.set_title(f"{title}: MS-SSIM")
    for ax in (ax_p, ax_m):
        ax.legend(handles=measured_lines[ax], fontsize=8, loc="lower right", title="measured here",
                  title_fontsize=8)
    references = reference_lines[ax_p] or reference_lines[ax_m]
    if references:  # a legend of their own below the plots, so that none is taken for a measurement
        fig.legend(handles=references, fontsize=8, loc="lower center", ncol=3,
                   title=f"dashed: {PUBLISHED_NOTE}", title_fontsize=8)
    fig.tight_layout(rect=(0, 0.13 if references else 0, 1, 1))
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _fit_y(ax, series, max_bpp: float) -> None:
    """Limit the y axis to the measured points within the shown bpp range."""
    ys = [y for xs, vs in series for x, y in zip(xs, vs) if x <= max_bpp and math.isfinite(y)]
    if ys:
        lo, hi = min(ys), max(ys)
        pad = 0.05 * (hi - lo or 1.0)
        ax.set_ylim(lo - pad, hi + 3 * pad)
