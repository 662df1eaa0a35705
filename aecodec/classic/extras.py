"""The classic family's optional dependencies (the ``classic`` extra), imported only where used."""

from __future__ import annotations

import importlib
from types import ModuleType

# Import name -> the distribution pip installs it from.
_DISTRIBUTIONS = {"sklearn": "scikit-learn", "matplotlib": "matplotlib"}


class MissingExtraError(ImportError):
    """An optional dependency is not installed; the message says how to install it."""


def require(module: str, purpose: str) -> ModuleType:
    """Imports ``module``, or raises MissingExtraError naming the extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.split(".")[0]
        raise MissingExtraError(f"{purpose} needs {_DISTRIBUTIONS.get(top, top)}, which is not installed: "
                          "pip install 'aecodec[classic]'") from None
