"""open3d without a system libusb: the libusb-package wheel's library is loaded first, failures are clear."""
import ctypes
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from kaolin_pipeline.errors import LoadError
from kaolin_pipeline.io import _open3d
from kaolin_pipeline.io import load_pointcloud, save_pointcloud
from kaolin_pipeline.structures import PointCloud

ROOT = Path(__file__).resolve().parents[1]
SYSTEM_LIBUSB = "libusb-1.0.so.0"

# A child process in which loading the system libusb by name fails, as on a machine without it.
_HIDE_SYSTEM_LIBUSB = """
import ctypes
_real = ctypes.CDLL
class _NoSystemLibusb(_real):
    def __init__(self, name, *args, **kwargs):
        if name == "libusb-1.0.so.0":
            raise OSError("libusb-1.0.so.0: cannot open shared object file (hidden by the test)")
        super().__init__(name, *args, **kwargs)
ctypes.CDLL = _NoSystemLibusb
"""


def _mapped_libusb() -> str:
    return "sorted({line.split()[-1] for line in open('/proc/self/maps') if 'libusb' in line})"


@pytest.fixture
def fresh_source():
    """``libusb_source`` recomputed inside the test, and again by whoever calls it next."""
    _open3d.libusb_source.cache_clear()
    yield
    _open3d.libusb_source.cache_clear()


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="open3d needs libusb on Linux only")
def test_without_a_system_libusb_the_wheel_library_serves_open3d(tmp_path):
    script = _HIDE_SYSTEM_LIBUSB + f"""
import numpy, torch, libusb_package
from kaolin_pipeline.io._open3d import import_open3d, libusb_source
from kaolin_pipeline.io import load_pointcloud, save_pointcloud
from kaolin_pipeline.structures import PointCloud
o3d = import_open3d()
print(libusb_source() == str(libusb_package.get_library_path()))
print({_mapped_libusb()} == [libusb_source()])
points = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [-1.0, 0.5, 0.25]])
save_pointcloud(r"{tmp_path / 'cloud.pcd'}", PointCloud(points))
print(torch.equal(load_pointcloud(r"{tmp_path / 'cloud.pcd'}").points, points))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    # the wheel's path is reported, it is the only libusb in the process, and open3d reads and writes
    assert result.stdout.split() == ["True", "True", "True"]


def _can_hide_files() -> bool:
    if not (sys.platform.startswith("linux") and shutil.which("unshare") and shutil.which("mount")):
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount --bind /dev/null /dev/null"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not _can_hide_files(), reason="needs a private mount namespace (root) to hide the system libusb")
def test_with_the_system_libusb_made_unloadable_open3d_still_imports():
    """The real thing: in a private mount namespace, every system libusb file is replaced by an empty one."""
    mounts = "".join(f"mount --bind /dev/null {path} && " for path in _system_libusb_files())
    script = ("import ctypes\n"
              "try:\n"
              "    ctypes.CDLL('libusb-1.0.so.0')\n"
              "    raise SystemExit('the system libusb still loads: nothing was hidden')\n"
              "except OSError:\n"
              "    pass\n"
              "from kaolin_pipeline.io._open3d import import_open3d, libusb_source\n"
              "import_open3d()\n"
              "print(libusb_source())\n")
    result = subprocess.run(["unshare", "-m", "sh", "-c", f"{mounts}{sys.executable} -c \"$0\"", script],
                            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    import libusb_package

    assert result.stdout.strip() == str(libusb_package.get_library_path())


def _system_libusb_files() -> list[str]:
    found = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout if shutil.which("ldconfig") else ""
    paths = {line.split("=>")[-1].strip() for line in found.splitlines() if "libusb-1.0" in line}
    return sorted({str(Path(p).resolve()) for p in paths} | paths)


def test_a_system_library_that_loads_is_preferred(monkeypatch, fresh_source):
    loaded = []
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(ctypes, "CDLL", lambda name, mode=0: loaded.append(name))
    import libusb_package

    monkeypatch.setattr(libusb_package, "get_library_path", lambda: pytest.fail("the wheel must not be used"))
    assert _open3d.libusb_source() == "system"
    assert loaded == [SYSTEM_LIBUSB]


def test_other_platforms_load_nothing(monkeypatch, fresh_source):
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(ctypes, "CDLL", lambda *args, **kwargs: pytest.fail("nothing must be loaded"))
    assert _open3d.libusb_source() == "system"


def _refuse(name, mode=0):
    raise OSError(f"{name}: cannot open shared object file")


def test_no_libusb_anywhere_is_reported_as_missing(monkeypatch, fresh_source):
    import libusb_package

    loaded = []

    def system_refused(name, mode=0):
        if name == SYSTEM_LIBUSB:
            _refuse(name)
        loaded.append((name, mode))

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(ctypes, "CDLL", system_refused)
    wheel = str(libusb_package.get_library_path())
    assert _open3d.libusb_source() == wheel and loaded == [(wheel, ctypes.RTLD_GLOBAL)]
    for broken in ("the wheel's library does not load", "the wheel is not installed"):
        _open3d.libusb_source.cache_clear()
        if broken.endswith("not installed"):
            monkeypatch.setitem(sys.modules, "libusb_package", None)
        else:
            monkeypatch.setattr(ctypes, "CDLL", _refuse)
        assert _open3d.libusb_source() == "missing", broken


def test_open3d_failing_to_import_is_a_load_or_save_error_naming_file_and_libusb(monkeypatch, fresh_source, tmp_path):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(ctypes, "CDLL", _refuse)
    monkeypatch.setitem(sys.modules, "libusb_package", None)
    monkeypatch.setitem(sys.modules, "open3d", None)  # `import open3d` raises ImportError
    path = tmp_path / "cloud.xyzn"
    path.write_text("0 0 0 0 0 1\n1 1 1 0 0 1\n")
    with pytest.raises(LoadError, match=r"cloud\.xyzn: .*open3d cannot be imported \(no libusb-1\.0: .*pip install libusb-package"):
        load_pointcloud(path)
    from kaolin_pipeline.errors import SaveError

    with pytest.raises(SaveError, match=r"out\.pcd: .*open3d cannot be imported"):
        save_pointcloud(tmp_path / "out.pcd", PointCloud(torch.zeros(2, 3)))
    assert not (tmp_path / "out.pcd").exists()
    # formats that do not need open3d keep working
    (tmp_path / "cloud.xyz").write_text("0 0 0\n1 1 1\n")  # our text parser
    assert load_pointcloud(tmp_path / "cloud.xyz").points.shape == (2, 3)
    np.save(tmp_path / "cloud.npy", np.ones((4, 3), dtype=np.float32))
    assert load_pointcloud(tmp_path / "cloud.npy").points.shape == (4, 3)
