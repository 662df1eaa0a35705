"""``aecodec bench``: finds bench/ in a source checkout, else says what it needs."""

import sys
from pathlib import Path

from aecodec import cli

REPO = Path(__file__).resolve().parent.parent


def test_bench_help_from_a_checkout(monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    assert cli.main(["bench", "--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: aecodec bench")


def test_bench_outside_a_checkout_says_what_it_needs(monkeypatch, tmp_path, capsys):
    # As installed from a wheel: no bench/ beside the package, none in the current directory.
    monkeypatch.setattr(cli, "__file__", str(tmp_path / "site-packages" / "aecodec" / "cli.py"))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["bench", "--help"]) == 1
    err = capsys.readouterr().err
    assert "source checkout or sdist (bench/)" in err and "aecodec[bench]" in err


def test_bench_without_its_extras_names_them(monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    for name in [m for m in sys.modules if m == "bench" or m.startswith("bench.")]:
        monkeypatch.delitem(sys.modules, name)
    for name in ["scipy"] + [m for m in sys.modules if m.startswith("scipy.")]:
        monkeypatch.setitem(sys.modules, name, None)  # as when scipy is not installed
    assert cli.main(["bench", "rd", "--help"]) == 1
    assert "the benchmarks need scipy" in capsys.readouterr().err
