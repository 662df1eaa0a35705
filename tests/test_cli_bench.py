"""``aecodec bench``: runs ``python -m bench`` in the checkout aecodec is imported from, else says what it needs;
``bench.cli`` names missing extras."""

import sys

from aecodec import cli
from bench import cli as bench_cli


def test_bench_help_from_a_checkout(capfd):
    assert cli.main(["bench", "--help"]) == 0  # a subprocess: its output reaches the file descriptors
    assert capfd.readouterr().out.startswith("usage: aecodec bench")


def test_bench_outside_a_checkout_says_what_it_needs(monkeypatch, tmp_path, capsys):
    # As installed from a wheel: no bench/ beside the package.
    monkeypatch.setattr(cli, "__file__", str(tmp_path / "site-packages" / "aecodec" / "cli.py"))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["bench", "--help"]) == 1
    err = capsys.readouterr().err
    assert "source checkout" in err and "aecodec[bench]" in err


def test_bench_without_its_extras_names_them(monkeypatch, capsys):
    for name in [m for m in sys.modules if m.startswith("bench.") and m != "bench.cli"]:
        monkeypatch.delitem(sys.modules, name)
    for name in ["scipy"] + [m for m in sys.modules if m.startswith("scipy.")]:
        monkeypatch.setitem(sys.modules, name, None)  # as when scipy is not installed
    assert bench_cli.main(["rd", "--help"]) == 1
    assert "the benchmarks need scipy" in capsys.readouterr().err
