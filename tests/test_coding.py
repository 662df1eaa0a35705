"""The model-agnostic core (aecodec.coding, aecodec.loading): quality as stored, coders chosen by model kind,
one interface for every model, the coders free of encoder effort."""

import ast
import re
from pathlib import Path

import numpy as np

import aecodec
from aecodec import loading
from aecodec.coding import LatentCoder, quality_to_level
from aecodec.container import stored_quality
from aecodec.context_engine import ContextEngine
from aecodec.engine import CodecEngine
from conftest import TINY_MODEL

PACKAGE = Path(aecodec.__file__).parent


def test_quality_is_stored_and_used_as_float32():
    assert stored_quality(33.3) == float(np.float32(33.3)) != 33.3
    assert quality_to_level(33.3, 8) == quality_to_level(stored_quality(33.3), 8)
    assert quality_to_level(1, 8) == 0.0 and quality_to_level(100, 8) == 7.0


def test_every_model_kind_has_a_coder_that_speaks_the_interface():
    assert {kind: loading.CODER_OF_KIND[kind] for kind in ("hyperprior", "context")}
    coder = loading.load_coder(weights_path=TINY_MODEL, precision="fp32")
    assert type(coder) is CodecEngine and isinstance(coder, LatentCoder)
    for model_id in (1, 2):  # the shipped models through the registry: model 2's weights name kind "context"
        coder = aecodec.Codec(model_id, precision="fp32").engine
        assert isinstance(coder, LatentCoder)
        assert type(coder) is (ContextEngine if model_id == 2 else CodecEngine)


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module or "")
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_coders_do_not_import_encoder_effort_or_pick_models_by_type():
    for name in ("engine.py", "context_engine.py", "loading.py", "api.py"):
        source = (PACKAGE / name).read_text()
        if name != "api.py":
            assert not any("refine" in module for module in _imported_modules(PACKAGE / name)), name
        # No branching on a model's id or class: the coder comes from loading.CODER_OF_KIND.
        assert not re.search(r"model_id\s*==\s*\d|isinstance\([^)]*Model\b", source), name


def test_no_sys_path_edits_in_the_package_or_bench():
    for folder in (PACKAGE, PACKAGE.parent / "bench"):
        for path in folder.rglob("*.py"):
            assert "sys.path" not in path.read_text(), path
