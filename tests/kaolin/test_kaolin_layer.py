"""kaolin_pipeline.kaolin: Kaolin's paths resolve to our functions, SurfaceMesh behaves as Kaolin documents,
the readers return Kaolin's values (checked against files written by hand and read with pxr), and
``python -m kaolin_pipeline.kaolin`` runs Kaolin scripts."""
import importlib
import inspect
import os
import pkgutil
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import kaolin_pipeline.kaolin as kal
from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.export.timelapse import Timelapse
from kaolin_pipeline.io import load_mesh
from page_faults import TRAINING_LOOP, steady_page_faults

REPO = Path(__file__).resolve().parents[2]

# --- paths ---------------------------------------------------------------------------------------

def _layer_names() -> dict[str, object]:
    """Every public name of the layer: ``"kaolin.<module path>.<name>"`` -> object, from each module's ``__all__``."""
    names = {}
    for info in pkgutil.walk_packages(kal.__path__, kal.__name__ + "."):
        if any(part.startswith("_") for part in info.name.split(".")[2:]):
            continue  # _convert, _missing, __main__: helpers, not Kaolin paths
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            if not inspect.ismodule(value):
                names[f"{info.name.removeprefix('kaolin_pipeline.')}.{name}"] = value
    return names


LAYER = _layer_names()

#: kaolin.io.usd's wrappers by Kaolin submodule; each is also listed under kaolin.io.usd itself.
_USD_WRAPPERS = {
    "mesh": {
        "import_mesh": "every Mesh prim merged in world space as one Kaolin SurfaceMesh",
        "import_meshes": "each Mesh prim as a Kaolin SurfaceMesh, Kaolin's scene_paths arguments",
        "get_mesh_scene_paths": "Kaolin's helper taking a file or a Usd.Stage",
        "add_mesh": "Kaolin's UV convention (v' = 1 - v) onto io.usd.authoring.add_mesh",
        "export_mesh": "Kaolin's file rule: a new stage, add_mesh, save",
        "export_meshes": "Kaolin's batched export arguments (lists of tensors, scene_paths, batched transforms)",
    },
    "pointcloud": {
        "pointcloud_return_type": "Kaolin's (points, colors, normals, transform) namedtuple",
        "get_pointcloud_scene_paths": "Points prims, then PointInstancers that are not voxel grids",
        "import_pointcloud": "the prims under a path merged in world space",
        "import_pointclouds": "each prim in its own space with its transform, as Kaolin's namedtuple",
        "add_pointcloud": "Kaolin 0.18's positional order, with its DeprecationWarning",
        "export_pointcloud": "Kaolin's file rule and its deprecated argument forms",
        "export_pointclouds": "the same for several clouds, with batched transforms",
    },
    "voxelgrid": {
        "import_voxelgrid": "the occupancy of io.usd.import_voxelgrid, from a file or a stage",
        "import_voxelgrids": "every grid tagged VoxelGrid by default",
        "export_voxelgrid": "Kaolin's file rule: a new stage, add_voxelgrid, save",
        "export_voxelgrids": "the same for several grids",
    },
}

