"""Entry point for ``python -m bench`` (and ``aecodec bench``, which runs it): ``rd`` (default), ``speed``,
``batch`` or ``crops``. Each is also a module of its own: ``python -m bench.rd``, ``python -m bench.speed``, ..."""

from __future__ import annotations

import sys

USAGE = """usage: aecodec bench [rd|speed|batch|crops] [options]

  rd     rate-distortion on Kodak (or --images DIR) vs JPEG/WebP/AVIF/JPEG XL/JPEG 2000
  speed  encode/decode time (1 and 2 threads) and peak RSS on a 24-megapixel image
  batch  encoding a folder serially vs with --jobs 2 (Dask): wall time, steady-state images/s
  crops  the same crop from aecodec, JPEG, WebP and AVIF at equal file size, as one PNG

'aecodec bench rd --help' (or speed, batch) lists the options."""


def main(argv: list[str] | None = None) -> int:
    """Dispatch to ``bench.rd.main``, ``bench.speed.main``, ``bench.batch.main`` or ``bench.crops.main``; the first
    argument picks one."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    command = argv.pop(0) if argv and argv[0] in ("rd", "speed", "batch", "crops") else "rd"
    try:
        if command == "batch":
            from bench.batch import main as run
        elif command == "crops":
            from bench.crops import main as run
        elif command == "speed":
            from bench.speed import main as run
        else:
            from bench.rd import main as run
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in ("aecodec", "bench"):
            raise
        print(f"aecodec bench: the benchmarks need {exc.name}, which is not installed: "
              "pip install 'aecodec[bench]'", file=sys.stderr)
        return 1
    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
