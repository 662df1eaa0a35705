"""Locations the benchmarks use, resolved from the repository root (not the cwd)."""

from __future__ import annotations

from pathlib import Path

from aecodec.imageio import readable_suffixes

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
KODAK_DIR = SHARED / "data" / "kodak"
REFERENCE_CSV = SHARED / "reference" / "kodak_curves.csv"
RESULTS_DIR = REPO_ROOT / "bench" / "results"


def resolve(path: str | Path) -> Path:
    """A user-given path: absolute as is, otherwise relative to the repository root."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else (REPO_ROOT / p).resolve()


def list_images(folder: Path) -> list[Path]:
    """Image files of a folder (the formats Pillow opens), sorted by name."""
    suffixes = readable_suffixes()
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in suffixes)
