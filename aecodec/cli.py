"""The ``aecodec`` command line, in the habits of cjpeg/cwebp.

encode/decode/info work on files, folders and globs, write atomically, refuse to overwrite without
--force, print a one-line summary per file, and report bad input as a one-line error (exit code 1).
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import tempfile
import time
from pathlib import Path

TEMPORARY_SUFFIX = ".tmp"  # of write_atomically's temporary files, next to their target
ENCODABLE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".gif", ".tga"}


class CliError(Exception):
    """A problem with one file, reported as a single line."""


def expand_inputs(patterns: list[str], suffixes: set[str]) -> list[Path]:
    """Files named directly, files matching globs, and files with a matching suffix inside folders."""
    found: list[Path] = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not matches:
            raise CliError(f"{pattern}: no file matches")
        for match in matches:
            path = Path(match)
            if path.is_dir():
                found.extend(sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in suffixes))
            else:
                found.append(path)
    return found


def output_path(source: Path, args: argparse.Namespace, suffix: str, count: int) -> Path:
    if args.output:
        if count != 1:
            raise CliError("-o names one output file; use -d DIR for several inputs")
        return Path(args.output)
    folder = Path(args.dir) if args.dir else source.parent
    return folder / (source.stem + suffix)


def write_atomically(path: Path, data: bytes, force: bool) -> None:
    """Writes via a temporary file in the same folder; never replaces an existing file unless forced."""
    if path.exists() and not force:
        raise CliError(f"{path} exists (use --force to overwrite)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if force:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails if the file appeared meanwhile: no silent overwrite
            except FileExistsError:
                raise CliError(f"{path} exists (use --force to overwrite)") from None
            os.unlink(tmp)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def temporary_files_of(targets: list[Path]) -> list[Path]:
    """Temporary files of ``write_atomically`` for these targets, left behind only by processes killed
    mid-write (names ``.{target name}.{random}.tmp``; one listing per folder)."""
    names: dict[Path, set[str]] = {}
    for target in targets:
        names.setdefault(target.parent, set()).add(target.name)
    found = []
    for folder, wanted in names.items():
        if folder.is_dir():
            found += [folder / n for n in os.listdir(folder)
                      if n.startswith(".") and n.endswith(TEMPORARY_SUFFIX) and n[1:].rsplit(".", 2)[0] in wanted]
    return found


def _human_size(size: int) -> str:
    return f"{size} B" if size < 10_000 else f"{size / 1024:.1f} KiB"


def _encode_one(codec, source: Path, target: Path, args: argparse.Namespace) -> str:
    started = time.perf_counter()
    data = codec.encode(source, quality=args.quality, target_bpp=args.bpp, effort=args.effort)
    write_atomically(target, data, args.force)
    from aecodec.api import info

    header = info(data)
    return (f"{source} -> {target}: {header.width}x{header.height} {header.mode}, {_human_size(len(data))}, "
            f"{header.bpp:.3f} bpp, q={header.quality:.1f}, {time.perf_counter() - started:.2f} s")


def _decode_one(codec, source: Path, target: Path, args: argparse.Namespace) -> str:
    import io

    started = time.perf_counter()
    image = codec.decode(source.read_bytes())
    buffer = io.BytesIO()
    fmt = None if target.suffix else "PNG"
    params = {"icc_profile": image.info["icc_profile"]} if image.info.get("icc_profile") else {}
    try:
        image.save(buffer, format=fmt or _format_for(target), **params)
    except (KeyError, ValueError, OSError) as exc:
        raise CliError(f"{target}: cannot write this format ({exc})") from exc
    write_atomically(target, buffer.getvalue(), args.force)
    return (f"{source} -> {target}: {image.width}x{image.height} {image.mode}, "
            f"{time.perf_counter() - started:.2f} s")


def _format_for(target: Path) -> str:
    from PIL import Image

    Image.init()
    fmt = Image.EXTENSION.get(target.suffix.lower())
    if fmt is None:
        raise CliError(f"{target}: unknown output format {target.suffix!r}")
    return fmt


def _run_files(args: argparse.Namespace, suffixes: set[str], out_suffix: str, work) -> int:
    from aecodec.errors import AecodecError

    try:
        sources = expand_inputs(args.inputs, suffixes)
        if not sources:
            raise CliError("no input files")
        targets = [output_path(s, args, out_suffix, len(sources)) for s in sources]
        if args.jobs or args.scheduler:
            from aecodec.batch import run_on_dask

            return run_on_dask(work, sources, targets, args)
        from aecodec.api import Codec  # torch and the model: only where the files are coded

        codec = Codec(threads=args.threads)
    except (CliError, AecodecError, OSError) as exc:
        return _fail(exc)
    failures = 0
    with progress_bar(len(sources)) as bar:
        for source, target in zip(sources, targets):
            failures += not report(*process_file(work, codec, source, target, args))
            bar.update(1)
    return 1 if failures else 0


def process_file(work, codec, source: Path, target: Path, args: argparse.Namespace) -> tuple[bool, str]:
    """Runs ``work`` (encode or decode one file): (True, its summary line) or (False, its one-line error)."""
    from aecodec.errors import AecodecError

    try:
        return True, work(codec, source, target, args)
    except (CliError, AecodecError, OSError, ValueError) as exc:
        return False, str(exc) if isinstance(exc, CliError) else f"{source}: {exc}"


def progress_bar(total: int):
    """The progress bar of a run over files (stderr; hidden for a single file)."""
    from tqdm import tqdm

    return tqdm(total=total, disable=total < 2, unit="file", file=sys.stderr)


def report(ok: bool, line: str) -> bool:
    """Prints one file's summary line, or its error; returns ``ok``."""
    from tqdm import tqdm

    if ok:
        tqdm.write(line)
    else:
        tqdm.write(f"aecodec: error: {line}", file=sys.stderr)  # not _fail: around the progress bar
    return ok


