"""Batch encoding and decoding on Dask: what ``aecodec encode/decode --jobs N | --scheduler ADDRESS`` runs.

Each file is one task running the command line's per-file function (``cli.process_file``) on a worker:
the worker loads the model once (one cached ``Codec`` per worker process), writes the output atomically
itself, and sends back the file's summary line or one-line error. The client prints them as they come
and counts finished files on the progress bar. ``dask.distributed`` is imported only here.
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import signal
import threading
from contextlib import contextmanager
from pathlib import Path

from aecodec.cli import CliError, progress_bar, report
from aecodec.outputs import temporary_files_of

INSTALL_HINT = 'the Dask options need dask.distributed: pip install "aecodec[dask]"'
CONNECT_TIMEOUT_S = 10

# glibc's allocator settings for the local cluster's workers, set before they start. Dask's nanny starts
# workers with MALLOC_TRIM_THRESHOLD_=65536, which also fixes the mmap threshold at 128 KiB: every
# activation tensor of an image (tens of MB) is then mapped afresh and page-faulted in, and the freed heap
# is handed back after each image. That made a 1-thread worker ~25% slower than a plain 1-thread process
# (bench/results/batch/stages.md). Up to 1 GiB, freed memory is now kept and reused by the next image
# (tiling bounds one image's tensors well below that).
WORKER_ALLOCATOR_ENVIRON = {"MALLOC_TRIM_THRESHOLD_": 1 << 30, "MALLOC_MMAP_THRESHOLD_": 1 << 30}


def _distributed():
    try:
        import distributed
    except ImportError:
        raise CliError(INSTALL_HINT) from None
    return distributed


def worker_precision() -> str:
    """The transforms' arithmetic this machine would pick ("auto"), sent to every worker so that the
    bytes match a serial run here whatever CPUs the cluster has."""
    from aecodec.runtime import resolve_precision

    return resolve_precision("auto")


@functools.lru_cache(maxsize=4)
def worker_codec(threads: int, precision: str, model_id: int, max_pixels: int | None):
    """The worker process's codec for these settings: the model is loaded on first use, then reused."""
    from aecodec.api import Codec

    return Codec(model_id, threads=threads, precision=precision, max_pixels=max_pixels)


def process_on_worker(source: Path, target: Path, *, work, args: argparse.Namespace, threads: int,
                      precision: str) -> tuple[bool, str, list[str]]:
    """One file on a worker: ``cli.process_file`` with the worker's codec."""
    from aecodec.cli import allow_pixels, encoding_model, pixel_limit, process_file

    allow_pixels(pixel_limit(args))
    codec = worker_codec(threads, precision, encoding_model(args), pixel_limit(args))
    return process_file(work, codec, source, target, args)


