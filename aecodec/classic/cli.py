"""``aecodec classic train|embed|anomaly|denoise``: the classic autoencoders from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aecodec.argtypes import FRACTION, NON_NEGATIVE, POSITIVE, POSITIVE_INT

DIGITS = "digits"
# Same as aecodec.classic.models.TYPES (checked by a test); repeated so that building the parser
# does not import torch.
TYPES = ("vanilla", "undercomplete", "vae", "conv", "denoising", "sparse", "contractive")


def _add_data_options(p: argparse.ArgumentParser, default: str | None) -> None:
    p.add_argument(
        "--data",
        default=default,
        help="'digits' (scikit-learn's 8x8 digits), 'patches' (photos in ../shared/data/train) or a folder "
        "of images to cut patches from" + ("" if default else " (default: what the model was trained on)"),
    )
    p.add_argument("--patch", type=POSITIVE_INT, default=None, help="patch side for image folders (default 8)")
    p.add_argument("--n-patches", type=POSITIVE_INT, default=4000, help="patches drawn from an image folder")


def _add_model_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model (unset options take the type's defaults)")
    g.add_argument("--type", choices=TYPES, default="undercomplete")
    g.add_argument("--code-dim", type=POSITIVE_INT)
    g.add_argument("--hidden", help="comma-separated hidden layer sizes, e.g. 128,64 ('' for none)")
    g.add_argument("--channels", help="conv: comma-separated channels of the stride-2 convolutions")
    g.add_argument("--loss", dest="recon_loss", choices=["mse", "bce"])
    g.add_argument("--code-activation", choices=["identity", "relu", "sigmoid"])
    g.add_argument("--dropout", type=FRACTION)
    g.add_argument("--l1-weight", type=NON_NEGATIVE, help="L1 penalty on the weights")
    g.add_argument("--l2-weight", type=NON_NEGATIVE, help="L2 penalty on the weights")
    g.add_argument("--sparsity", choices=["l1", "kl"])
    g.add_argument("--sparsity-weight", type=NON_NEGATIVE)
    g.add_argument("--sparsity-target", type=FRACTION)
    g.add_argument("--contractive-weight", type=NON_NEGATIVE)
    g.add_argument("--noise", choices=["gaussian", "mask"], help="denoising AE: training corruption")
    g.add_argument("--noise-level", type=NON_NEGATIVE)
    g.add_argument("--beta", type=NON_NEGATIVE, help="VAE: weight of the KL term")
    t = p.add_argument_group("training")
    t.add_argument("--epochs", type=POSITIVE_INT, default=120)
    t.add_argument("--batch", type=POSITIVE_INT, default=64)
    t.add_argument("--lr", type=POSITIVE, default=3e-3)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--threads", type=POSITIVE_INT, default=1, help="torch threads")


_CONFIG_KEYS = (
    "code_dim", "recon_loss", "code_activation", "dropout", "l1_weight", "l2_weight", "sparsity",
    "sparsity_weight", "sparsity_target", "contractive_weight", "noise", "noise_level", "beta",
)


def _config_from_args(args: argparse.Namespace, input_shape: tuple[int, int, int]):
    from aecodec.classic.models import make_config

    overrides = {k: getattr(args, k) for k in _CONFIG_KEYS if getattr(args, k) is not None}
    for k in ("hidden", "channels"):
        v = getattr(args, k)
        if v is not None:
            overrides[k] = tuple(int(s) for s in v.split(",") if s.strip())
    return make_config(args.type, input_shape=input_shape, **overrides)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``classic`` sub-command (with train, embed, anomaly, denoise) to ``subparsers``."""
    p = subparsers.add_parser("classic", help="the classic autoencoders (vanilla, VAE, sparse, ...)")
    sub = p.add_subparsers(dest="classic_command", required=True)

    t = sub.add_parser("train", help="train a classic autoencoder and save it")
    _add_model_options(t)
    _add_data_options(t, DIGITS)
    t.add_argument("--out", required=True, help="folder for model.safetensors and config.json")

    e = sub.add_parser("embed", help="codes of a saved model, compared with PCA at the same dimension")
    e.add_argument("--model", required=True, help="folder written by 'classic train'")
    _add_data_options(e, None)
    e.add_argument("--out", default="", help="save the test codes (and labels) to this .npz file")

    a = sub.add_parser("anomaly", help="train on digits without one digit; ROC-AUC against that digit")
    a.add_argument("--anomaly-digit", type=int, required=True, choices=range(10), metavar="D")
    _add_model_options(a)
    a.add_argument("--out", default="", help="also save the trained model to this folder")

    d = sub.add_parser("denoise", help="PSNR of noisy inputs and of a saved model's outputs")
    d.add_argument("--model", required=True, help="folder written by 'classic train'")
    _add_data_options(d, None)
    d.add_argument("--noise", choices=["gaussian", "mask"], default="gaussian")
    d.add_argument("--noise-level", type=NON_NEGATIVE, default=0.2)
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--plot", default="", help="save clean/noisy/denoised examples to this PNG")


