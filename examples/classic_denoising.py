"""Denoising: a denoising autoencoder on the 8x8 digits (and on 8x8 photo patches when
../shared/data/train is present); prints PSNRs and plots clean / noisy / denoised examples.

    python examples/classic_denoising.py [out.png]
"""

import sys

import torch

from aecodec.classic import build_model, denoise, fit, load_digits_split, load_patch_split, make_config
from aecodec.classic.data import DEFAULT_PATCH_DIR
from aecodec.classic.plots import save_image_rows


def main(out: str = "classic_denoising.png") -> None:
    torch.set_num_threads(1)
    rows, labels = [], []
    datasets = [("digits", load_digits_split())]
    if DEFAULT_PATCH_DIR.is_dir():
        datasets.append(("photo patches", load_patch_split(patch=8, n=4000)))
    for name, split in datasets:
        model = build_model(make_config("denoising", noise="gaussian", noise_level=0.2))
        fit(model, split.x_train, epochs=30, progress=True, desc=name)
        noisy, clean_hat, r = denoise(model, split.x_test, "gaussian", 0.2)
        print(f"{name}: PSNR noisy {r.psnr_noisy:.2f} dB -> denoised {r.psnr_denoised:.2f} dB")
        rows += [split.x_test[:10], noisy[:10], clean_hat[:10]]
        labels += [f"{name}: clean", f"noisy {r.psnr_noisy:.1f} dB", f"denoised {r.psnr_denoised:.1f} dB"]
    save_image_rows(out, rows, labels)
    print(f"saved {out}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
