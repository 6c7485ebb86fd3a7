"""Import open3d on machines without a system ``libusb-1.0``.

open3d's Linux wheels link ``libusb-1.0.so.0`` at import time but do not ship it. The
``libusb-package`` wheel (a dependency of this project) does; loading it globally before the
import satisfies the link, so point-cloud IO needs no system package.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys


@functools.lru_cache(maxsize=None)
def libusb_source() -> str:
    """Where open3d's ``libusb-1.0`` comes from: ``'system'``, the wheel's path, or ``'missing'``."""
    if not sys.platform.startswith("linux") or ctypes.util.find_library("usb-1.0"):
        return "system"
    try:
        import libusb_package

        path = str(libusb_package.get_library_path())
        ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
        return path
    except (ImportError, OSError, TypeError):
        return "missing"


def import_open3d():
    """The ``open3d`` module, with ``libusb-1.0`` loaded from the wheel where the system has none."""
    libusb_source()
    import open3d

    return open3d
