"""The ``aecodec`` command line, in the habits of cjpeg/cwebp.

encode/decode/info work on files, folders (-r: with subfolders), globs and ``-`` (stdin/stdout), write
atomically with the umask's permissions, refuse to overwrite without --force (devices and FIFOs are
written into, /dev/null without --force), print a one-line summary per file (to stderr when stdout carries
data), report bad input as a one-line error (exit code 1) and warnings as one line per file.
Ctrl-C and SIGTERM end with one line, exit 130/143, and leave no partial output behind.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import io
import json
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

from aecodec.argtypes import FRACTION, NON_NEGATIVE, NON_NEGATIVE_INT, POSITIVE, POSITIVE_INT, QUALITY, SCALE, number
from aecodec.container import DEFAULT_MAX_PIXELS
from aecodec.outputs import OutputError, write_output

STDIO = "-"  # as an input: read stdin; as an output: write stdout
LOSSY_OUTPUT_FORMATS = {"JPEG", "WEBP", "AVIF", "HEIF"}  # Pillow formats that take quality=
DEFAULT_DECODE_QUALITY = 90
METADATA_KINDS = ("exif", "icc", "xmp")


class CliError(Exception):
    """A problem with one file, reported as a single line."""


class Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt so that cleanups run."""


def expand_inputs(patterns: list[str], suffixes: set[str], recursive: bool = False) -> list[tuple[Path, Path | None]]:
    """(file, folder it was found in) for files named directly (folder None), files matching globs, and
    files with a matching suffix inside folders (and their subfolders with ``recursive``)."""
    found: list[tuple[Path, Path | None]] = []
    for pattern in patterns:
        if pattern == STDIO:
            found.append((Path(STDIO), None))
            continue
        matches = sorted(glob.glob(pattern, recursive=recursive)) if glob.has_magic(pattern) else [pattern]
        if not matches:
            raise CliError(f"{pattern}: no file matches")
        for match in matches:
            path = Path(match)
            if path.is_dir():
                walk = path.rglob("*") if recursive else path.iterdir()
                found.extend((p, path) for p in sorted(walk) if p.is_file() and p.suffix.lower() in suffixes)
            else:
                found.append((path, None))
    return found


def output_path(source: Path, folder: Path | None, args: argparse.Namespace, suffix: str, count: int) -> Path:
    """Where ``source`` (found in ``folder``, see expand_inputs) goes: -o, -d (keeping the subfolders of
    a folder input) or beside the source."""
    if args.output:
        if count != 1 and not _names_folder(args.output):
            raise CliError("-o names one output file; use -d DIR (or -o DIR/) for several inputs")
        if not _names_folder(args.output):
            return Path(args.output)
    if str(source) == STDIO:
        raise CliError("reading stdin needs -o FILE (or -o - for stdout)")
    name = source.stem + suffix
    if args.command == "decode" and not (args.output or args.dir):
        name = source.name + suffix  # x.aec -> x.aec.png: never the name of the image it was made from
    out_dir = args.output or args.dir
    if not out_dir:
        return source.parent / name
    subfolder = source.parent.relative_to(folder) if folder is not None else Path()
    return Path(out_dir) / subfolder / name


def _names_folder(output: str) -> bool:
    return output != STDIO and (output.endswith(("/", os.sep)) or Path(output).is_dir())


def plan_outputs(sources: list[tuple[Path, Path | None]], args: argparse.Namespace, suffix: str) -> list[Path]:
    """The output of every input; two inputs aimed at one output is an error before any work."""
    targets = [output_path(source, folder, args, suffix, len(sources)) for source, folder in sources]
    seen: dict[str, Path] = {}
    for (source, _), target in zip(sources, targets):
        if str(target) == STDIO:
            continue
        key = os.path.normcase(os.path.abspath(target))
        if key in seen:
            raise CliError(f"{seen[key]} and {source} would both be written to {target}; use -d with "
                           "distinct folders, or rename one")
        seen[key] = source
    return targets


