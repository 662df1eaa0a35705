"""The classic family's optional dependencies: a clear message, not a traceback, when one is missing."""

import sys

import pytest

from aecodec import cli
from aecodec.classic.data import load_digits_split
from aecodec.classic.extras import MissingExtraError, require


def test_missing_scikit_learn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # import sklearn now fails, as when not installed
    with pytest.raises(MissingExtraError, match=r"digits data set needs scikit-learn.*aecodec\[classic\]"):
        load_digits_split()
    with pytest.raises(ImportError, match="matplotlib"):
        monkeypatch.setitem(sys.modules, "matplotlib", None)
        require("matplotlib", "plotting")


def test_classic_cli_reports_a_missing_extra_in_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    assert cli.main(["classic", "train", "--data", "digits", "--out", str(tmp_path / "m"), "--epochs", "1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("aecodec classic: the digits data set needs scikit-learn") and "Traceback" not in err
