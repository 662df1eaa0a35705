"""Batch encoding and decoding on Dask (aecodec.batch): --jobs, --scheduler, a Codec on workers."""

import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

import aecodec
from aecodec.outputs import temporary_name
from conftest import synthetic_photo
from test_cli import leftovers, run

try:
    import distributed
except ImportError:
    distributed = None

needs_dask = pytest.mark.skipif(distributed is None,
                                reason='dask.distributed is not installed (pip install "aecodec[dask]")')


def make_inputs(folder: Path, count: int, size: int = 64, corrupt: bool = False) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        paths.append(folder / f"img{i:02d}.png")
        Image.fromarray(synthetic_photo(size, size, seed=i)).save(paths[-1])
    if corrupt:
        (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    return paths


def contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def cluster():
    """A running cluster as users start one: worker processes with one thread each."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as local, distributed.Client(local) as client:
        yield client


@needs_dask
def test_scheduler_gives_the_serial_bytes_and_a_corrupt_file_fails_alone(cluster, tmp_path):
    make_inputs(tmp_path / "in", 5, corrupt=True)
    address = cluster.scheduler.address
    serial = run("encode", tmp_path / "in", "-d", tmp_path / "serial", "-q", "60")
    on_dask = run("encode", tmp_path / "in", "-d", tmp_path / "dask", "-q", "60", "--scheduler", address)
    for result in (serial, on_dask):
        assert result.returncode == 1
        errors = [line for line in result.stderr.splitlines() if "aecodec: error:" in line]
        assert len(errors) == 1 and "broken.png" in errors[0] and "Traceback" not in result.stderr
        assert result.stdout.count(" -> ") == 5
    assert sorted(contents(tmp_path / "dask")) == [f"img{i:02d}.aec" for i in range(5)]
    assert contents(tmp_path / "dask") == contents(tmp_path / "serial")
    assert leftovers(tmp_path / "dask") == []
    from aecodec.batch import worker_codec

    loads = cluster.run(worker_codec.cache_info)  # each worker built its codec (loaded the model) once
    assert all(info.misses <= 1 for info in loads.values())
    assert sum(info.hits + info.misses for info in loads.values()) == 6

    serial = run("decode", tmp_path / "serial", "-d", tmp_path / "serial-png")
    on_dask = run("decode", tmp_path / "dask", "-d", tmp_path / "dask-png", "--scheduler", address)
    assert serial.returncode == 0 and on_dask.returncode == 0, on_dask.stderr
    assert len(contents(tmp_path / "dask-png")) == 5
    assert contents(tmp_path / "dask-png") == contents(tmp_path / "serial-png")


@needs_dask
def test_jobs_runs_a_local_cluster_with_the_serial_rules(tmp_path):
    sources = make_inputs(tmp_path / "in", 3)
    (tmp_path / "out").mkdir()
    killed_write = tmp_path / "out" / temporary_name("img01.aec")  # as a worker killed mid-write leaves it
    not_ours = [tmp_path / "out" / name for name in (temporary_name("img01.aecx"), temporary_name("notes.aec"),
                                                      "img01.tmp", temporary_name("img01.aec") + "x")]
    for path in [killed_write, *not_ours]:
        path.write_bytes(b"partial")
    result = run("encode", tmp_path / "in", "-d", tmp_path / "out", "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert not killed_write.exists() and all(path.exists() for path in not_ours)
    expected = aecodec.Codec(threads=1)
    for source in sources:
        assert (tmp_path / "out" / f"{source.stem}.aec").read_bytes() == expected.encode(source, quality=75)
    again = run("encode", tmp_path / "in", "-d", tmp_path / "out", "--jobs", "2")
    assert again.returncode == 1 and again.stderr.count("exists (use --force to overwrite)") == 3
    assert run("encode", tmp_path / "in", "--jobs", "0").returncode == 2


@needs_dask
def test_jobs_workers_keep_freed_memory_for_the_next_image():
    from aecodec.batch import WORKER_ALLOCATOR_ENVIRON, local_cluster

    names = sorted(WORKER_ALLOCATOR_ENVIRON)
    before = os.environ.get("MALLOC_TRIM_THRESHOLD_")
    os.environ["MALLOC_TRIM_THRESHOLD_"] = "65536"  # as a Dask cluster started earlier in this process leaves it
    try:
        with local_cluster(distributed, 2) as local, distributed.Client(local) as client:
            seen = client.run(lambda: [os.environ.get(name) for name in names])
        assert os.environ["MALLOC_TRIM_THRESHOLD_"] == "65536"
    finally:
        os.environ.pop("MALLOC_TRIM_THRESHOLD_")
        if before is not None:
            os.environ["MALLOC_TRIM_THRESHOLD_"] = before
    assert len(seen) == 2
    assert all(values == [str(WORKER_ALLOCATOR_ENVIRON[name]) for name in names] for values in seen.values())


def _children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if int(fields.get("PPid", "0").strip()) == pid:
            found.append(int(status.parent.name))
    return found


def _foreground_ctrl_c():
    """In the child: SIGINT as a foreground run has it (a shell starts background jobs, these tests too
    perhaps, with SIGINT ignored, and an ignored signal is inherited and stays ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@needs_dask
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the worker processes through /proc")
@pytest.mark.parametrize("signum,whole_group", [(signal.SIGINT, True), (signal.SIGTERM, False)],
                         ids=["ctrl-c", "sigterm"])
def test_interrupt_stops_the_workers_and_leaves_no_partial_files(tmp_path, signum, whole_group):
    make_inputs(tmp_path / "in", 40, size=160)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "aecodec", "encode", tmp_path / "in", "-d", out, "--jobs", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=_foreground_ctrl_c)
    try:
        while not (out.is_dir() and any(p.suffix == ".aec" for p in out.iterdir())) and proc.poll() is None:
            time.sleep(0.02)  # the workers are up once a file is written
        workers = _children(proc.pid)
        (os.killpg if whole_group else os.kill)(proc.pid, signum)  # Ctrl-C reaches the terminal's group
        _, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signum, stderr
    assert "interrupted after" in stderr and "Traceback" not in stderr
    assert workers and leftovers(out) == []
    deadline = time.monotonic() + 30
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
    for written in out.iterdir():  # whatever was written is whole
        assert aecodec.decode(written).size == (160, 160)


@needs_dask
def test_codec_is_sent_to_workers_and_mapped_over_a_bag(cluster, tmp_path):
    import dask.bag as db

    paths = make_inputs(tmp_path, 4)
    codec = aecodec.Codec(threads=1)
    expected = [codec.encode(p, quality=50) for p in paths]
    on_worker = cluster.submit(pickle.loads, pickle.dumps(codec)).result()  # unpickled there, sent back
    assert on_worker.engine.fingerprint == codec.engine.fingerprint
    # The README's recipe: a bag of paths, the codec in the mapped function's closure.
    bag = db.from_sequence([str(p) for p in paths], npartitions=2).map(lambda p: codec.encode(p, quality=50))
    assert cluster.compute(bag).result() == expected


def test_serial_runs_do_not_import_dask(tmp_path):
    (source,) = make_inputs(tmp_path, 1)
    script = ("import sys; from aecodec.cli import main; rc = main(sys.argv[1:]); "
              "print(rc, sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    result = subprocess.run([sys.executable, "-c", script, "encode", str(source), "-o", str(tmp_path / "a.aec")],
                            capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip().splitlines()[-1] == "0 []", result.stderr


def test_dask_options_without_dask_give_one_line_error(tmp_path):
    (source,) = make_inputs(tmp_path, 1)
    script = ("import sys; sys.modules['distributed'] = None; from aecodec.cli import main; "
              "sys.exit(main(sys.argv[1:]))")  # None in sys.modules: the import fails as if not installed
    result = subprocess.run([sys.executable, "-c", script, "encode", str(source), "--jobs", "2"],
                            capture_output=True, text=True)
    assert result.returncode == 1 and result.stderr.strip().splitlines() == [
        'aecodec: error: the Dask options need dask.distributed: pip install "aecodec[dask]"']
    assert not (tmp_path / "img00.aec").exists()


def test_a_signal_ignored_from_the_start_stays_ignored():
    from aecodec.batch import _Interrupts

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a shell starts a background job
    try:
        with _Interrupts() as interrupts:
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) == interrupts._handle
            with interrupts.ignored_by_new_processes():
                pass
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