def _read_input(source: Path) -> bytes:
    if str(source) == STDIO:
        return sys.stdin.buffer.read()
    try:
        return source.read_bytes()
    except OSError as exc:
        raise CliError(f"{source}: cannot read: {exc.strerror or exc}") from exc


def _write_output(target: Path, data: bytes, force: bool) -> None:
    if str(target) == STDIO:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        write_output(target, data, force)


def pixel_limit(args: argparse.Namespace) -> int | None:
    """The --max-pixels limit (None: no limit)."""
    return args.max_pixels or None


def allow_pixels(limit: int | None) -> None:
    """Sets Pillow's own decompression-bomb limit to --max-pixels in this process (once; never toggled back):
    every image is checked against it from its header first, and Pillow would otherwise warn above, or refuse
    at twice, its default, whatever the option says."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = limit


def too_large(source: Path, exc) -> str:
    """The one-line error of an image above --max-pixels, naming the option that lets it through."""
    if exc.width is None or exc.limit is None:
        return f"{source}: {exc}"
    pixels = exc.width * exc.height
    return (f"{source}: {exc.width}x{exc.height} image ({pixels} pixels) is above the limit of {exc.limit} pixels; "
            f"pass --max-pixels {pixels} (or 0: no limit) if the file is trusted")


def _human_size(size: int) -> str:
    return f"{size} B" if size < 10_000 else f"{size / 1024:.1f} KiB"


def _timings(codec, args: argparse.Namespace) -> str:
    if not args.verbose or not codec.last_timings:
        return ""
    return " (" + ", ".join(f"{k} {v:.2f} s" for k, v in codec.last_timings.items()) + ")"


def _encode_one(codec, source: Path, target: Path, args: argparse.Namespace) -> str:
    """Encodes one image file (or stdin) to one .aec file (or stdout); returns the summary line."""
    from aecodec.fileinfo import info

    started = time.perf_counter()
    strip = METADATA_KINDS if args.strip else [k for k in METADATA_KINDS if getattr(args, f"strip_{k}")]
    encoded_image = _read_input(source)
    with _refinement_progress(source, args):
        data = codec.encode(encoded_image, quality=args.quality, target_bpp=args.bpp, effort=args.effort,
                            strip=strip)
    _write_output(target, data, args.force)
    header = info(data)
    kept = f", kept {'+'.join(header.metadata)}" if header.metadata else ""
    return (f"{source} -> {target}: {header.width}x{header.height} {header.mode}, {_human_size(len(data))}, "
            f"{header.bpp:.3f} bpp, q={header.quality:.1f}{kept}, {time.perf_counter() - started:.2f} s"
            f"{_timings(codec, args)}")


@contextlib.contextmanager
def _refinement_progress(source: Path, args: argparse.Namespace):
    """A progress line for the refinement steps of one image (effort >= 1 takes seconds to minutes),
    shown only on a terminal."""
    if args.effort < 1 or args.quiet or not sys.stderr.isatty():
        yield
        return
    from tqdm import tqdm

    from aecodec.refine import reporting_steps

    with tqdm(desc=f"{source.name}: refining", unit="step", file=sys.stderr, leave=False) as bar:
        with reporting_steps(lambda: bar.update(1)):
            yield


def _decode_one(codec, source: Path, target: Path, args: argparse.Namespace) -> str:
    """Decodes one .aec file (or stdin) to one image file (or stdout); returns the summary line."""
    from aecodec.imageio import save_params

    started = time.perf_counter()
    image = codec.decode(_read_input(source))
    fmt = _format_for(target, args.format)
    params = save_params(image, fmt)
    if fmt in LOSSY_OUTPUT_FORMATS:
        params["quality"] = args.quality
    buffer = io.BytesIO()
    try:
        image.save(buffer, format=fmt, **params)
    except (KeyError, ValueError, OSError) as exc:
        raise CliError(f"{target}: cannot write this format ({exc})") from exc
    _write_output(target, buffer.getvalue(), args.force)
    return (f"{source} -> {target}: {image.width}x{image.height} {image.mode}, "
            f"{time.perf_counter() - started:.2f} s{_timings(codec, args)}")


def format_conflict(args: argparse.Namespace) -> str | None:
    """How --format contradicts the extension of an explicit -o file, if it does."""
    if not args.format or not args.output or args.output == STDIO or _names_folder(args.output):
        return None
    from PIL import Image

    Image.init()
    named = Image.EXTENSION.get(Path(args.output).suffix.lower())
    requested = Image.EXTENSION.get("." + args.format.lower().lstrip("."))
    if named and requested and named != requested:
        return (f"argument --format: {args.format} ({requested}) contradicts the extension of -o {args.output} "
                f"({named}); drop --format or rename the output")
    return None


def _format_for(target: Path, requested: str | None) -> str:
    """The Pillow format of an output: --format, else the target's extension, else PNG."""
    from PIL import Image

    Image.init()
    suffix = "." + requested.lower().lstrip(".") if requested else target.suffix.lower()
    if not suffix:
        return "PNG"
    fmt = Image.EXTENSION.get(suffix)
    if fmt is None or fmt not in Image.SAVE:
        raise CliError(f"{target}: unknown output format {suffix!r}")
    return fmt