def _load_data(data: str, patch: int | None, n_patches: int, seed: int = 0):
    from aecodec.classic.data import DEFAULT_PATCH_DIR, load_digits_split, load_patch_split

    if data == DIGITS:
        return load_digits_split(seed=0)
    folder = DEFAULT_PATCH_DIR if data == "patches" else Path(data)
    if not folder.is_dir():
        raise SystemExit(f"aecodec classic: data folder {folder} not found")
    return load_patch_split(folder, patch or 8, n_patches, seed)


def _data_of(args: argparse.Namespace, meta: dict):
    data = args.data or meta.get("data", DIGITS)
    patch = args.patch or meta.get("patch")
    return _load_data(data, patch, args.n_patches)


def _train(args: argparse.Namespace) -> int:
    from aecodec.classic.applications import reconstruct, sse_per_sample
    from aecodec.classic.models import build_model
    from aecodec.classic.store import save_model
    from aecodec.classic.training import fit, mean_score

    split = _load_data(args.data, args.patch, args.n_patches, args.seed)
    cfg = _config_from_args(args, tuple(split.x_train.shape[1:]))
    model = build_model(cfg, seed=args.seed)
    fit(model, split.x_train, epochs=args.epochs, batch_size=args.batch, lr=args.lr, seed=args.seed, progress=True)
    mse = sse_per_sample(reconstruct(model, split.x_test), split.x_test).mean() / cfg.input_dim
    meta = {"data": args.data, "patch": args.patch or 8, "epochs": args.epochs, "seed": args.seed}
    save_model(model, args.out, meta)
    print(f"{cfg.type}: code {cfg.code_dim}, test score {mean_score(model, split.x_test):.4g}, test MSE {mse:.4g}")
    print(f"saved {args.out}")
    return 0


def _embed(args: argparse.Namespace) -> int:
    import numpy as np

    from aecodec.classic.applications import compare_with_pca, embed
    from aecodec.classic.store import load_model

    model, meta = load_model(args.model)
    split = _data_of(args, meta)
    codes = embed(model, split.x_test)
    r = compare_with_pca(model, split.x_train, split.x_test, split.y_train, split.y_test)
    print(f"codes {codes.shape[0]} x {codes.shape[1]}")
    print(f"reconstruction MSE: autoencoder {r.ae_mse:.5f}  PCA {r.pca_mse:.5f}  mean image {r.mean_image_mse:.5f}")
    if r.ae_knn_accuracy is not None:
        print(f"5-NN accuracy on codes: autoencoder {r.ae_knn_accuracy:.4f}  PCA {r.pca_knn_accuracy:.4f}")
    if args.out:
        np.savez(args.out, codes=codes, labels=split.y_test)
        print(f"saved {args.out}")
    return 0


def _anomaly(args: argparse.Namespace) -> int:
    from aecodec.classic.applications import anomaly_auc
    from aecodec.classic.data import anomaly_split
    from aecodec.classic.models import build_model
    from aecodec.classic.store import save_model
    from aecodec.classic.training import fit

    train, held_out, anomalies = anomaly_split(args.anomaly_digit)
    cfg = _config_from_args(args, tuple(train.shape[1:]))
    model = build_model(cfg, seed=args.seed)
    fit(model, train, epochs=args.epochs, batch_size=args.batch, lr=args.lr, seed=args.seed, progress=True,
        desc=f"{cfg.type} without {args.anomaly_digit}")
    auc = anomaly_auc(model, held_out, anomalies)
    if args.out:
        save_model(model, args.out, {"data": DIGITS, "anomaly_digit": args.anomaly_digit, "epochs": args.epochs})
    print(f"{cfg.type}: {len(held_out)} held-out normal digits vs {len(anomalies)} images of digit {args.anomaly_digit}")
    print(f"ROC-AUC {auc:.4f}")
    return 0


def _denoise(args: argparse.Namespace) -> int:
    from aecodec.classic.applications import denoise
    from aecodec.classic.store import load_model

    model, meta = load_model(args.model)
    split = _data_of(args, meta)
    noisy, out, r = denoise(model, split.x_test, args.noise, args.noise_level, args.seed)
    print(f"{r.noise} noise {r.level:g}: PSNR noisy {r.psnr_noisy:.2f} dB, denoised {r.psnr_denoised:.2f} dB")
    if args.plot:
        from aecodec.classic.plots import save_image_rows

        save_image_rows(args.plot, [split.x_test[:10], noisy[:10], out[:10]], ["clean", "noisy", "denoised"])
        print(f"saved {args.plot}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Handle ``aecodec classic ...``; returns the exit code."""
    import torch

    from aecodec.classic.extras import MissingExtraError

    torch.set_num_threads(max(1, getattr(args, "threads", 1)))
    handlers = {"train": _train, "embed": _embed, "anomaly": _anomaly, "denoise": _denoise}
    try:
        return handlers[args.classic_command](args)
    except (ValueError, FileNotFoundError, MissingExtraError) as exc:
        print(f"aecodec classic: {exc}", file=sys.stderr)
        return 1
