"""Make ``import kaolin`` (and ``kaolin.<anything>``) resolve to :mod:`kaolin_pipeline.kaolin`.

:func:`install` puts a finder in front of ``sys.meta_path`` that answers every ``kaolin`` module name with
the module of the same path under ``kaolin_pipeline.kaolin`` (the same module object, so ``kaolin.ops.mesh``
and ``kaolin_pipeline.kaolin.ops.mesh`` are one module). It refuses to shadow a real Kaolin install.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from types import ModuleType
from typing import Optional

from kaolin_pipeline.errors import PipelineError

ALIAS = "kaolin"
TARGET = "kaolin_pipeline.kaolin"


class _AliasLoader(importlib.abc.Loader):
    """Loads ``kaolin.x.y`` by importing ``kaolin_pipeline.kaolin.x.y`` and handing back that module."""

    def __init__(self, target: str):
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the target module is already executed."""


class KaolinAliasFinder(importlib.abc.MetaPathFinder):
    """``sys.meta_path`` finder for the ``kaolin`` package tree."""

    def find_spec(self, fullname: str, path=None, target=None) -> Optional[importlib.machinery.ModuleSpec]:
        if fullname != ALIAS and not fullname.startswith(ALIAS + "."):
            return None
        mapped = TARGET + fullname[len(ALIAS):]
        try:
            found = importlib.util.find_spec(mapped)
        except ModuleNotFoundError:
            found = None
        if found is None:
            return None  # a Kaolin module this project does not map: the usual ModuleNotFoundError follows
        return importlib.util.spec_from_loader(fullname, _AliasLoader(mapped),
                                               is_package=found.submodule_search_locations is not None)


def real_kaolin_spec() -> Optional[importlib.machinery.ModuleSpec]:
    """The spec of an installed NVIDIA Kaolin, or None (ignoring this alias, and folders named ``kaolin``
    without an ``__init__.py``, which Python would import as empty namespace packages)."""
    for finder in sys.meta_path:
        find = getattr(finder, "find_spec", None)
        if isinstance(finder, KaolinAliasFinder) or find is None:
            continue
        spec = find(ALIAS, None)
        if spec is not None and spec.origin is not None:
            return spec
    return None


def install() -> None:
    """Put the ``kaolin`` alias in front of ``sys.meta_path`` (once).

    Raises:
        PipelineError: the real Kaolin is importable (it would be shadowed), or a module named
            ``kaolin`` is already imported.
    """
    if any(isinstance(finder, KaolinAliasFinder) for finder in sys.meta_path):
        return
    spec = real_kaolin_spec()
    if spec is not None:
        raise PipelineError(f"the real Kaolin is importable ({spec.origin}); run the script with plain python, "
                            "or uninstall kaolin to use kaolin-pipeline's layer")
    if ALIAS in sys.modules:
        raise PipelineError("a module named 'kaolin' is already imported; cannot alias it")
    sys.meta_path.insert(0, KaolinAliasFinder())