def _run_files(args: argparse.Namespace, suffixes: set[str], out_suffix: str, work) -> int:
    from aecodec.errors import AecodecError

    try:
        sources = expand_inputs(args.inputs, suffixes, args.recursive)
        if not sources:
            raise CliError("no input files")
        if sum(str(s) == STDIO for s, _ in sources) > 1:
            raise CliError("stdin can be read only once")
        targets = plan_outputs(sources, args, out_suffix)
        if args.command == "decode":  # an unwritable output format is found before any decoding
            for target in targets:
                _format_for(target, args.format)
        if args.jobs or args.scheduler:
            if any(str(p) == STDIO for p in [*(s for s, _ in sources), *targets]):
                raise CliError("- (stdin or stdout) cannot be used with --jobs or --scheduler")
            from aecodec.batch import run_on_dask

            return run_on_dask(work, [s for s, _ in sources], targets, args)
        from aecodec.api import Codec  # torch and the model: only where the files are coded

        allow_pixels(pixel_limit(args))
        codec = Codec(encoding_model(args), threads=args.threads, max_pixels=pixel_limit(args))
    except (CliError, AecodecError, OSError) as exc:
        return _fail(exc)
    to_stderr = any(str(t) == STDIO for t in targets)  # stdout carries data: summaries go to stderr
    failures = 0
    with progress_bar(len(sources), args.quiet) as bar:
        for (source, _), target in zip(sources, targets):
            failures += not report(*process_file(work, codec, source, target, args), quiet=args.quiet,
                                   to_stderr=to_stderr)
            bar.update(1)
    return 1 if failures else 0


_file_warnings = threading.local()  # .lines: the warnings of the file this thread is processing
_quiet_warnings = False


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """``warnings.showwarning`` of the command line: one line, collected for the file being processed (and
    printed with its summary) or printed at once; none for Pillow's bomb warning (--max-pixels decides)."""
    from PIL import Image

    if issubclass(category, Image.DecompressionBombWarning):
        return
    lines = getattr(_file_warnings, "lines", None)
    if lines is not None:
        lines.append(str(message))
    elif not _quiet_warnings:
        print(f"aecodec: warning: {message}", file=sys.stderr)


def install_warning_hook() -> None:
    """Routes this process's warnings through ``_show_warning``, aecodec's own (UserWarning) for every file,
    not only the first (Python shows a warning once per place by default). Installed once per process, never
    toggled per file, so threads processing files at once do not interfere."""
    if warnings.showwarning is not _show_warning:
        warnings.showwarning = _show_warning
        warnings.simplefilter("always", UserWarning)


@contextlib.contextmanager
def one_line_warnings(quiet: bool = False):
    """The command line's warning hook for the duration of a command (restored after: the CLI also runs
    in-process, from tests and scripts); ``quiet`` silences warnings that belong to no file."""
    global _quiet_warnings
    saved = _quiet_warnings
    with warnings.catch_warnings():
        _quiet_warnings = quiet
        install_warning_hook()
        try:
            yield
        finally:
            _quiet_warnings = saved


