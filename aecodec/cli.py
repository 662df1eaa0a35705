"""The ``aecodec`` command line."""

from __future__ import annotations

import argparse
import sys


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train the codec model on a folder of images")
    p.add_argument("--data", required=True, help="folder of training images")
    p.add_argument("--out", required=True, help="folder for checkpoints, weights and the log")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt when present")
    p.add_argument("--init-weights", default="", help="start from a weights file (e.g. the shipped one)")
    p.add_argument("--steps", type=int, default=1_000_000)
    p.add_argument("--patch", type=int, default=128)
    p.add_argument("--batch", type=int, default=16, help="batch size per process")
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--warmup", type=int, default=500)
    p.add_argument("--decay-at", type=int, default=0, help="step from which the learning rate drops 10x")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--precision", choices=["auto", "bf16", "fp32"], default="auto")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval-dir", default="", help="folder evaluated periodically (estimated bpp, PSNR)")
    p.add_argument("--eval-every-min", type=float, default=20.0)
    p.add_argument("--checkpoint-every-min", type=float, default=5.0)
    p.add_argument("--n", type=int, default=128, help="channels of the transforms")
    p.add_argument("--m", type=int, default=192, help="channels of the latent")


def _run_train(args: argparse.Namespace) -> int:
    from aecodec.training.trainer import Trainer, TrainOptions

    options = TrainOptions(**{k: v for k, v in vars(args).items() if k in TrainOptions.__dataclass_fields__})
    Trainer(options).run()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aecodec", description="Learned image codec")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_train(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "train":
        return _run_train(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
