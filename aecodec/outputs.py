"""Writing output files as cp and cwebp do: atomically, never over an existing file unless forced, with
the permissions the umask gives, and nothing left behind when interrupted."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

# Temporary files live beside their target (so the final rename stays on one file system) under a short,
# fixed-length name, so that a target whose name is at the file system's length limit still gets one:
# ".aec-" + 8 hex digits naming the target (a hash of its name) + 8 random ones + ".tmp", 25 characters.
_TEMPORARY_PREFIX, _TEMPORARY_SUFFIX = ".aec-", ".tmp"
_TEMPORARY_LENGTH = len(_TEMPORARY_PREFIX) + 16 + len(_TEMPORARY_SUFFIX)
_NEW_FILE_MODE = 0o666  # the umask takes its bits off, as for any file a shell command creates


class OutputExistsError(FileExistsError):
    """The output exists and overwriting was not asked for."""

    def __init__(self, path: Path):
        super().__init__(f"{path} exists (use --force to overwrite)")


def _target_tag(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:8]


def temporary_name(target_name: str) -> str:
    """A fresh temporary name for the file that will be called ``target_name``."""
    return f"{_TEMPORARY_PREFIX}{_target_tag(target_name)}{secrets.token_hex(4)}{_TEMPORARY_SUFFIX}"


def temporary_files_of(targets: list[Path]) -> list[Path]:
    """Temporary files of ``write_atomically`` for these targets, left behind only by processes killed
    mid-write (one listing per folder)."""
    tags: dict[Path, set[str]] = {}
    for target in targets:
        tags.setdefault(target.parent, set()).add(_target_tag(target.name))
    found = []
    start, end = len(_TEMPORARY_PREFIX), len(_TEMPORARY_PREFIX) + 8
    for folder, wanted in tags.items():
        if folder.is_dir():
            found += [folder / n for n in os.listdir(folder) if len(n) == _TEMPORARY_LENGTH
                      and n.startswith(_TEMPORARY_PREFIX) and n.endswith(_TEMPORARY_SUFFIX) and n[start:end] in wanted]
    return found


def write_atomically(path: Path, data: bytes, force: bool) -> None:
    """Writes ``data`` to ``path`` through a temporary file in the same folder.

    Never replaces an existing file unless ``force``; on any exception, KeyboardInterrupt and signals
    turned into exceptions included, the temporary file is removed and ``path`` is untouched.
    """
    if path.exists() and not force:
        raise OutputExistsError(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = None
    try:
        while True:
            tmp = path.parent / temporary_name(path.name)  # named before it exists, so that cleanup always knows it
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _NEW_FILE_MODE)
                break
            except FileExistsError:  # someone else's file: pick another name
                tmp = None
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
                raise OutputExistsError(path) from None
            os.unlink(tmp)
    except BaseException:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        raise