def ignore_interrupts(worker=None) -> None:
    """Worker set-up: the terminal's Ctrl-C reaches every process of its group, but only the client acts
    on it (it shuts the workers down), so workers do not die mid-file with tracebacks of their own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


dask_setup = ignore_interrupts  # the hook Dask calls when this module is a worker preload (restarted workers)


class _Interrupted(Exception):
    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


class _Interrupts:
    """Ctrl-C and SIGTERM during a run. They are acted on (as ``_Interrupted``) only while the client
    waits for the next result; inside Dask's own calls, which an exception would leave half done
    (starting or closing the cluster, submitting), they are noted and acted on at the next wait."""

    def __init__(self):
        self.pending: int | None = None
        self._armed = False
        self._previous: dict = {}
        self._installed = threading.current_thread() is threading.main_thread()  # else Python's defaults

    def __enter__(self) -> "_Interrupts":
        if self._installed:
            # A signal ignored from the start stays ignored: a shell starts background jobs with SIGINT
            # ignored, so that the terminal's Ctrl-C does not stop them (the single-file path behaves alike).
            watched = [s for s in (signal.SIGINT, signal.SIGTERM) if signal.getsignal(s) is not signal.SIG_IGN]
            self._previous = {s: signal.signal(s, self._handle) for s in watched}
        return self

    def __exit__(self, *exc) -> None:
        for s, handler in self._previous.items():
            signal.signal(s, handler)

    def _handle(self, signum, frame) -> None:
        self.pending = self.pending or signum
        if self._armed:
            self._armed = False
            raise _Interrupted(signum)

    @contextmanager
    def acted_on(self):
        if self.pending:
            raise _Interrupted(self.pending)
        self._armed = True
        try:
            yield
        finally:
            self._armed = False

    @contextmanager
    def ignored_by_new_processes(self):
        """Starts worker processes with SIGINT ignored (an ignored signal is inherited across exec): the
        terminal's Ctrl-C reaches its whole process group, but only the client should act on it.
        The client does not hear a Ctrl-C meanwhile (the seconds it takes to start the workers)."""
        if signal.SIGINT not in self._previous:  # not ours to change (another thread, or ignored from the start)
            yield
            return
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, self._handle)


def local_cluster(distributed, workers: int):
    """What ``--jobs`` starts: a LocalCluster of ``workers`` single-thread worker processes."""
    import dask

    ours = {name: str(value) for name, value in WORKER_ALLOCATOR_ENVIRON.items()}
    environ = {**dask.config.get("distributed.nanny.pre-spawn-environ"), **ours}
    # Dask takes these variables' values from this process's environment first, where an earlier cluster
    # in this process leaves its own (the nanny writes them there): ours are set meanwhile, then undone.
    saved = {name: os.environ.get(name) for name in ours}
    os.environ.update(ours)
    try:
        with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
            return distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                            dashboard_address=None, silence_logs=logging.CRITICAL, preload=[__name__])
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def _client(distributed, args: argparse.Namespace, interrupts: _Interrupts):
    if args.scheduler:
        try:
            client = distributed.Client(args.scheduler, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as exc:
            raise CliError(f"cannot reach the Dask scheduler at {args.scheduler}: {exc}") from None
        with client:
            yield client
        return
    with interrupts.ignored_by_new_processes():
        cluster = local_cluster(distributed, args.jobs)
    with cluster, distributed.Client(cluster) as client:
        yield client


def _outcome(future, source: Path) -> tuple[bool, str, list[str]]:
    try:
        return future.result()
    except Exception as exc:  # the task itself failed: a worker died on this file, or a worker lacks aecodec
        first_line = (str(exc).strip().splitlines() or [""])[0]
        return False, f"{source}: {type(exc).__name__}: {first_line}", []


def run_on_dask(work, sources: list[Path], targets: list[Path], args: argparse.Namespace) -> int:
    """Runs ``work`` (the CLI's encode or decode of one file) over the files on Dask; the CLI's exit code.

    ``--jobs N`` starts a LocalCluster of N single-thread worker processes here, ``--scheduler`` uses a
    running cluster. Interrupting (Ctrl-C, SIGTERM) shuts a local cluster down, removes any temporary
    file a killed worker left and exits with 128 + the signal; on a remote cluster the pending files are
    cancelled and the running ones finish (outputs are always written whole).
    """
    threads, precision = args.threads or 1, worker_precision()
    finished = failures = 0
    interrupted: int | None = None
    with _Interrupts() as interrupts:
        try:
            distributed = _distributed()
            with _client(distributed, args, interrupts) as client:
                futures = client.map(process_on_worker, [s.absolute() for s in sources],
                                     [t.absolute() for t in targets], work=work, args=args, threads=threads,
                                     precision=precision, pure=False)
                source_of = {future.key: source for future, source in zip(futures, sources)}
                completed = distributed.as_completed(futures)
                with progress_bar(len(sources), args.quiet) as bar:
                    while True:
                        with interrupts.acted_on():
                            future = next(completed, None)
                        if future is None:
                            break
                        failures += not report(*_outcome(future, source_of[future.key]), quiet=args.quiet)
                        finished += 1
                        bar.update(1)
        except _Interrupted as exc:
            interrupted = exc.signum
    if not (interrupted and args.scheduler):
        # No worker is writing our files any more: remove what a killed one (interrupted, or restarted by
        # its nanny, e.g. over its memory limit) left. Cancelled files may still be running on a remote cluster.
        for leftover in temporary_files_of(targets):
            leftover.unlink(missing_ok=True)
    if interrupted:
        report(False, f"interrupted after {finished} of {len(sources)} files")
        return 128 + interrupted
    return 1 if failures else 0