#: The names defined inside the layer on purpose, and why each cannot be a plain mapping. Every other
#: name must be the very object of an implementation package (``render``, ``ops``, ``io``, ...).
WRAPPERS = {
    "kaolin.io.obj.import_mesh": "returns Kaolin's SurfaceMesh / return tuple, UVs flipped to Kaolin's v",
    "kaolin.io.shapenet.ShapeNetV1": "Kaolin's dataset class: KaolinDatasetItem items read by kal.io.obj",
    "kaolin.io.shapenet.ShapeNetV2": "the same for ShapeNet v2's folder layout",
    "kaolin.io.modelnet.ModelNet": "Kaolin's dataset class: KaolinDatasetItem items read by kal.io.off",
    "kaolin.io.shrec.SHREC16": "Kaolin's dataset class: KaolinDatasetItem items read by kal.io.obj",
    "kaolin.io.gltf.import_mesh": "the default scene as one Kaolin SurfaceMesh",
    "kaolin.io.gltf.import_meshes": "each glTF mesh as its own Kaolin SurfaceMesh, no node transforms",
    "kaolin.io.mesh.import_mesh": "Kaolin's format-dispatching import_mesh returning a SurfaceMesh",
    "kaolin.io.import_mesh": "the same function under kaolin.io",
    "kaolin.io.materials.PBRMaterial": "Kaolin's moved class name: constructing it raises DeprecationWarning",
    "kaolin.visualize.Timelapse": "Kaolin's Timelapse call signatures over export.Timelapse",
    "kaolin.visualize.timelapse.Timelapse": "the same class under its module path",
    "kaolin.visualize.TimelapseParser": "Kaolin's TimelapseParser API over export.TimelapseReader",
    "kaolin.visualize.timelapse_parser.TimelapseParser": "the same class under its module path",
    "kaolin.visualize.timelapse.TimelapseParser": "the same class where Kaolin defines it",
    **{f"kaolin.io.usd.{prefix}{name}": reason for module, names in _USD_WRAPPERS.items()
       for name, reason in names.items() for prefix in ("", f"{module}.")},
}


def test_the_walk_finds_the_whole_layer():
    assert len(LAYER) >= 76 and "kaolin.render.mesh.dibr_rasterization" in LAYER
    assert "kaolin.ops.mesh.index_vertices_by_faces" in LAYER and "kaolin.io.usd.import_mesh" in LAYER


@pytest.mark.parametrize("path", sorted(set(LAYER) - set(WRAPPERS)))
def test_every_other_kaolin_name_is_our_implementation_itself(path):
    value = LAYER[path]
    module = getattr(value, "__module__", None) or ""
    assert callable(value), f"{path} is not a function or class"
    assert module.startswith("kaolin_pipeline.") and not module.startswith("kaolin_pipeline.kaolin"), \
        f"{path} is defined in {module}: a wrapper (list it in WRAPPERS with the reason) or misplaced code"
    implementation = importlib.import_module(module)
    assert getattr(implementation, value.__name__) is value  # a mapping, not a second implementation


def test_the_wrapper_list_is_exact():
    defined_here = {path for path, value in LAYER.items()
                    if (getattr(value, "__module__", None) or "").startswith("kaolin_pipeline.kaolin")}
    assert defined_here == set(WRAPPERS)


def test_a_kaolin_name_we_do_not_provide_says_so():
    with pytest.raises(AttributeError, match=r"kaolin\.render\.mesh\.nvdiffrast_context is not implemented"):
        kal.render.mesh.nvdiffrast_context
    with pytest.raises(AttributeError, match=r"kaolin\.ops\.mesh\.not_a_kaolin_op.*has: adjacency_matrix"):
        kal.ops.mesh.not_a_kaolin_op


# --- SurfaceMesh ----------------------------------------------------------------------------------

def _square():
    vertices = torch.tensor([[0.0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]])
    faces = torch.tensor([[0, 1, 2], [0, 2, 3]])
    uvs = torch.tensor([[0.0, 0], [1, 0], [1, 1], [0, 1]])
    return vertices, faces, uvs


