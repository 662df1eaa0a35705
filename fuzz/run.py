"""Runs the coverage-guided fuzz harnesses (atheris) from the committed seed corpus.

    pip install -e ".[fuzz]"
    nice -n 10 python fuzz/run.py --seconds 600               # each harness for 10 minutes
    python fuzz/run.py --seconds 60 --target core

New interesting inputs go to fuzz/work/TARGET (not committed); crashing or hanging inputs to
fuzz/findings/ (each one becomes a regression test, then is deleted). Prints each harness's executions.
Not part of CI: run it whenever the container format or the coder changes.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGETS = {"container": HERE / "container_harness.py", "core": HERE / "core_harness.py"}


def run(target: str, seconds: int) -> int:
    work = HERE / "work" / target
    findings = HERE / "findings"
    work.mkdir(parents=True, exist_ok=True)
    findings.mkdir(exist_ok=True)
    command = [sys.executable, str(TARGETS[target]), str(work), str(HERE / "corpus" / target),
               f"-max_total_time={seconds}", "-timeout=60", "-rss_limit_mb=4096", "-print_final_stats=1",
               f"-artifact_prefix={findings}/{target}-"]
    result = subprocess.run(command, capture_output=True, text=True)
    log = result.stdout + result.stderr
    (HERE / "work" / f"{target}.log").write_text(log)
    runs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", log)
    coverage = re.findall(r"cov: (\d+) ft: (\d+)", log)
    print(f"{target}: exit {result.returncode}, {runs[-1] if runs else '?'} executions in {seconds} s, "
          f"final coverage {coverage[-1] if coverage else '?'} (cov, ft); log in {work.parent / (target + '.log')}")
    if result.returncode != 0:
        print("\n".join(log.splitlines()[-40:]))
    return result.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="time per harness")
    parser.add_argument("--target", choices=[*TARGETS, "all"], default="all")
    args = parser.parse_args()
    if args.seconds < 1:
        parser.error("--seconds must be at least 1")
    targets = list(TARGETS) if args.target == "all" else [args.target]
    return max(run(target, args.seconds) for target in targets)


if __name__ == "__main__":
    sys.exit(main())
