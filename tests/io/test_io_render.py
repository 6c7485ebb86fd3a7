"""Kaolin App synthetic views: our reader on hand-written App-layout files, writer -> reader round trips."""
import json
import math

import numpy as np
import pytest
import torch
from PIL import Image

from kaolin_pipeline.errors import LoadError, SaveError
from kaolin_pipeline.io.render import (
    camera_from_transform, export_synthetic_view, import_synthetic_view, load_synthetic_views, transform_from_camera,
)
from kaolin_pipeline.render import look_at_cameras
from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.datagen import render_shape

# A camera at (4, 0, 0) looking at the origin, +y up: its right axis is -z, up +y, backward +x.
# Row-vector world-to-camera matrix: rows 0-2 hold R^T (columns right, up, backward), row 3 is -c @ R^T.
TF_MAT = [[0.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 0.0], [-1.0, 0.0, 0.0, 0.0], [0.0, 0.0, -4.0, 1.0]]
WIDTH, HEIGHT, FOCAL, APERTURE = 8, 6, 24.0, 20.955


def _write_app_view(root, idx=0):
    """One view as the Kaolin App's Data Generator lays it out, written by hand (PIL + NumPy + json)."""
    rgba = np.zeros((HEIGHT, WIDTH, 4), np.uint8)
    rgba[2:4, 3:6] = [200, 100, 50, 255]
    rgba[..., 3] = np.where(rgba[..., 3] > 0, 255, 0)
    Image.fromarray(rgba).save(root / f"{idx}_rgb.png")
    normals = np.full((HEIGHT, WIDTH, 4), 255, np.uint8)
    normals[..., :3] = [255, 128, 128]
    Image.fromarray(normals).save(root / f"{idx}_normals.png")
    semantic = np.zeros((HEIGHT, WIDTH, 1), np.int32)
    semantic[2:4, 3:6] = 1
    np.save(root / f"{idx}_semantic.npy", semantic)
    np.save(root / f"{idx}_instance.npy", semantic * 7)
    np.save(root / f"{idx}_depth_linear.npy", np.full((HEIGHT, WIDTH), 3.5, np.float32))
    box = [{"file": "chair.usd", "class": "asset", "bbox": {"x_min": 3, "y_min": 2, "x_max": 5, "y_max": 3}}]
    asset = [[2.0, 0, 0, 0], [0, 2.0, 0, 0], [0, 0, 2.0, 0], [1.0, -1.0, 0.5, 1.0]]
    (root / f"{idx}_metadata.json").write_text(json.dumps({
        "camera_properties": {"resolution": {"width": WIDTH, "height": HEIGHT}, "clipping_range": [1.0, 1000000.0],
                              "horizontal_aperture": APERTURE, "focal_length": FOCAL, "tf_mat": TF_MAT},
        "bbox_2d_tight": box, "bbox_2d_loose": box, "asset_transforms": [["chair.usd", asset]]}))
    return rgba, semantic


