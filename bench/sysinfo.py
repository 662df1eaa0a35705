"""Machine, library versions and date for the ``meta`` of benchmark results."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path


def cpu() -> dict:
    """CPU model name and core counts (from lscpu when available)."""
    info = {"model_name": platform.processor() or platform.machine(), "logical_cpus": os.cpu_count()}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
        fields = {k.strip(): v.strip() for k, v in fields.items()}
        info["model_name"] = fields.get("Model name", info["model_name"])
        for key, name in (("CPU(s)", "lscpu_cpus"), ("Core(s) per socket", "cores_per_socket"),
                          ("Socket(s)", "sockets"), ("Thread(s) per core", "threads_per_core")):
            if key in fields:
                info[name] = fields[key]
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        info["affinity_cpus"] = len(os.sched_getaffinity(0))
    except AttributeError:
        pass
    return info


def _dist_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def versions(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Python packages and, where Pillow reports them, the codec libraries it is built with."""
    from PIL import features

    out = {"python": sys.version.split()[0]}
    for dist in ("pillow", "numpy", "torch", "scipy", "pytorch-msssim", "imagecodecs",
                 "pillow-jxl-plugin", "matplotlib", "aecodec"):
        v = _dist_version(dist)
        if v:
            out[dist] = v
    for key, feature in (("libjpeg-turbo", "libjpeg_turbo"), ("libwebp", "webp"),
                         ("libavif", "avif"), ("openjpeg", "jpg_2000"), ("zlib", "zlib")):
        try:
            v = features.version(feature)
        except ValueError:
            v = None
        if v:
            out[key] = str(v)
    out.update(extra or {})
    return out


def is_training_command(args: list[str]) -> bool:
    """Whether a command line runs ``aecodec train`` (or ``python -m aecodec train``), not merely mentions it."""
    return any(Path(a).name == "aecodec" and args[i + 1:i + 2] == ["train"] for i, a in enumerate(args))


def training_running() -> list[str]:
    """Command lines of running ``aecodec train`` processes (they compete for the CPU).

    A job paused with SIGSTOP (state T) does not count: pausing training is how clean timings are taken.
    """
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state in ("T", "t"):
            continue
        args = [a.decode(errors="replace") for a in argv if a]
        if proc.name != str(os.getpid()) and is_training_command(args):
            found.append(" ".join(args))
    return found


def _cpu_ticks() -> dict[int, tuple[int, str]]:
    """CPU ticks (user + system) and command line of every process, from /proc."""
    ticks = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError):
            continue
        ticks[int(proc.name)] = (int(fields[11]) + int(fields[12]), " ".join(a.decode(errors="replace") for a in argv if a))
    return ticks


def other_processes(seconds: float = 1.0, min_share: float = 0.05) -> list[dict]:
    """Processes other than this one and its children that used at least ``min_share`` of a CPU over
    the next ``seconds`` (what else competed for the cores while a benchmark ran); empty without /proc."""
    import time

    before = _cpu_ticks()
    time.sleep(seconds)
    after = _cpu_ticks()
    hz = os.sysconf("SC_CLK_TCK")
    mine = {os.getpid()}
    for proc in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(proc.read_text().rsplit(")", 1)[1].split()[1]) in mine:
                mine.add(int(proc.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    found = []
    for pid, (ticks, command) in after.items():
        share = (ticks - before.get(pid, (ticks, ""))[0]) / hz / seconds
        if pid not in mine and share >= min_share and command:
            found.append({"pid": pid, "cpu_share": round(share, 2), "command": command[:160]})
    return sorted(found, key=lambda p: -p["cpu_share"])


def meta(extra_versions: dict[str, str] | None = None) -> dict:
    """Everything needed to interpret a benchmark's numbers later."""
    jobs = training_running()
    return {
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": {"cpu": cpu(), "platform": platform.platform()},
        "versions": versions(extra_versions),
        "concurrent_training": bool(jobs),
        "concurrent_training_note": (
            "a model training job (python -m aecodec train) was running concurrently; "
            "timings are pessimistic" if jobs else "no training job detected"),
    }


def markdown_header(meta: dict) -> list[str]:
    """The lines every results file opens with: date, machine, versions, concurrent training."""
    cpu = meta["machine"]["cpu"]
    return [f"- date: {meta['date']}",
            f"- machine: {cpu.get('model_name')}, {cpu.get('lscpu_cpus', cpu.get('logical_cpus'))} CPUs",
            "- versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()),
            f"- {meta['concurrent_training_note']}"
            + (f"; load average {'/'.join(map(str, meta['load_average']))} (1/5/15 min) at the end" if "load_average" in meta else "")]


def others_summary(others: list[dict]) -> str:
    """One short line for ``other_processes``: total CPU share and the busiest commands' names."""
    if not others:
        return "none"
    names = ", ".join(f"{' '.join(Path(w).name for w in p['command'].split()[:3])} {p['cpu_share']:.2f}" for p in others[:4])
    return f"{sum(p['cpu_share'] for p in others):.2f} CPU ({names})"


def write_results(folder, name: str, result: dict, markdown: str) -> None:
    """Writes FOLDER/NAME.json and FOLDER/NAME.md (created if needed) and prints the markdown."""
    import json
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    (folder / f"{name}.md").write_text(markdown)
    print(markdown)
    print(f"[{name}] wrote {folder / (name + '.json')} and {folder / (name + '.md')}")