def test_surface_mesh_computes_kaolins_attributes_unbatched_and_batched():
    vertices, faces, uvs = _square()
    mesh = kal.rep.SurfaceMesh(vertices, faces, uvs=uvs, face_uvs_idx=faces)
    assert mesh.batching == kal.rep.SurfaceMesh.Batching.NONE and len(mesh) == 1
    assert torch.equal(mesh.face_vertices, vertices[faces])  # (F, 3, 3)
    assert torch.equal(mesh.face_uvs, uvs[faces])
    assert torch.equal(mesh.face_normals, torch.tensor([0.0, 0, 1]).expand(2, 3, 3))  # per corner, unit
    assert torch.equal(mesh.vertex_normals, torch.tensor([0.0, 0, 1]).expand(4, 3))
    assert torch.allclose(mesh.vertex_tangents, torch.tensor([1.0, 0, 0]).expand(4, 3))
    assert mesh.normals is None and mesh.material_assignments is None  # unset, not computable

    batched = kal.rep.SurfaceMesh(vertices, faces, uvs=uvs, face_uvs_idx=faces).to_batched()
    assert batched.batching == kal.rep.SurfaceMesh.Batching.FIXED
    assert batched.vertices.shape == (1, 4, 3) and batched.faces.shape == (2, 3)  # faces stay shared
    assert batched.uvs.shape == (1, 4, 2) and batched.face_uvs_idx.shape == (1, 2, 3)
    assert batched.face_uvs.shape == (1, 2, 3, 2) and batched.face_normals.shape == (1, 2, 3, 3)
    assert torch.equal(batched.face_uvs[0], uvs[faces])


def test_surface_mesh_keeps_computed_values_unless_they_need_grad():
    vertices, faces, uvs = _square()
    mesh = kal.rep.SurfaceMesh(vertices, faces, uvs=uvs, face_uvs_idx=faces).to_batched()
    mesh.face_uvs[..., 1] = 1 - mesh.face_uvs[..., 1]  # what Kaolin's DIB-R tutorial does
    assert torch.equal(mesh.face_uvs[0, :, :, 1], 1 - uvs[faces][:, :, 1])
    mesh.vertices = mesh.vertices.clone().requires_grad_(True)
    first = mesh.face_vertices
    assert first.requires_grad and not mesh.has_attribute("face_vertices")  # recomputed on each access
    with torch.no_grad():
        mesh.vertices *= 2
    assert torch.equal(mesh.face_vertices, 2 * first.detach())


def test_surface_mesh_devices_errors_and_unset_attributes():
    vertices, faces, uvs = _square()
    mesh = kal.rep.SurfaceMesh(vertices, faces, uvs=uvs, face_uvs_idx=faces, unset_attributes_return_none=False)
    moved = mesh.to(torch.float64, attributes=["vertices"])  # a shallow copy: only the listed tensors change
    assert moved is not mesh and moved.vertices.dtype == torch.float64 and mesh.vertices.dtype == torch.float32
    assert moved.uvs is mesh.uvs and moved.faces is mesh.faces
    assert mesh.cpu().uvs.device.type == "cpu"
    with pytest.raises(AttributeError, match="normals"):
        mesh.normals
    with pytest.raises(AttributeError, match="does not support attribute"):
        mesh.colours
    with pytest.raises(ValueError, match="vertices"):
        kal.rep.SurfaceMesh(torch.zeros(4, 2), faces)


# --- OBJ ------------------------------------------------------------------------------------------

OBJ = """v 0 0 0
v 1 0 0
v 1 1 0
v 0 1 0
vt 0.25 0.1
vt 0.75 0.2
vt 0.5 0.9
vn 0 0 1
f 1/1/1 2/2/1 3/3/1
f 1/1/1 3/3/1 4/2/1
"""


def test_obj_import_mesh_returns_kaolins_values(tmp_path):
    path = tmp_path / "m.obj"
    path.write_text(OBJ)
    plain = kal.io.obj.import_mesh(path)
    assert plain.uvs is None and plain.normals is None  # Kaolin loads UVs only with_materials
    assert torch.equal(plain.vertices, torch.tensor([[0.0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]]))
    assert plain.faces.tolist() == [[0, 1, 2], [0, 2, 3]]
    full = kal.io.obj.import_mesh(path, with_materials=True, with_normals=True)
    # Kaolin's importer returns v' = 1 - v of the file's vt lines
    assert torch.allclose(full.uvs, torch.tensor([[0.25, 0.9], [0.75, 0.8], [0.5, 0.1]]))
    assert full.face_uvs_idx.tolist() == [[0, 1, 2], [0, 2, 1]]
    assert torch.allclose(full.face_normals, torch.tensor([0.0, 0, 1]).expand(2, 3, 3))