def _fail(message) -> int:
    print(f"aecodec: error: {message}", file=sys.stderr)
    return 1


def _run_info(args: argparse.Namespace) -> int:
    from aecodec.api import info
    from aecodec.errors import AecodecError

    try:
        sources = expand_inputs(args.inputs, {".aec"})
    except CliError as exc:
        return _fail(exc)
    status = 0
    for source in sources:
        try:
            h = info(source.read_bytes())
        except (AecodecError, OSError) as exc:
            status = _fail(f"{source}: {exc}")
            continue
        extras = "".join([", alpha" if h.has_alpha else "", ", ICC profile" if h.has_icc_profile else ""])
        print(f"{source}: {h.width}x{h.height} {h.mode}, quality {h.quality:.1f}, {h.file_size} bytes, "
              f"{h.bpp:.3f} bpp, model {h.model_id} ({h.model_name or 'unknown'}) {h.fingerprint}, "
              f"format v{h.format_version}{extras}")
    return status


def _run_bench(argv: list[str]) -> int:
    """Front door to bench/ (rd.py, speed.py), which lives in the source tree, not in the package."""
    root = Path(__file__).resolve().parent.parent
    if not (root / "bench" / "cli.py").exists():
        return _fail("the benchmarks live in the source checkout (bench/); run aecodec bench from there")
    sys.path.insert(0, str(root))
    from bench.cli import main as bench_main

    return bench_main(argv)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _add_codec_commands(sub: argparse._SubParsersAction) -> None:
    enc = sub.add_parser("encode", help="compress images to .aec")
    enc.add_argument("inputs", nargs="+", metavar="IN", help="image files, folders or globs")
    rate = enc.add_mutually_exclusive_group()
    rate.add_argument("-q", "--quality", type=float, default=75.0, help="1..100, higher is better (default 75)")
    rate.add_argument("--bpp", type=float, default=None, help="target bits per pixel instead of a quality")
    enc.add_argument("-e", "--effort", type=int, default=0, choices=range(4), metavar="{0..3}",
                     help="encoder effort: higher is slower and smaller at the same quality (default 0)")
    dec = sub.add_parser("decode", help="decompress .aec files (format from the output extension, PNG default)")
    dec.add_argument("inputs", nargs="+", metavar="IN", help=".aec files, folders or globs")
    for p in (enc, dec):
        where = p.add_mutually_exclusive_group()
        where.add_argument("-o", "--output", help="output file (one input only)")
        where.add_argument("-d", "--dir", help="output folder")
        p.add_argument("--force", action="store_true", help="overwrite existing files")
        p.add_argument("--threads", type=int, default=None,
                       help="threads (default: all cores; 1 per worker with --jobs/--scheduler)")
        dask = p.add_mutually_exclusive_group()
        dask.add_argument("--jobs", type=_positive_int, default=0, metavar="N",
                          help="run N single-thread worker processes on this machine (Dask LocalCluster)")
        dask.add_argument("--scheduler", metavar="ADDRESS",
                          help="send the files to a running Dask cluster (workers need aecodec and the paths)")
    inf = sub.add_parser("info", help="print the header of .aec files")
    inf.add_argument("inputs", nargs="+", metavar="FILE")
    bench = sub.add_parser("bench", help="rate-distortion (default) or speed benchmark from a source checkout",
                           add_help=False)
    bench.add_argument("args", nargs=argparse.REMAINDER, help="rd|speed and their options (see bench/README.md)")
    demo = sub.add_parser("demo", help="compress and decompress one image; print bpp and PSNR next to JPEG")
    demo.add_argument("image", nargs="?", help="image file (default: a Kodak image from ../shared/data)")
    demo.add_argument("-q", "--quality", type=float, default=75.0)


