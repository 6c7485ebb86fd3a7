"""Import open3d on machines without a system ``libusb-1.0``.

open3d's Linux wheels link ``libusb-1.0.so.0`` at import time but do not ship it. The
``libusb-package`` wheel (a dependency of this project) does; loading it globally before the
import satisfies the link (the dynamic linker reuses a loaded library of the same soname), so
point-cloud IO needs no system package. A system library that loads is preferred.
"""
from __future__ import annotations

import ctypes
import functools
import sys

#: The soname open3d links against.
LIBUSB_SONAME = "libusb-1.0.so.0"


@functools.lru_cache(maxsize=None)
def libusb_source() -> str:
    """Where open3d's ``libusb-1.0`` comes from: ``'system'``, the wheel's library path, or ``'missing'``.

    On Linux, the system library is tried first (as the dynamic linker would find it); if it does
    not load, the ``libusb-package`` wheel's copy is loaded with ``RTLD_GLOBAL``. Other platforms'
    open3d wheels do not need it (``'system'``). The answer is computed once per process.
    """
    if not sys.platform.startswith("linux"):
        return "system"
    try:
        ctypes.CDLL(LIBUSB_SONAME, mode=ctypes.RTLD_GLOBAL)
        return "system"
    except OSError:
        pass
    try:
        import libusb_package

        path = str(libusb_package.get_library_path())
        ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
        return path
    except (ImportError, OSError, TypeError):
        return "missing"


def import_open3d():
    """The ``open3d`` module, with ``libusb-1.0`` loaded from the wheel where the system has none.

    Raises:
        ImportError: open3d cannot be imported; the message says where libusb-1.0 was looked for.
            Readers and writers turn it into a ``LoadError`` / ``SaveError`` naming the file.
    """
    source = libusb_source()
    try:
        import open3d
    except (ImportError, OSError) as exc:
        hint = ("no libusb-1.0: neither the system library nor the libusb-package wheel loads "
                "(pip install libusb-package)" if source == "missing" else f"libusb-1.0 from {source}")
        raise ImportError(f"open3d cannot be imported ({hint}): {exc}") from exc
    return open3d