def test_obj_import_mesh_polygons_need_triangulate_or_a_handler(tmp_path):
    path = tmp_path / "quad.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 2 0 0\nf 1 2 3 4\nf 2 5 3\n")
    with pytest.raises(kal.io.utils.NonHomogeneousMeshError, match="triangulate=True"):
        kal.io.obj.import_mesh(path)
    assert kal.io.obj.import_mesh(path, triangulate=True).faces.tolist() == [[0, 1, 2], [0, 2, 3], [1, 4, 2]]
    handled = kal.io.obj.import_mesh(path, heterogeneous_mesh_handler=kal.io.utils.mesh_handler_naive_triangulate)
    assert handled.faces.shape == (3, 3)
    assert kal.io.obj.import_mesh(path, heterogeneous_mesh_handler=kal.io.utils.heterogeneous_mesh_handler_skip) is None
    with pytest.raises(PipelineError, match="heterogeneous_mesh_handler=.*not supported"):
        kal.io.obj.import_mesh(path, heterogeneous_mesh_handler=print)
    path.write_text("v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nf 1 2 3 4\n")
    assert kal.io.obj.import_mesh(path).faces.tolist() == [[0, 1, 2, 3]]  # all quads: kept, as Kaolin


# --- USD ------------------------------------------------------------------------------------------

def test_usd_mesh_round_trip_writes_the_file_convention(tmp_path):
    from pxr import Usd, UsdGeom

    vertices, faces, _ = _square()
    kaolin_uvs = torch.tensor([[0.1, 0.8], [0.9, 0.7], [0.6, 0.2], [0.2, 0.3]])
    path = tmp_path / "mesh.usda"
    stage = kal.io.usd.export_mesh(str(path), scene_path="/World/Meshes/square", vertices=vertices, faces=faces,
                                   uvs=kaolin_uvs, face_uvs_idx=faces)
    assert isinstance(stage, Usd.Stage)
    opened = Usd.Stage.Open(str(path))
    prim = opened.GetPrimAtPath("/World/Meshes/square")
    st = np.array(UsdGeom.PrimvarsAPI(prim).GetPrimvar("st").ComputeFlattened())  # face-varying, as files store it
    expected = kaolin_uvs[faces].reshape(-1, 2).numpy()
    assert np.allclose(st[:, 0], expected[:, 0]) and np.allclose(st[:, 1], 1 - expected[:, 1])
    back = kal.io.usd.import_mesh(str(path), scene_path="/World/Meshes/square")
    assert torch.allclose(back.face_uvs, kaolin_uvs[faces]) and torch.equal(back.vertices, vertices)
    with pytest.raises(OSError, match="overwrite=True"):
        kal.io.usd.export_mesh(str(path), vertices=vertices, faces=faces)
    moved = torch.tensor([[0.0, -1, 0, 1], [1, 0, 0, 2], [0, 0, 1, 3], [0, 0, 0, 1]])  # a turn about z, then a shift
    kal.io.usd.export_mesh(str(tmp_path / "t.usda"), vertices=vertices, faces=faces, local_to_world=moved,
                           up_axis="Z")
    opened = Usd.Stage.Open(str(tmp_path / "t.usda"))
    prim = opened.GetPrimAtPath("/World/Meshes/mesh_0")
    assert UsdGeom.GetStageUpAxis(opened) == "Z"
    assert np.allclose(np.array(UsdGeom.Xformable(prim).ComputeLocalToWorldTransform(0)), moved.numpy().T)
    world = kal.io.usd.import_mesh(str(tmp_path / "t.usda")).vertices  # by hand: (x, y, z) -> (1 - y, 2 + x, 3 + z)
    assert torch.allclose(world, torch.stack([1 - vertices[:, 1], 2 + vertices[:, 0], 3 + vertices[:, 2]], 1))
    local, = kal.io.usd.import_meshes(str(tmp_path / "t.usda"))
    assert torch.equal(local.vertices, vertices) and torch.allclose(local.transform, moved)


