"""Writing what a run produces: checkpoints, Kaolin-layout Timelapse USD, mesh assets (the run page is
:func:`kaolin_pipeline.visualize.report.write_report`; the run folder's names are :class:`.rundir.RunDir`'s).

``from kaolin_pipeline.export import Timelapse, save_checkpoint, load_checkpoint`` works; each name is
imported from its module on first use (PEP 562), so ``import kaolin_pipeline.export`` stays cheap and
does not load pxr or torch until a name that needs them is touched.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Public name -> the ``kaolin_pipeline.export`` module that defines it.
_HOMES = {
    "Timelapse": "timelapse",
    "TimelapseReader": "timelapse",
    "save_checkpoint": "checkpoint",
    "load_checkpoint": "checkpoint",
    "latest_checkpoint": "checkpoint",
    "export_assets": "assets",
    "RunDir": "rundir",
}

__all__ = sorted(_HOMES)

if TYPE_CHECKING:  # for type checkers and IDEs; at run time the names resolve lazily below
    from .assets import export_assets
    from .checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
    from .rundir import RunDir
    from .timelapse import Timelapse, TimelapseReader


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