def process_file(work, codec, source: Path, target: Path,
                 args: argparse.Namespace) -> tuple[bool, str, list[str]]:
    """Runs ``work`` (encode or decode one file): (True, its summary line) or (False, its one-line error),
    and the warnings it raised, one line each, naming the file."""
    from aecodec.errors import AecodecError, ImageTooLargeError

    install_warning_hook()
    _file_warnings.lines = caught = []
    try:
        ok, line = True, work(codec, source, target, args)
    except ImageTooLargeError as exc:
        ok, line = False, too_large(source, exc)
    except (CliError, AecodecError, OSError, ValueError) as exc:
        ok, line = False, str(exc) if isinstance(exc, (CliError, OutputError)) else f"{source}: {exc}"
    finally:
        _file_warnings.lines = None
    return ok, line, list(dict.fromkeys(f"{source}: {message}" for message in caught))


def progress_bar(total: int, quiet: bool = False):
    """The progress bar of a run over files: on stderr, only when it is a terminal, hidden for a single
    file and with --quiet (redraws would land in logs, and error lines share a line with the bar)."""
    from tqdm import tqdm

    return tqdm(total=total, disable=quiet or total < 2 or not sys.stderr.isatty(), unit="file", file=sys.stderr)


def report(ok: bool, line: str, warned: Sequence[str] = (), quiet: bool = False, to_stderr: bool = False) -> bool:
    """Prints one file's warnings (on stderr) and summary line (on stderr with ``to_stderr``: when stdout
    carries data), neither with ``quiet``, or its error; returns ``ok``."""
    from tqdm import tqdm

    if not quiet:
        for warning in warned:
            tqdm.write(f"aecodec: warning: {warning}", file=sys.stderr)
    if ok:
        if not quiet:
            tqdm.write(line, file=sys.stderr if to_stderr else sys.stdout)
    else:
        tqdm.write(f"aecodec: error: {line}", file=sys.stderr)  # not _fail: around the progress bar
    return ok


def _fail(message) -> int:
    print(f"aecodec: error: {message}", file=sys.stderr)
    return 1


def _run_info(args: argparse.Namespace) -> int:
    """One line (or one JSON object) per file; reads header, section table and checksum, never torch."""
    from aecodec.errors import AecodecError
    from aecodec.fileinfo import info

    try:
        sources = expand_inputs(args.inputs, {".aec"}, args.recursive)
        if not sources:
            raise CliError("no input files")
    except CliError as exc:
        return _fail(exc)
    status = 0
    for source, _ in sources:
        try:
            h = info(_read_input(source))
        except (CliError, AecodecError, OSError) as exc:
            status = _fail(exc if isinstance(exc, CliError) else f"{source}: {exc}")
            if args.json:
                print(json.dumps({"file": str(source), "error": str(exc)}))
            continue
        if args.json:
            print(json.dumps({"file": str(source), **h.as_dict()}))
            continue
        extras = "".join([", alpha" if h.has_alpha else "", f", {'+'.join(h.metadata)}" if h.metadata else ""])
        made_by = str(h.origin)  # model, weights, and the release that shipped them (or "development")
        print(f"{source}: {h.width}x{h.height} {h.mode}, quality {h.quality:.1f}, {h.file_size} bytes, "
              f"{h.bpp:.3f} bpp, {made_by}, format v{h.format_version}{extras}, checksum ok")
    return status