def test_usd_pointclouds_and_voxelgrids_round_trip(tmp_path):
    points = [torch.rand(20, 3), torch.rand(7, 3)]
    path = tmp_path / "clouds.usda"
    kal.io.usd.export_pointclouds(str(path), points=points[:1])
    cloud, = kal.io.usd.import_pointclouds(str(path), scene_paths=["/World/PointClouds/pointcloud_0"])
    assert cloud._fields == ("points", "colors", "normals", "transform") and torch.allclose(cloud.points, points[0])
    timed = tmp_path / "timed.usda"
    stage = kal.io.usd.export_pointcloud(str(timed), points=points[1], time=0)
    kal.io.usd.add_pointcloud(stage, "/World/PointClouds/pointcloud_0", points[1] + 1, time=3)
    stage.Save()
    assert torch.allclose(kal.io.usd.import_pointcloud(str(timed), time=3).points, points[1] + 1)
    assert kal.io.usd.get_authored_time_samples(str(timed)) == [0.0, 3.0]
    with pytest.raises(FileExistsError):
        kal.io.usd.export_pointcloud(str(timed), points=points[1], time=5)
    kal.io.usd.export_pointclouds(str(tmp_path / "two.usda"), points=points, colors=[None, torch.rand(7, 3)],
                                  points_type="usd_geom_points")
    first, second = kal.io.usd.import_pointclouds(str(tmp_path / "two.usda"))
    assert torch.equal(first.points, points[0]) and torch.equal(second.points, points[1])
    assert first.colors is None and second.colors.shape == (7, 3)

    grid = torch.zeros(4, 4, 4, dtype=torch.bool)
    grid[0, 1, 2] = grid[3, 3, 3] = True
    grid_path = tmp_path / "grid.usda"
    kal.io.usd.export_voxelgrids(str(grid_path), [grid])
    assert torch.equal(kal.io.usd.import_voxelgrids(str(grid_path))[0], grid)
    kal.io.usd.export_voxelgrid(str(grid_path), ~grid, overwrite=True)
    assert torch.equal(kal.io.usd.import_voxelgrid(str(grid_path)), ~grid)


# --- TimelapseParser --------------------------------------------------------------------------------

def test_timelapse_parser_summarises_a_log(tmp_path):
    vertices, faces, _ = _square()
    writer = kal.visualize.Timelapse(tmp_path)
    assert isinstance(writer, Timelapse)  # the project's writer, with Kaolin's call pattern added
    for iteration in (0, 10, 20):
        writer.add_mesh_batch(iteration=iteration, category="fit", vertices_list=[vertices, vertices + 1],
                              faces_list=[faces, faces])
    writer.add_pointcloud_batch(iteration=5, category="points", pointcloud_list=[torch.rand(9, 3)])
    parser = kal.visualize.TimelapseParser(tmp_path)
    assert sorted(parser.filepaths) == [("mesh", "fit", 0), ("mesh", "fit", 1), ("pointcloud", "points", 0)]
    assert parser.get_file_path("mesh", "fit", 1) == str(tmp_path / "fit" / "mesh_1.usd")
    assert parser.get_file_path("voxelgrid", "fit", 0) is None
    assert parser.dir_info["mesh"] == [{"category": "fit", "ids": [0, 1], "end_time": 20}]
    assert parser.num_mesh_items() == 2 and parser.num_pointcloud_categories() == 1
    assert parser.num_voxelgrid_items() == 0 and parser.get_category_names_by_type("pointcloud") == ["points"]
    assert not parser.check_for_updates()
    writer.add_mesh_batch(iteration=30, category="fit", vertices_list=[vertices, vertices])
    assert parser.check_for_updates() and parser.get_category_info("mesh", "fit")["end_time"] == 30


# --- python -m kaolin_pipeline.kaolin ---------------------------------------------------------------