def test_reader_on_a_hand_written_app_view(tmp_path):
    rgba, semantic = _write_app_view(tmp_path)
    out = import_synthetic_view(tmp_path, 0, rgb=True, depth_linear=True, semantic=True, instance=True,
                                normals=True, bbox_2d_tight=True, bbox_2d_loose=True)
    assert set(out) == {"rgb", "depth_linear", "semantic", "instance", "normals", "bbox_2d_tight",
                        "bbox_2d_loose", "metadata"}
    assert out["rgb"].shape == (HEIGHT, WIDTH, 3) and out["rgb"].dtype == torch.float32
    assert torch.equal(out["rgb"][2, 3], torch.tensor([200, 100, 50]) / 255.0)
    assert torch.equal(out["semantic"], torch.from_numpy(semantic)) and out["semantic"].dtype == torch.int32
    assert int(out["instance"].max()) == 7
    assert torch.equal(out["depth_linear"], torch.full((HEIGHT, WIDTH), 3.5))
    assert torch.equal(out["normals"][0, 0], torch.tensor([255, 128, 128]) / 255.0)
    assert out["bbox_2d_tight"][0]["bbox"] == {"x_min": 3, "y_min": 2, "x_max": 5, "y_max": 3}
    metadata = out["metadata"]
    assert set(metadata) == {"cam_transform", "asset_transforms", "cam_proj", "clipping_range"}
    assert torch.equal(metadata["cam_transform"], torch.tensor(TF_MAT)[:, :3])
    assert metadata["asset_transforms"][3].tolist() == [1.0, -1.0, 0.5, 1.0]
    assert metadata["clipping_range"] == [1.0, 1000000.0]
    # Kaolin: fov = 2 atan(aperture / (2 focal)) as the vertical fov, ratio = width / height.
    y_scale = 2 * FOCAL / APERTURE
    assert torch.allclose(metadata["cam_proj"], torch.tensor([[y_scale * HEIGHT / WIDTH], [y_scale], [-1.0]]))
    camera = camera_from_transform(metadata["cam_transform"][None], metadata["cam_proj"])
    assert torch.allclose(camera.translation, torch.tensor([[4.0, 0.0, 0.0]]))
    assert torch.allclose(camera.rotation[0], torch.tensor([[0.0, 0.0, -1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]))


def test_reader_leaves_out_what_is_not_asked_and_gives_none_for_absent_files(tmp_path):
    _write_app_view(tmp_path)
    (tmp_path / "0_depth_linear.npy").unlink()
    out = import_synthetic_view(tmp_path, 0, rgb=False, depth_linear=True)
    assert set(out) == {"depth_linear", "metadata"} and out["depth_linear"] is None


def test_folder_reader_takes_the_semantic_map_as_the_silhouette(tmp_path):
    _, semantic = _write_app_view(tmp_path, 0)
    _write_app_view(tmp_path, 1)
    loaded = load_synthetic_views(tmp_path)
    assert loaded["indices"] == [0, 1] and loaded["images"].shape == (2, HEIGHT, WIDTH, 3)
    assert torch.equal(loaded["masks"][0], torch.from_numpy(semantic[..., 0]).float())
    assert loaded["images"][0][0, 0].tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("breakage, message", [
    (lambda m: m["camera_properties"].pop("tf_mat"), "tf_mat"),
    (lambda m: m["camera_properties"].__setitem__("tf_mat", [[1, 0, 0], [0, 1, 0]]), "tf_mat must be 4x4"),
    (lambda m: m["camera_properties"].__setitem__("focal_length", 0), "must be positive"),
])
def test_malformed_metadata_is_a_load_error_naming_file_and_key(tmp_path, breakage, message):
    _write_app_view(tmp_path)
    path = tmp_path / "0_metadata.json"
    metadata = json.loads(path.read_text())
    breakage(metadata)
    path.write_text(json.dumps(metadata))
    with pytest.raises(LoadError, match=message) as info:
        import_synthetic_view(tmp_path, 0)
    assert "0_metadata.json" in str(info.value)


def _empty(tmp_path):
    (tmp_path / "empty").mkdir()
    return tmp_path / "empty"


def test_missing_metadata_and_size_mismatch_are_load_errors(tmp_path):
    _write_app_view(tmp_path)
    with pytest.raises(LoadError, match="1_metadata.json"):
        import_synthetic_view(tmp_path, 1)
    Image.fromarray(np.zeros((HEIGHT + 1, WIDTH, 4), np.uint8)).save(tmp_path / "0_rgb.png")
    with pytest.raises(LoadError, match="resolution"):
        load_synthetic_views(tmp_path)
    with pytest.raises(LoadError, match="not a folder"):
        load_synthetic_views(tmp_path / "0_metadata.json")
    with pytest.raises(LoadError, match="no <i>_rgb.png"):
        load_synthetic_views(_empty(tmp_path))


def test_written_cameras_read_back_to_the_same_matrices(tmp_path):
    cameras = look_at_cameras([10.0, 100.0, 250.0], [-40.0, 5.0, 70.0], [2.0, 3.0, 4.5], fovy=40.0, ratio=1.5)
    transforms = transform_from_camera(cameras)
    for i in range(3):
        export_synthetic_view(tmp_path, i, torch.rand(4, 6, 3), transforms[i], cameras.projection,
                              alpha=torch.ones(4, 6))
    for i in range(3):
        metadata = import_synthetic_view(tmp_path, i)["metadata"]
        assert torch.allclose(metadata["cam_transform"], transforms[i], atol=1e-6)
        assert torch.allclose(metadata["cam_proj"], cameras.projection, rtol=1e-6)
    back = camera_from_transform(load_synthetic_views(tmp_path)["cam_transform"], cameras.projection)
    assert torch.allclose(back.rotation, cameras.rotation, atol=1e-6)
    assert torch.allclose(back.translation, cameras.translation, atol=1e-5)


def test_writer_refuses_a_projection_it_cannot_store(tmp_path):
    cameras = look_at_cameras(0.0, 0.0, 3.0, fovy=40.0)  # square pixels only for a square image
    with pytest.raises(SaveError, match="non-square pixels"):
        export_synthetic_view(tmp_path, 0, torch.zeros(4, 6, 3), transform_from_camera(cameras)[0],
                              cameras.projection)
    assert not list(tmp_path.iterdir())


def _tilted_plane(slope: float) -> Mesh:
    """The plane z = slope * y, as a 4 x 4 square of two triangles facing +z."""
    vertices = torch.tensor([[-2.0, -2.0, -2 * slope], [2.0, -2.0, -2 * slope], [2.0, 2.0, 2 * slope],
                             [-2.0, 2.0, 2 * slope]])
    return Mesh(vertices, torch.tensor([[0, 1, 2], [0, 2, 3]]), vertex_colors=torch.full((4, 3), 0.25))


def test_depth_and_normals_of_a_known_scene_equal_hand_computed_values(tmp_path):
    size, distance, slope, fovy = 16, 3.0, 0.5, 30.0
    cameras = look_at_cameras(0.0, 0.0, distance, fovy)  # at (0, 0, 3) looking down -z, camera frame = world frame
    render_shape(_tilted_plane(slope), tmp_path, cameras, image_size=size, supersample=2)
    view = import_synthetic_view(tmp_path, 0, depth_linear=True, normals=True, semantic=True)
    focal = 1 / math.tan(math.radians(fovy) / 2)
    for row in (1, 8, 14):
        y_ndc = 1 - (2 * row + 1) / size  # pixel centres, row 0 at the top
        # The ray t * (x / f, y_ndc / f, -1) from (0, 0, d) meets z = slope * y where d - t = slope * t * y_ndc / f.
        expected = distance / (1 + slope * y_ndc / focal)
        assert view["depth_linear"][row, 5].item() == pytest.approx(expected, rel=1e-5)
    normal = torch.tensor([0.0, -slope, 1.0]) / math.hypot(slope, 1.0)
    assert torch.allclose(view["normals"][8, 8], (normal + 1) / 2, atol=0.5 / 255 + 1e-6)
    assert bool((view["semantic"] == 1).all())
    rgba = np.asarray(Image.open(tmp_path / "0_rgb.png"))
    assert rgba.shape == (size, size, 4) and (rgba[..., 3] == 255).all()
    assert (rgba[..., :3] == 64).all()  # 0.25 * 255 = 63.75, unlit


def test_partly_covered_pixels_store_straight_colour_and_coverage(tmp_path):
    # A triangle whose hypotenuse cuts pixels: covered fraction in alpha, un-premultiplied colour in RGB.
    triangle = Mesh(torch.tensor([[-0.5, -0.5, 0.0], [0.5, -0.5, 0.0], [-0.5, 0.5, 0.0]]),
                    torch.tensor([[0, 1, 2]]), vertex_colors=torch.full((3, 3), 0.6))
    render_shape(triangle, tmp_path, look_at_cameras(0.0, 0.0, 3.0, 30.0), image_size=16, supersample=4)
    rgba = np.asarray(Image.open(tmp_path / "0_rgb.png"))
    partial = (rgba[..., 3] > 0) & (rgba[..., 3] < 255)
    assert partial.sum() > 4
    assert (np.abs(rgba[partial][:, :3].astype(int) - 153) <= 1).all()  # 0.6 * 255, not darkened by coverage
    loaded = load_synthetic_views(tmp_path)
    alpha = torch.from_numpy(rgba[..., 3] / 255.0).float()
    assert torch.allclose(loaded["images"][0][..., 0], torch.from_numpy(rgba[..., 0] / 255.0).float() * alpha)