def _run_bench(argv: list[str]) -> int:
    """Front door to the ``bench`` package of the source checkout (not part of the installed package):
    runs ``python -m bench ARGS`` in the checkout this aecodec is imported from (an editable install)."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    if not (root / "bench" / "cli.py").exists():
        return _fail("the benchmarks (the bench package) live in the source checkout, not in this installation: "
                     "in a checkout, install it editable with the aecodec[bench] extras (pip install -e '.[bench]') "
                     "and run 'aecodec bench' or 'python -m bench' there")
    return subprocess.run([sys.executable, "-m", "bench", *argv], cwd=root).returncode


def encoding_model(args: argparse.Namespace) -> int:
    """The model id an encode command asked for (the default model otherwise, and for decoding)."""
    from aecodec.errors import AecodecError
    from aecodec.models import DEFAULT_MODEL_ID, check_model_id

    model = getattr(args, "model", None)
    if model is None:
        return DEFAULT_MODEL_ID
    try:
        return check_model_id(model)
    except AecodecError as exc:
        raise CliError(str(exc)) from None


def _add_codec_commands(sub: argparse._SubParsersAction) -> None:
    enc = sub.add_parser("encode", help="compress images to .aec")
    enc.add_argument("inputs", nargs="+", metavar="IN",
                     help="image files (any format Pillow reads), folders, globs, or - for stdin")
    rate = enc.add_mutually_exclusive_group()
    rate.add_argument("-q", "--quality", type=QUALITY, default=75.0, help="1..100, higher is better (default 75)")
    rate.add_argument("--bpp", type=POSITIVE, default=None, help="target bits per pixel instead of a quality")
    enc.add_argument("-e", "--effort", type=int, default=0, choices=range(4), metavar="{0..3}",
                     help="encoder effort: higher is slower, with a better size-quality trade-off (default 0)")
    enc.add_argument("--model", type=int, default=None, metavar="ID",
                     help="registered model to encode with: 2 (context entropy model, the default) or 1 "
                          "(mean-scale hyperprior, release 0.1.0's); decoding reads the model from the file")
    enc.add_argument("--strip", action="store_true", help="drop all metadata (EXIF, ICC profile, XMP)")
    for kind, label in (("exif", "EXIF"), ("icc", "the ICC profile"), ("xmp", "XMP")):
        enc.add_argument(f"--strip-{kind}", action="store_true", help=f"drop {label} (kept by default)")
    dec = sub.add_parser("decode", help="decompress .aec files (format from the output extension, PNG default)")
    dec.add_argument("inputs", nargs="+", metavar="IN", help=".aec files, folders, globs, or - for stdin")
    dec.add_argument("-q", "--quality", type=number(int, 1, 100), default=DEFAULT_DECODE_QUALITY,
                     help="quality of lossy output formats (JPEG, WebP, AVIF), 1..100 "
                          f"(default {DEFAULT_DECODE_QUALITY})")
    dec.add_argument("--format", metavar="EXT",
                     help="output format by extension (png, jpg, webp...), for -d, stdout and default names")
    for p in (enc, dec):
        where = p.add_mutually_exclusive_group()
        where.add_argument("-o", "--output",
                           help="output file (one input), - for stdout, or an existing folder or DIR/")
        where.add_argument("-d", "--dir", help="output folder (subfolders of folder inputs are kept)")
        p.add_argument("--force", action="store_true",
                       help="overwrite existing files (devices and FIFOs are written into, not replaced; "
                            "/dev/null needs no --force)")
        p.add_argument("--max-pixels", type=NON_NEGATIVE_INT, default=DEFAULT_MAX_PIXELS, metavar="N",
                       help=f"refuse images of more than N pixels, read from the header before any decoding "
                            f"(decompression bombs; default {DEFAULT_MAX_PIXELS}, as Pillow; 0: no limit)")
        p.add_argument("--threads", type=POSITIVE_INT, default=None,
                       help="threads (default: all cores; 1 per worker with --jobs/--scheduler)")
        dask = p.add_mutually_exclusive_group()
        dask.add_argument("--jobs", type=POSITIVE_INT, default=0, metavar="N",
                          help="run N single-thread worker processes on this machine (Dask LocalCluster)")
        dask.add_argument("--scheduler", metavar="ADDRESS",
                          help="send the files to a running Dask cluster (workers need aecodec and the paths)")
    inf = sub.add_parser("info", help="print the header of .aec files (checks the checksum; no model needed)")
    inf.add_argument("inputs", nargs="+", metavar="FILE", help=".aec files, folders, globs, or - for stdin")
    inf.add_argument("--json", action="store_true", help="one JSON object per line")
    for p in (enc, dec, inf):
        p.add_argument("-r", "--recursive", action="store_true", help="look into subfolders of folder inputs")
    for p in (enc, dec):
        talk = p.add_mutually_exclusive_group()
        talk.add_argument("--quiet", action="store_true", help="print errors only")
        talk.add_argument("-v", "--verbose", action="store_true", help="add time spent per stage to summaries")
    bench = sub.add_parser("bench", help="rate-distortion (default) or speed benchmark from a source checkout",
                           add_help=False)
    bench.add_argument("args", nargs=argparse.REMAINDER, help="rd|speed and their options (see bench/README.md)")
    demo = sub.add_parser("demo", help="compress and decompress one image; print bpp and PSNR next to JPEG")
    demo.add_argument("image", nargs="?", help="image file (default: a Kodak image from ../shared/data, else a sample in the package)")
    demo.add_argument("-q", "--quality", type=QUALITY, default=75.0)


def _add_train(sub: argparse._SubParsersAction) -> None:
    from aecodec.training.options import TrainOptions

    default = {name: field.default for name, field in TrainOptions.__dataclass_fields__.items()}
    p = sub.add_parser("train", help="train the codec model on a folder of images")
    p.add_argument("--data", required=True, help="folder of training images")
    p.add_argument("--out", required=True, help="folder for checkpoints, weights and the log")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt when present")
    p.add_argument("--init-weights", default="", help="start from a weights file (e.g. the shipped one)")
    p.add_argument("--steps", type=POSITIVE_INT, default=default["steps"])
    p.add_argument("--minutes", type=NON_NEGATIVE, default=default["minutes"],
                   help="stop after this many minutes of training in this run (0: no limit)")
    p.add_argument("--patch", type=POSITIVE_INT, default=default["patch"])
    p.add_argument("--batch", type=POSITIVE_INT, default=default["batch"], help="batch size per process")
    p.add_argument("--lr", type=POSITIVE, default=default["lr"])
    p.add_argument("--warmup", type=NON_NEGATIVE_INT, default=default["warmup"])
    p.add_argument("--decay-at", type=NON_NEGATIVE_INT, default=default["decay_at"],
                   help="step from which the learning rate drops 10x (0: never)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default=default["device"])
    p.add_argument("--precision", choices=["auto", "bf16", "fp32"], default=default["precision"])
    p.add_argument("--threads", type=NON_NEGATIVE_INT, default=default["threads"],
                   help="torch threads (0: torch's default)")
    p.add_argument("--seed", type=int, default=default["seed"])
    p.add_argument("--eval-dir", default="", help="folder evaluated periodically (estimated bpp, PSNR)")
    p.add_argument("--eval-every-min", type=POSITIVE, default=default["eval_every_min"])
    p.add_argument("--checkpoint-every-min", type=POSITIVE, default=default["checkpoint_every_min"])
    p.add_argument("--compile", action=argparse.BooleanOptionalAction, default=default["compile"],
                   help="torch.compile the training step (needs a C++ compiler on CPU)")
    p.add_argument("--holdout-every", type=NON_NEGATIVE_INT, default=default["holdout_every"],
                   help="leave every n-th image (by name) out of training, for evaluation (0: use all)")
    # Long names only: torchrun would take an abbreviation like --n for one of its own options.
    p.add_argument("--channels", dest="n", type=POSITIVE_INT, default=default["n"],
                   help="channels of the transforms (N)")
    p.add_argument("--latent-channels", dest="m", type=POSITIVE_INT, default=default["m"],
                   help="channels of the latent (M)")
    p.add_argument("--model", choices=["hyperprior", "context"], default=default["model"],
                   help="hyperprior: model 1; context: model 2 (context entropy model; start it with "
                        "--init-weights from model 1's weights)")
    p.add_argument("--context-lr-scale", type=POSITIVE, default=default["context_lr_scale"],
                   help="model 2's context networks learn at --lr times this")
    p.add_argument("--transforms-from-step", type=NON_NEGATIVE_INT, default=default["transforms_from_step"],
                   help="model 2: keep model 1's parts frozen before this step (train the context first)")
    p.add_argument("--stage", choices=["joint", "context"], default=default["stage"],
                   help="model 2: joint trains everything on rate and distortion; context trains only the "
                        "context networks, on rate alone (about 3x cheaper steps; the context-first stage)")
    p.add_argument("--keep-snapshots", action="store_true",
                   help="keep a copy of the weights at every checkpoint in OUT/snapshots/ (to compare runs)")
    p.add_argument("--rate-proxy", choices=["noise", "ste"], default=default["rate_proxy"],
                   help="rate from noisy latents (default) or from the coded values with straight-through "
                        "gradients (fine-tuning)")
    p.add_argument("--min-scale", type=SCALE, default=default["min_scale"], metavar="S",
                   help="cut each patch from a square of side P / s with s drawn in [S, 1] and shrink it to P "
                        "(1: crops at the photos' own scale)")
    p.add_argument("--upright", action="store_true",
                   help="mirror photo patches left-right only, never upside down (photos are lit from above)")
    p.add_argument("--synthetic", type=FRACTION, default=default["synthetic"], metavar="F",
                   help="train on smooth synthetic colour gradients for a fraction F of the patches (0-1)")
    p.add_argument("--balance-levels", action="store_true",
                   help="weigh each patch's loss by 1 / the typical loss at its level, so every level's relative "
                        "gain counts alike (as in BD-rate) instead of the top levels' absolute loss dominating")
    p.add_argument("--conditioned-synthesis", action="store_true",
                   help="give the synthesis per-level channel scales and shifts (starting neutral, so the model "
                        "first decodes as before); weights that have them keep them")
    p.add_argument("--modulation-lr-scale", type=POSITIVE, default=default["modulation_lr_scale"], metavar="X",
                   help="the conditioned synthesis's (and analysis's) scales and shifts learn at the learning rate "
                        "times X")
    p.add_argument("--conditioned-analysis", action="store_true",
                   help="give the analysis per-level channel scales and shifts (starting neutral; encoder side only, "
                        "so decoding costs nothing more); weights that have them keep them")


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
    """Runs the command line; for the file commands, Ctrl-C and SIGTERM end with one line and exit 130
    and 143 (train handles its signals itself: it saves a checkpoint)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    file_command = argv[:1] in (["encode"], ["decode"], ["info"])
    if not file_command or threading.current_thread() is not threading.main_thread():
        return _main(argv)  # (signal handlers can only be set from the main thread)
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("aecodec: interrupted", file=sys.stderr)
        return 128 + signal.SIGINT
    except Terminated:
        print("aecodec: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    except BrokenPipeError:  # the reader of stdout went away (e.g. | head): not worth a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nor a complaint when Python exits
        print("aecodec: error: stdout was closed", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)


def _raise_terminated(signum, frame) -> None:
    raise Terminated()


def _main(argv: list[str]) -> int:
    if argv[:1] == ["bench"]:  # everything after it, --help included, belongs to the benchmark
        return _run_bench(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "encode":
        from aecodec.imageio import readable_suffixes

        with one_line_warnings(args.quiet):
            return _run_files(args, readable_suffixes(), ".aec", _encode_one)
    if args.command == "decode":
        if conflict := format_conflict(args):
            parser.error(conflict)
        with one_line_warnings(args.quiet):
            return _run_files(args, {".aec"}, "." + (args.format or "png").lower().lstrip("."), _decode_one)
    if args.command == "info":
        return _run_info(args)
    if args.command == "demo":
        from aecodec.demo import run
        from aecodec.errors import AecodecError

        try:
            with one_line_warnings():
                return run(args.image, args.quality)
        except (AecodecError, OSError, ValueError) as exc:
            return _fail(exc)
    if args.command == "train":
        return _run_train(args)
    if args.command == "classic":
        from aecodec.classic.cli import run as _run_classic

        return _run_classic(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
