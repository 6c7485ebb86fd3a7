"""io.formats: one table serves the loaders, doctor and describe; kind_of says what a file holds."""
import subprocess
import sys

import numpy as np
import pytest
import torch
import trimesh

from kaolin_pipeline.errors import LoadError, SaveError
from kaolin_pipeline.io import formats, load_mesh, load_pointcloud, load_voxelgrid, save_mesh
from kaolin_pipeline.io.describe import describe_file
from kaolin_pipeline.structures import Mesh

LOADERS = {formats.MESH: load_mesh, formats.POINT_CLOUD: load_pointcloud, formats.VOXEL_GRID: load_voxelgrid}


def test_every_row_names_a_reader_and_writer_that_exist():
    import importlib

    seen = set()
    for row in formats.FORMATS:
        assert (row.kind, row.extension) not in seen  # one row per (kind, extension)
        seen.add((row.kind, row.extension))
        module = importlib.import_module(row.module)
        assert callable(getattr(module, row.reader))
        assert row.writer is None or callable(getattr(module, row.writer))
    assert {ext for kind, ext in seen if kind == formats.MESH} == {
        ".obj", ".off", ".ply", ".stl", ".gltf", ".glb", ".usd", ".usda", ".usdc", ".usdz"}


def test_kind_of_tells_a_ply_mesh_from_a_ply_point_cloud_and_npy_cloud_from_grid(tmp_path):
    box = trimesh.creation.box()
    box.export(str(tmp_path / "box.ply"))
    trimesh.PointCloud(box.vertices).export(str(tmp_path / "points.ply"))
    np.save(tmp_path / "cloud.npy", np.zeros((5, 3), np.float32))
    np.save(tmp_path / "grid.npy", np.ones((4, 4, 4), bool))
    assert formats.kind_of(tmp_path / "box.ply") == "mesh"
    assert formats.kind_of(tmp_path / "points.ply") == "point cloud"
    assert formats.kind_of(tmp_path / "cloud.npy") == "point cloud"
    assert formats.kind_of(tmp_path / "grid.npy") == "voxel grid"
    (tmp_path / "shape.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    assert formats.kind_of(tmp_path / "shape.obj") == "mesh"
    assert describe_file(tmp_path / "points.ply").splitlines()[0].endswith("point cloud")
    with pytest.raises(LoadError, match="unsupported file type '.txt'"):
        formats.kind_of(tmp_path / "notes.txt")
    with pytest.raises(FileNotFoundError):
        formats.kind_of(tmp_path / "absent.ply")


def test_read_only_formats_refuse_to_write(tmp_path):
    mesh = Mesh(vertices=torch.eye(3), faces=torch.tensor([[0, 1, 2]]))
    with pytest.raises(SaveError, match=r"\.usdz files are read only"):
        save_mesh(tmp_path / "out.usdz", mesh)
    assert not list(tmp_path.iterdir())


def test_reading_an_obj_imports_neither_pxr_nor_open3d(tmp_path):
    path = tmp_path / "shape.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    code = ("import sys; from kaolin_pipeline.io import load_mesh; load_mesh(sys.argv[1]); "
            "print(sorted(m for m in ('pxr', 'open3d') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_missing_source_or_view_path_is_also_file_not_found(tmp_path):
    from kaolin_pipeline.datasets.sources import open_source
    from kaolin_pipeline.visualize.view import classify

    for call in (lambda: open_source(str(tmp_path / "nowhere.obj")), lambda: classify(str(tmp_path / "gone"))):
        with pytest.raises(FileNotFoundError, match="no such file or folder"):
            call()
        with pytest.raises(LoadError):
            call()
