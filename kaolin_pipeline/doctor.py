"""Report the versions of what the pipeline depends on, which optional parts work, and who reads each format."""
from __future__ import annotations

import importlib
import platform
from typing import Optional

def _probe(module: str, attr: str = "__version__"):
    """Return (version or None, error message or None) for an importable module."""
    try:
        if module == "open3d":
            from kaolin_pipeline.io._open3d import import_open3d

            mod = import_open3d()
        else:
            mod = importlib.import_module(module)
    except Exception as exc:  # any import failure means the part is unusable
        return None, f"{type(exc).__name__}: {exc}".splitlines()[0]
    return str(getattr(mod, attr, "unknown")), None


def _libusb_row() -> tuple[str, str]:
    from kaolin_pipeline.io._open3d import libusb_source

    source = libusb_source()
    where = {"system": "the system library", "missing": "MISSING (open3d cannot import)"}.get(
        source, f"the libusb-package wheel: {source}")
    return "libusb-1.0", f"{where}  [needed by open3d]"


def format_backends() -> list[tuple[str, tuple[str, ...], str, Optional[str]]]:
    """``(kind, extensions, backend, module it needs)`` from ``io.formats.FORMATS``, adjacent rows of one
    kind with the same backend grouped (``mesh .off .ply .stl: trimesh``)."""
    # late: `doctor` prints versions first, even where the io package fails to import
    from kaolin_pipeline.io.formats import FORMATS

    groups: list[tuple[str, tuple[str, ...], str, Optional[str]]] = []
    for row in FORMATS:
        if groups and groups[-1][0] == row.kind and groups[-1][2:] == (row.backend, row.needs):
            kind, extensions, backend, needs = groups[-1]
            groups[-1] = (kind, extensions + (row.extension,), backend, needs)
        else:
            groups.append((row.kind, (row.extension,), row.backend, row.needs))
    return groups


def _format_rows(errors: dict[str, Optional[str]]) -> list[tuple[str, str]]:
    rows = []
    for kind, extensions, backend, module in format_backends():
        error = errors.get(module) if module else None
        status = backend if error is None else f"{backend}: UNAVAILABLE ({error})"
        rows.append((f"{kind} {' '.join(extensions)}", status))
    return rows


def collect() -> list[tuple[str, str]]:
    """Rows of (component, status) describing this environment, then the backend of each file format."""
    rows = [("python", platform.python_version())]
    torch_version, torch_error = _probe("torch")
    if torch_version is None:
        rows.append(("torch", f"MISSING ({torch_error})"))
    else:
        import torch

        cuda = torch.cuda.is_available()
        detail = f"CUDA {torch.version.cuda}, {torch.cuda.get_device_name(0)}" if cuda else "CPU only"
        rows.append(("torch", f"{torch_version} ({detail})"))
    errors: dict[str, Optional[str]] = {}
    for name, module, purpose in [
        ("numpy", "numpy", "arrays"),
        ("trimesh", "trimesh", "OFF/PLY/STL/glTF meshes, binvox"),
        ("open3d", "open3d", "PCD/XYZN/PTS point clouds, point cloud writing"),
        ("pxr (usd-core)", "pxr.Usd", "USD read/write, Timelapse"),
        ("Pillow", "PIL", "images, textures"),
        ("matplotlib", "matplotlib", "report plots"),
        ("scikit-image", "skimage", "marching cubes"),
        ("tensorboard", "tensorboard", "optional: TensorBoard events"),
        ("kaolin", "kaolin", "optional: CUDA backend"),
    ]:
        if module == "pxr.Usd":
            version, error = _probe("pxr.Usd", "GetVersion")
            if version is not None:
                from pxr import Usd

                version = ".".join(str(v) for v in Usd.GetVersion())
        else:
            version, error = _probe(module)
        errors[module] = error
        status = f"{version}  [{purpose}]" if version else f"not available  [{purpose}]: {error}"
        rows.append((name, status))
    rows.append(_libusb_row())
    return rows + _format_rows(errors)


def report() -> str:
    """The doctor's table as text."""
    rows = collect()
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name.ljust(width)}  {status}" for name, status in rows)
