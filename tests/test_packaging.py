"""The installed package: what it holds and what it requires (CI also runs this against the built wheel)."""

import re
from importlib.metadata import requires
from importlib.resources import files

from aecodec import releases


def test_core_requirements_are_what_coding_needs():
    core = [r for r in requires("aecodec") or [] if "extra ==" not in r]
    names = {re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0].lower() for r in core}
    assert names and not names & {"scikit-learn", "scipy", "matplotlib"}, names


def test_package_holds_typing_marker_sample_and_released_weights():
    package = files("aecodec")
    assert (package / "py.typed").is_file()
    assert (package / "data" / "sample.png").is_file()
    for _, weights in releases.released_weights().values():
        assert (package / "weights" / weights.filename).is_file()