def _add_train(sub: argparse._SubParsersAction) -> None:
    from aecodec.training.options import TrainOptions

    default = {name: field.default for name, field in TrainOptions.__dataclass_fields__.items()}
    p = sub.add_parser("train", help="train the codec model on a folder of images")
    p.add_argument("--data", required=True, help="folder of training images")
    p.add_argument("--out", required=True, help="folder for checkpoints, weights and the log")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt when present")
    p.add_argument("--init-weights", default="", help="start from a weights file (e.g. the shipped one)")
    p.add_argument("--steps", type=int, default=default["steps"])
    p.add_argument("--minutes", type=float, default=default["minutes"],
                   help="stop after this many minutes of training in this run (0: no limit)")
    p.add_argument("--patch", type=int, default=default["patch"])
    p.add_argument("--batch", type=int, default=default["batch"], help="batch size per process")
    p.add_argument("--lr", type=float, default=default["lr"])
    p.add_argument("--warmup", type=int, default=default["warmup"])
    p.add_argument("--decay-at", type=int, default=default["decay_at"],
                   help="step from which the learning rate drops 10x (0: never)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default=default["device"])
    p.add_argument("--precision", choices=["auto", "bf16", "fp32"], default=default["precision"])
    p.add_argument("--threads", type=int, default=default["threads"], help="torch threads (0: torch's default)")
    p.add_argument("--seed", type=int, default=default["seed"])
    p.add_argument("--eval-dir", default="", help="folder evaluated periodically (estimated bpp, PSNR)")
    p.add_argument("--eval-every-min", type=float, default=default["eval_every_min"])
    p.add_argument("--checkpoint-every-min", type=float, default=default["checkpoint_every_min"])
    p.add_argument("--compile", action=argparse.BooleanOptionalAction, default=default["compile"],
                   help="torch.compile the training step (needs a C++ compiler on CPU)")
    p.add_argument("--holdout-every", type=int, default=default["holdout_every"],
                   help="leave every n-th image (by name) out of training, for evaluation (0: use all)")
    # Long names only: torchrun would take an abbreviation like --n for one of its own options.
    p.add_argument("--channels", dest="n", type=int, default=default["n"], help="channels of the transforms (N)")
    p.add_argument("--latent-channels", dest="m", type=int, default=default["m"],
                   help="channels of the latent (M)")
    p.add_argument("--model", choices=["hyperprior", "context"], default=default["model"],
                   help="hyperprior: model 1; context: model 2 (context entropy model; start it with "
                        "--init-weights from model 1's weights)")
    p.add_argument("--context-lr-scale", type=float, default=default["context_lr_scale"],
                   help="model 2's context networks learn at --lr times this")
    p.add_argument("--transforms-from-step", type=int, default=default["transforms_from_step"],
                   help="model 2: keep model 1's parts frozen before this step (train the context first)")
    p.add_argument("--keep-snapshots", action="store_true",
                   help="keep a copy of the weights at every checkpoint in OUT/snapshots/ (to compare runs)")
    p.add_argument("--rate-proxy", choices=["noise", "ste"], default=default["rate_proxy"],
                   help="rate from noisy latents (default) or from the coded values with straight-through "
                        "gradients (fine-tuning)")


def _run_train(args: argparse.Namespace) -> int:
    from aecodec.training.options import TrainOptions
    from aecodec.training.trainer import Trainer

    options = TrainOptions(**{k: v for k, v in vars(args).items() if k in TrainOptions.__dataclass_fields__})
    Trainer(options).run()
    return 0


def build_parser() -> argparse.ArgumentParser:
    from aecodec import __version__

    parser = argparse.ArgumentParser(prog="aecodec", description="Learned image codec")
    parser.add_argument("--version", action="version", version=f"aecodec {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_codec_commands(sub)
    _add_train(sub)
    from aecodec.classic.cli import register as _register_classic

    _register_classic(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:  # everything after it, --help included, belongs to the benchmark
        return _run_bench(argv[1:])
    args = build_parser().parse_args(argv)
    if args.command == "encode":
        return _run_files(args, ENCODABLE_SUFFIXES, ".aec", _encode_one)
    if args.command == "decode":
        return _run_files(args, {".aec"}, ".png", _decode_one)
    if args.command == "info":
        return _run_info(args)
    if args.command == "demo":
        from aecodec.demo import run

        try:
            return run(args.image, args.quality)
        except (FileNotFoundError, ValueError) as exc:
            return _fail(exc)
    if args.command == "train":
        return _run_train(args)
    if args.command == "classic":
        from aecodec.classic.cli import run as _run_classic

        return _run_classic(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
