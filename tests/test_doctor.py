"""`kaolin-pipeline doctor`: each file format's backend and where open3d's libusb comes from."""
import pytest

from kaolin_pipeline import doctor
from kaolin_pipeline.io import MESH_EXTENSIONS, POINTCLOUD_EXTENSIONS, VOXELGRID_EXTENSIONS
from kaolin_pipeline.io import _open3d


@pytest.mark.parametrize("kind, extensions", [("mesh", MESH_EXTENSIONS), ("point cloud", POINTCLOUD_EXTENSIONS),
                                              ("voxel grid", VOXELGRID_EXTENSIONS)])
def test_every_extension_the_loaders_accept_has_exactly_one_backend(kind, extensions):
    listed = [ext for row_kind, exts, _, _ in doctor.format_backends() if row_kind == kind for ext in exts]
    assert sorted(listed) == sorted(extensions)


def test_report_names_the_backend_of_each_format(monkeypatch):
    monkeypatch.setattr(doctor, "_probe", lambda module, attr="__version__": ("1.0", None))
    monkeypatch.setattr(_open3d, "libusb_source", lambda: "system")
    rows = dict(doctor.collect())
    assert rows["mesh .obj"].startswith("our OBJ + MTL parser")
    assert rows["mesh .off .ply .stl"] == "trimesh"
    assert rows["point cloud .ply"] == "trimesh reads, open3d writes"
    assert rows["point cloud .pcd .xyzn .pts"] == "open3d"
    assert rows["point cloud .xyz .xyzrgb"] == "our text parser reads, open3d writes"
    assert rows["mesh .usdz"] == "pxr (usd-core), read only"
    assert rows["voxel grid .npy .npz"] == "NumPy"
    assert rows["voxel grid .usd .usda .usdc"] == "pxr (usd-core)"
    assert rows["libusb-1.0"].startswith("the system library")


def test_a_missing_dependency_marks_its_formats_unavailable_and_no_other(monkeypatch):
    real_probe = doctor._probe

    def probe(module, attr="__version__"):
        return (None, "ImportError: libusb-1.0.so.0: cannot open shared object file") if module == "open3d" \
            else ("1.0", None) if module != "torch" else real_probe(module, attr)

    monkeypatch.setattr(doctor, "_probe", probe)
    monkeypatch.setattr(_open3d, "libusb_source", lambda: "missing")
    rows = dict(doctor.collect())
    assert "UNAVAILABLE (ImportError: libusb-1.0.so.0" in rows["point cloud .pcd .xyzn .pts"]
    assert "UNAVAILABLE" in rows["point cloud .ply"]
    unaffected = [name for name in rows if name.startswith(("mesh ", "voxel grid ", "point cloud .npy",
                                                             "point cloud .usd"))]
    assert len(unaffected) == 12 and all("UNAVAILABLE" not in rows[name] for name in unaffected)
    assert rows["libusb-1.0"].startswith("MISSING")


def test_the_wheel_library_path_is_shown(monkeypatch):
    monkeypatch.setattr(_open3d, "libusb_source", lambda: "/venv/site-packages/libusb_package/libusb-1.0.so")
    name, status = doctor._libusb_row()
    assert name == "libusb-1.0"
    assert status.startswith("the libusb-package wheel: /venv/site-packages/libusb_package/libusb-1.0.so")
