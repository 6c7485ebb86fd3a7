"""Final assets: every written file re-loads independently (trimesh, pxr, PIL) with the same geometry."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import trimesh
from PIL import Image
from pxr import Usd, UsdGeom
from small_meshes import tetrahedron

from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.errors import CheckpointError, SaveError
from kaolin_pipeline.export.assets import export_assets, export_run
from kaolin_pipeline.export.checkpoint import checkpoint_name, mesh_state, save_checkpoint

# A closed tetrahedron, counter-clockwise seen from outside.
VERTICES, FACES = tetrahedron()


def _textured_mesh() -> Mesh:
    generator = torch.Generator().manual_seed(0)
    # quantised to 8 bits so PNG storage is exact
    texture = torch.randint(0, 256, (3, 8, 16), generator=generator).float() * (1 / 255)  # the readers' 8-bit values
    return Mesh(
        VERTICES, FACES,
        uvs=torch.tensor([[0.1, 0.1], [0.9, 0.1], [0.1, 0.9], [0.9, 0.9], [0.5, 0.5]]),
        face_uvs_idx=torch.tensor([[0, 2, 1], [0, 1, 3], [4, 3, 2], [1, 2, 3]]),
        texture=texture,
    )


def _colored_mesh() -> Mesh:
    colors = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 1.0]])
    return Mesh(VERTICES * 2 - 0.5, FACES, vertex_colors=colors)


def _corners(vertices, faces) -> np.ndarray:
    """(F, 3, 3) face-corner positions: equal for two meshes with the same faces even if vertices were split."""
    return np.asarray(vertices, dtype=np.float64)[np.asarray(faces)]


def _trimesh_corners(path) -> tuple[np.ndarray, trimesh.Trimesh]:
    loaded = trimesh.load(path, process=False, force="mesh")
    return _corners(loaded.vertices, loaded.faces), loaded


def _usd_corners(path) -> np.ndarray:
    stage = Usd.Stage.Open(str(path))
    meshes = [UsdGeom.Mesh(p) for p in stage.Traverse() if p.IsA(UsdGeom.Mesh)]
    assert len(meshes) == 1
    points = np.asarray(meshes[0].GetPointsAttr().Get())
    counts = np.asarray(meshes[0].GetFaceVertexCountsAttr().Get())
    indices = np.asarray(meshes[0].GetFaceVertexIndicesAttr().Get())
    assert (counts == 3).all()
    return _corners(points, indices.reshape(-1, 3))


def test_all_formats_reload_with_same_geometry_and_texture(tmp_path):
    mesh = _textured_mesh()
    written = export_assets(mesh, tmp_path / "final")
    assert set(written) == {"usd", "obj", "ply", "glb"}
    assert all(path.parent == tmp_path / "final" and path.stem == "mesh" for path in written.values())
    expected = _corners(mesh.vertices, mesh.faces)

    np.testing.assert_allclose(_usd_corners(written["usd"]), expected, atol=1e-6)
    for fmt in ("obj", "ply", "glb"):
        corners, _ = _trimesh_corners(written[fmt])
        np.testing.assert_allclose(corners, expected, atol=1e-6, err_msg=fmt)

    expected_image = np.round(mesh.texture.permute(1, 2, 0).numpy() * 255).astype(np.uint8)
    obj_image = np.asarray(Image.open(tmp_path / "final" / "mesh.png").convert("RGB"))
    np.testing.assert_array_equal(obj_image, expected_image)
    _, glb = _trimesh_corners(written["glb"])
    glb_image = np.asarray(glb.visual.material.baseColorTexture.convert("RGB"))
    np.testing.assert_array_equal(glb_image, expected_image)
    # UVs survive in the GLB: each face corner keeps its texture coordinate.
    uv_corners = mesh.uvs.numpy()[mesh.face_uvs_idx.numpy()]
    np.testing.assert_allclose(glb.visual.uv[glb.faces], uv_corners, atol=1e-6)


def test_vertex_colors_reach_ply_and_glb(tmp_path):
    mesh = _colored_mesh()
    written = export_assets(mesh, tmp_path, formats=("ply", "glb"), name="shape")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shape.glb", "shape.ply"]
    expected_colors = np.round(mesh.vertex_colors.numpy() * 255).astype(np.uint8)[mesh.faces.numpy()]
    for fmt in ("ply", "glb"):
        corners, loaded = _trimesh_corners(written[fmt])
        np.testing.assert_allclose(corners, _corners(mesh.vertices, mesh.faces), atol=1e-6)
        colors = loaded.visual.vertex_colors[:, :3][loaded.faces]
        np.testing.assert_array_equal(colors, expected_colors, err_msg=fmt)


@pytest.mark.parametrize("formats, name, match", [
    (("usd", "fbx"), "mesh", "fbx"),
    (("obj",), "sub/mesh", "name"),
    (("obj",), "", "name"),
])
def test_export_assets_rejects_bad_arguments(tmp_path, formats, name, match):
    with pytest.raises(SaveError, match=match):
        export_assets(_colored_mesh(), tmp_path, formats=formats, name=name)
    assert list(tmp_path.iterdir()) == []


def test_export_run_from_checkpoint_to_named_file(tmp_path):
    mesh = _colored_mesh()
    checkpoint = save_checkpoint(tmp_path / "model.pt", step=3, mesh=mesh_state(mesh))
    out = export_run(checkpoint, "glb", tmp_path / "out" / "model.glb")
    assert out == tmp_path / "out" / "model.glb"
    corners, _ = _trimesh_corners(out)
    np.testing.assert_allclose(corners, _corners(mesh.vertices, mesh.faces), atol=1e-6)


def test_export_run_from_run_folder_prefers_final_then_latest_checkpoint(tmp_path):
    run = tmp_path / "run"
    early, late = _colored_mesh(), _colored_mesh()
    late.vertices = late.vertices + 1.0
    save_checkpoint(run / "checkpoints" / checkpoint_name(10), mesh=mesh_state(early))
    save_checkpoint(run / "checkpoints" / checkpoint_name(20), mesh=mesh_state(late))
    out = export_run(run, "ply", tmp_path / "from_checkpoint")
    assert out == tmp_path / "from_checkpoint" / "mesh.ply"
    np.testing.assert_allclose(_trimesh_corners(out)[0], _corners(late.vertices, late.faces), atol=1e-6)

    final = _textured_mesh()
    export_assets(final, run / "final", formats=("obj",))
    out = export_run(run, "usd", tmp_path / "from_final" / "final.usd")
    np.testing.assert_allclose(_usd_corners(out), _corners(final.vertices, final.faces), atol=1e-6)


def test_export_run_errors_name_the_source(tmp_path):
    with pytest.raises(CheckpointError, match="no such"):
        export_run(tmp_path / "missing", "obj", tmp_path / "out")
    (tmp_path / "empty_run").mkdir()
    with pytest.raises(CheckpointError, match="empty_run.*no final"):
        export_run(tmp_path / "empty_run", "obj", tmp_path / "out")
    bare = save_checkpoint(tmp_path / "bare.pt", step=1)
    with pytest.raises(CheckpointError, match="bare.pt.*no 'mesh'"):
        export_run(bare, "obj", tmp_path / "out")
    with_mesh = save_checkpoint(tmp_path / "m.pt", mesh=mesh_state(_colored_mesh()))
    with pytest.raises(SaveError, match="suffix"):
        export_run(with_mesh, "obj", tmp_path / "out.ply")
    with pytest.raises(SaveError, match="format"):
        export_run(with_mesh, "stl", tmp_path / "out")