def _run(args, cwd, extra_path=()):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([*map(str, extra_path), str(REPO)]))
    return subprocess.run([sys.executable, "-m", "kaolin_pipeline.kaolin", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_runner_aliases_kaolin_for_a_script_and_a_module(tmp_path):
    script = tmp_path / "uses_kaolin.py"
    script.write_text("import sys\nimport kaolin\nfrom kaolin.ops.mesh import subdivide_trianglemesh\n"
                      "import kaolin.render.mesh.dibr as dibr\n"
                      "print(kaolin.__name__, subdivide_trianglemesh.__module__, dibr.__name__, sys.argv[1:])\n")
    done = _run([str(script), "a", "--b"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["kaolin_pipeline.kaolin", "kaolin_pipeline.ops.subdivide",
                                   "kaolin_pipeline.kaolin.render.mesh.dibr", "['a',", "'--b']"]
    as_module = _run(["-m", "uses_kaolin", "x"], tmp_path, extra_path=[tmp_path])
    assert as_module.returncode == 0 and as_module.stdout.split()[-1] == "['x']"


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the allocator setting is glibc's mallopt")
def test_runner_keeps_freed_memory_so_a_training_loop_reuses_its_pages(tmp_path):
    script = tmp_path / "loop.py"
    script.write_text(TRAINING_LOOP)
    launched = _run([str(script)], tmp_path)
    assert launched.returncode == 0, launched.stderr
    plain = steady_page_faults()
    assert plain > 4 * 50_000  # each step maps its activations again
    assert int(launched.stdout) < plain / 10


def test_runner_refuses_where_the_real_kaolin_is_importable(tmp_path):
    fake = tmp_path / "site" / "kaolin"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (tmp_path / "s.py").write_text("import kaolin\n")
    done = _run([str(tmp_path / "s.py")], tmp_path, extra_path=[tmp_path / "site"])
    assert done.returncode == 2 and "the real Kaolin is importable" in done.stderr
    missing = _run([str(tmp_path / "nope.py")], tmp_path)
    assert missing.returncode == 2 and "no such script" in missing.stderr


def test_obj_import_mesh_materials_as_kaolin_returns_them(tmp_path):
    from PIL import Image

    pixels = (np.arange(4 * 5 * 3).reshape(4, 5, 3) * 4).astype(np.uint8)
    Image.fromarray(pixels).save(tmp_path / "wood.png")
    (tmp_path / "m.mtl").write_text("newmtl zinc\nKd 0.2 0.3 0.4\n\nnewmtl apple\nKd 1 0 0\nmap_Kd wood.png\n")
    (tmp_path / "m.obj").write_text("mtllib m.mtl\n" + OBJ.replace("f 1/1/1 2/2/1 3/3/1\n", "usemtl zinc\nf 1/1/1 2/2/1 3/3/1\n")
                                    .replace("f 1/1/1 3/3/1 4/2/1\n", "usemtl apple\nf 1/1/1 3/3/1 4/2/1\n"))
    raw = kal.io.obj.import_mesh(tmp_path / "m.obj", with_materials=True)
    assert [m["material_name"] for m in raw.materials] == ["apple", "zinc"]  # sorted by name, as Kaolin
    assert raw.material_assignments.dtype == torch.int16 and raw.material_assignments.tolist() == [1, 0]
    assert torch.equal(raw.materials[0]["map_Kd"], torch.from_numpy(pixels))  # (H, W, 3) uint8 as in the file
    assert torch.allclose(raw.materials[1]["Kd"], torch.tensor([0.2, 0.3, 0.4]))
    pbr = kal.io.obj.import_mesh(tmp_path / "m.obj", with_materials=True, raw_materials=False)
    assert isinstance(pbr.materials[0], kal.render.materials.PBRMaterial)
    assert torch.allclose(pbr.materials[0].diffuse_texture, torch.from_numpy(pixels) / 255)  # (H, W, 3)
    assert pbr.to_batched().materials[0][1].material_name == "zinc"  # FIXED batching: a list per mesh


def test_obj_import_mesh_pbr_keeps_what_kaolin_reads_from_an_mtl(tmp_path):
    """raw_materials=False: Kd, Ks and the maps (map_Ns -imfchan g as roughness, map_refl -imfchan b as metallic,
    (H, W, 1)); d, Pr and the wrap mode, which Kaolin does not read, stay unset (our load_mesh keeps them)."""
    from PIL import Image

    pixels = (np.arange(2 * 3 * 3).reshape(2, 3, 3) * 9).astype(np.uint8)
    Image.fromarray(pixels).save(tmp_path / "rm.png")
    (tmp_path / "m.mtl").write_text("newmtl rm\nKd 0.5 0.5 0.5\nKs 0.1 0.2 0.3\nd 0.5\nPr 0.7\n"
                                    "map_Ns -imfchan g rm.png\nmap_refl -imfchan b rm.png\n")
    (tmp_path / "m.obj").write_text("mtllib m.mtl\nusemtl rm\n" + OBJ)
    (pbr,) = kal.io.obj.import_mesh(tmp_path / "m.obj", with_materials=True, raw_materials=False).materials
    assert torch.allclose(pbr.roughness_texture, torch.from_numpy(pixels[..., 1:2]) / 255)
    assert torch.allclose(pbr.metallic_texture, torch.from_numpy(pixels[..., 2:3]) / 255)
    assert torch.allclose(pbr.specular_color, torch.tensor([0.1, 0.2, 0.3])) and pbr.diffuse_color is not None
    assert pbr.opacity_value is None and pbr.roughness_value is None and pbr.wrap_mode is None
    ours = load_mesh(tmp_path / "m.obj").materials[0]
    assert ours.opacity_value.tolist() == [0.5] and ours.roughness_value.tolist() == pytest.approx([0.7])


def test_obj_import_mesh_raw_materials_keep_ambient_and_one_channel_maps(tmp_path):
    """Kaolin's raw dicts: Ka / map_Ka (ambient) kept, map_Ns -imfchan g as the green bytes (H, W, 1), keys as the
    file spells them; a missing image goes to the error handler once."""
    from PIL import Image

    pixels = (np.arange(2 * 3 * 3).reshape(2, 3, 3) * 9).astype(np.uint8)
    Image.fromarray(pixels).save(tmp_path / "rm.png")
    Image.fromarray(pixels[::-1].copy()).save(tmp_path / "amb.png")
    (tmp_path / "m.mtl").write_text("newmtl rm\nKa 0.25 0.5 1\nKd 0.5 0.5 0.5\nmap_Ka amb.png\n"
                                    "map_Ns -imfchan g rm.png\nMAP_REFL -imfchan b rm.png\nmap_Ks gone.png\n")
    (tmp_path / "m.obj").write_text("mtllib m.mtl\nusemtl rm\n" + OBJ)
    seen = []
    (raw,) = kal.io.obj.import_mesh(tmp_path / "m.obj", with_materials=True,
                                    error_handler=lambda error, **kwargs: seen.append(error)).materials
    assert sorted(raw) == ["Ka", "Kd", "MAP_REFL", "map_Ka", "map_Ns", "material_name"]
    assert raw["Ka"].tolist() == [0.25, 0.5, 1.0] and raw["material_name"] == "rm"
    assert torch.equal(raw["map_Ka"], torch.from_numpy(pixels[::-1].copy()))
    assert torch.equal(raw["map_Ns"], torch.from_numpy(pixels[..., 1:2].copy()))
    assert torch.equal(raw["MAP_REFL"], torch.from_numpy(pixels[..., 2:3].copy()))
    assert len(seen) == 1 and isinstance(seen[0], kal.io.obj.MaterialLoadError) and "gone.png" in str(seen[0])


def test_io_render_is_our_synthetic_view_reader():
    from kaolin_pipeline.io.render import import_synthetic_view

    assert kal.io.render.import_synthetic_view is import_synthetic_view


def test_timelapse_takes_kaolins_topology_first_calls(tmp_path):
    from kaolin_pipeline.export.timelapse import TimelapseReader

    vertices, faces, uvs = _square()
    writer = kal.visualize.Timelapse(tmp_path)
    # Kaolin's DIB-R tutorial: topology alone at iteration 0, then vertices and a material every epoch
    writer.add_mesh_batch(iteration=0, category="optimized_mesh", faces_list=[faces], uvs_list=[uvs],
                          face_uvs_idx_list=[faces])
    texture = torch.rand(3, 8, 8)
    for epoch in (0, 1):
        writer.add_mesh_batch(iteration=epoch, category="optimized_mesh", vertices_list=[vertices + epoch],
                              materials_list=[{"rgb": kal.render.materials.PBRMaterial(diffuse_texture=texture)}])
    reader = TimelapseReader(tmp_path)
    assert reader.iterations("optimized_mesh", "mesh", 0) == [0, 1]
    logged = reader.mesh("optimized_mesh", 0, 1)
    assert torch.equal(logged.vertices, vertices + 1) and torch.equal(logged.faces, faces)
    # Kaolin's UVs have v' = 1 - v; the project's reader gives the file's own convention
    assert torch.allclose(logged.uvs[logged.face_uvs_idx], torch.tensor([[0.0, 1], [1, 1], [1, 0], [0, 0]])[faces])
    assert torch.allclose(kal.io.usd.import_mesh(str(tmp_path / "optimized_mesh" / "mesh_0.usd"), time=1).face_uvs,
                          uvs[faces])
    with pytest.raises(OSError, match="only the topology"):
        writer.add_mesh_batch(iteration=2, category="x", materials_list=[texture])


def test_readme_kaolin_example_runs_as_printed(capsys):
    text = (REPO / "README.md").read_text()
    section = text[text.index("## Kaolin code on a CPU"):]
    code = section[section.index("```python") + len("```python"):section.index("```\n", section.index("```python") + 9)]
    scope = {}
    exec(compile(code, "README.md", "exec"), scope)
    shapes, loss = capsys.readouterr().out.strip().splitlines()
    assert shapes == "torch.Size([1, 34, 3]) torch.Size([1, 64, 3, 3])"
    # independent of the code's printout: the hard mask by a float64 point-in-triangle test of every pixel
    # centre against the front faces, then 1 - IoU of the soft and hard masks by its formula
    corners = scope["fvi"][0].double().numpy()  # (F, 3, 2) image-plane corners in [-1, 1]
    front = scope["fn"][0, :, -1].numpy() > 0
    size = 64
    centres = (np.arange(size) + 0.5) / size * 2 - 1
    x, y = np.meshgrid(centres, -centres)  # row 0 at the top (y = +1)
    points = np.stack([x, y], -1).reshape(-1, 1, 2)
    a, b, c = (corners[front][None, :, k] for k in range(3))

    def side(p, q, r):
        return (q[..., 0] - p[..., 0]) * (r[..., 1] - p[..., 1]) - (q[..., 1] - p[..., 1]) * (r[..., 0] - p[..., 0])

    d1, d2, d3 = side(points, a, b), side(points, b, c), side(points, c, a)
    inside = (((d1 >= 0) & (d2 >= 0) & (d3 >= 0)) | ((d1 <= 0) & (d2 <= 0) & (d3 <= 0))).any(axis=1)
    hard = scope["mask"][0, ..., 0].double().numpy().reshape(-1) > 0.5
    assert hard.sum() >= 40 and (hard != inside).sum() <= 2, (hard.sum(), (hard != inside).sum())
    soft = scope["soft_mask"][0].double().numpy().reshape(-1)
    expected = 1 - (soft * inside).sum() / (soft + inside - soft * inside).sum()
    assert abs(float(loss) - expected) < 0.005 and f"{expected:.2f}" == "0.19"  # the figure the README prints
