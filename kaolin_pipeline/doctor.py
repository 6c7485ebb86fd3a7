"""Report the versions of what the pipeline depends on and which optional parts work."""
from __future__ import annotations

import importlib
import platform


def _probe(module: str, attr: str = "__version__"):
    """Return (version or None, error message or None) for an importable module."""
    try:
        mod = importlib.import_module(module)
    except Exception as exc:  # any import failure means the part is unusable
        return None, f"{type(exc).__name__}: {exc}".splitlines()[0]
    return str(getattr(mod, attr, "unknown")), None


def collect() -> list[tuple[str, str]]:
    """Rows of (component, status) describing this environment."""
    rows = [("python", platform.python_version())]
    torch_version, torch_error = _probe("torch")
    if torch_version is None:
        rows.append(("torch", f"MISSING ({torch_error})"))
    else:
        import torch

        cuda = torch.cuda.is_available()
        detail = f"CUDA {torch.version.cuda}, {torch.cuda.get_device_name(0)}" if cuda else "CPU only"
        rows.append(("torch", f"{torch_version} ({detail})"))
    for name, module, purpose in [
        ("numpy", "numpy", "arrays"),
        ("trimesh", "trimesh", "OBJ/OFF/PLY/STL/glTF meshes"),
        ("open3d", "open3d", "PLY/PCD/XYZ point clouds"),
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
        status = f"{version}  [{purpose}]" if version else f"not available  [{purpose}]: {error}"
        rows.append((name, status))
    return rows


def report() -> str:
    """The doctor's table as text."""
    rows = collect()
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name.ljust(width)}  {status}" for name, status in rows)
