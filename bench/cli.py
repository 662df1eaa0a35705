"""Entry point for ``aecodec bench`` / ``python -m bench``: ``rd`` (default) or ``speed``."""

from __future__ import annotations

import sys

USAGE = """usage: aecodec bench [rd|speed] [options]

  rd     rate-distortion on Kodak (or --images DIR) vs JPEG/WebP/AVIF/JPEG XL/JPEG 2000
  speed  encode/decode time (1 and 2 threads) and peak RSS on a 24-megapixel image

'aecodec bench rd --help' and 'aecodec bench speed --help' list the options."""


def main(argv: list[str] | None = None) -> int:
    """Dispatch to ``bench.rd.main`` or ``bench.speed.main``; the first argument picks one."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    command = argv.pop(0) if argv and argv[0] in ("rd", "speed") else "rd"
    if command == "speed":
        from bench.speed import main as run
    else:
        from bench.rd import main as run
    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
