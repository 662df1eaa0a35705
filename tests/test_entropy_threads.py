"""Worker threads of the entropy coder: capped by substreams and the machine, creation failure is an error."""

import os
import resource
import subprocess
import sys
import textwrap

import pytest

# Sets up a 4096-substream stream in a child process, then limits its address space to what it uses
# now plus HEADROOM bytes and decodes with THREADS threads; prints the outcome on the last line.
CHILD = textwrap.dedent("""
    import resource, sys
    import numpy as np
    from aecodec import _core
    from aecodec.entropy import default_gaussian_coder
    from aecodec.errors import AecodecError

    headroom, threads = int(sys.argv[1]), int(sys.argv[2])
    coder = default_gaussian_coder()
    rng = np.random.default_rng(0)
    n = 8192
    means = np.zeros(n, np.float32)
    scales = np.full(n, 2.0, np.float32)
    data = coder.compress(rng.normal(0, 2, n).astype(np.float32), means, scales, substreams=4096)
    expected, _ = _core.decode_gaussian(coder._model, data, means, scales, 1)
    with open("/proc/self/statm") as f:
        used = int(f.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (used + headroom, resource.RLIM_INFINITY))
    try:
        y_hat, _ = _core.decode_gaussian(coder._model, data, means, scales, threads)
    except AecodecError as exc:
        print("error", type(exc).__name__, exc)
    else:
        print("decoded", bool((y_hat == expected).all()))
""")


def _run_child(headroom: int, threads: int) -> subprocess.CompletedProcess:
    def limit_stack():  # thread stacks default to RLIMIT_STACK: make it the usual 8 MiB
        resource.setrlimit(resource.RLIMIT_STACK, (8 << 20, resource.RLIM_INFINITY))

    return subprocess.run([sys.executable, "-c", CHILD, str(headroom), str(threads)], capture_output=True,
                          text=True, timeout=300, preexec_fn=limit_stack)


def test_threads_are_capped_by_the_machine():
    """10,000 requested threads on 4096 substreams start no more than the machine's threads: under a
    memory limit that holds a few thread stacks but not 4096, decoding still works."""
    stacks = (os.cpu_count() or 1) + 8  # room for one 8 MiB stack per hardware thread, not for 4096
    result = _run_child(headroom=stacks * (9 << 20), threads=10_000)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split("\n")[-2] == "decoded True"


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one hardware thread: the coder starts no worker thread")
def test_thread_creation_failure_is_an_error():
    """With no room for a single thread stack, decoding on 2 threads raises ResourceError (no abort)."""
    result = _run_child(headroom=3 << 20, threads=2)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split("\n")[-2].startswith("error ResourceError cannot start a coding thread")
