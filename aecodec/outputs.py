"""Writing output files as cp and cwebp do: atomically, never over an existing file unless forced, with
the permissions the umask gives, and nothing left behind when interrupted. An existing device or FIFO
(``/dev/null``, a named pipe) is written into, never replaced."""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from pathlib import Path

# Temporary files live beside their target (so the final rename stays on one file system) under a short,
# fixed-length name, so that a target whose name is at the file system's length limit still gets one:
# ".aec-" + 8 hex digits naming the target (a hash of its name) + 8 random ones + ".tmp", 25 characters.
_TEMPORARY_PREFIX, _TEMPORARY_SUFFIX = ".aec-", ".tmp"
_TEMPORARY_LENGTH = len(_TEMPORARY_PREFIX) + 16 + len(_TEMPORARY_SUFFIX)
_NEW_FILE_MODE = 0o666  # the umask takes its bits off, as for any file a shell command creates


class OutputError(OSError):
    """An output that cannot be written; the message names the output and the reason."""


class OutputExistsError(OutputError, FileExistsError):
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


def write_output(path: Path, data: bytes, force: bool) -> None:
    """Writes ``data`` to ``path``: into it when it is an existing device or FIFO, else atomically.

    ``/dev/null`` needs no ``force`` (it keeps nothing that writing could lose); any other existing path does.
    """
    try:
        existing = os.stat(path)
    except OSError:  # absent, or unreachable: write_atomically says why
        existing = None
    if existing is None or stat.S_ISREG(existing.st_mode) or stat.S_ISDIR(existing.st_mode):
        write_atomically(path, data, force)
        return
    if not (force or _is_null_device(existing)):
        raise OutputExistsError(path)
    if not write_into(path, data):
        write_atomically(path, data, force)


def _is_null_device(status: os.stat_result) -> bool:
    null = os.stat(os.devnull)
    return stat.S_ISCHR(status.st_mode) and status.st_rdev == null.st_rdev


def write_into(path: Path, data: bytes) -> bool:
    """Writes ``data`` into the device or FIFO ``path`` (blocking until a FIFO has a reader); False, having
    written nothing, when ``path`` turned out to be a regular file by the time it was opened."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOCTTY)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror}") from exc
    with os.fdopen(fd, "wb") as f:
        if stat.S_ISREG(os.fstat(fd).st_mode):  # replaced since it was looked at: opened without O_TRUNC
            return False
        try:
            f.write(data)
            f.flush()
        except OSError as exc:
            raise OutputError(f"{path}: cannot write: {exc.strerror}") from exc
    return True


def write_atomically(path: Path, data: bytes, force: bool) -> None:
    """Writes ``data`` to ``path`` through a temporary file in the same folder, creating missing folders.

    Never replaces an existing file unless ``force``; on any exception, KeyboardInterrupt and signals
    turned into exceptions included, the temporary file is removed and ``path`` is untouched. Failures
    are OutputErrors that name ``path`` (never the temporary file).
    """
    if path.exists() and not force:
        raise OutputExistsError(path)
    make_folder(path)
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
    except BaseException as exc:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from exc
        raise


def make_folder(path: Path) -> None:
    """Creates the folders above ``path``; an OutputError that names the obstacle when it cannot."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        blocker = next((p for p in path.parents if os.path.lexists(p) and not p.is_dir()), path.parent)
        raise OutputError(f"{path}: cannot create folder: {blocker} is not a folder") from exc
    except OSError as exc:
        raise OutputError(f"{path}: cannot create folder {path.parent}: {exc.strerror or exc}") from exc
