"""The fit recipe on tiny targets: it learns, it resumes exactly, folder targets round-trip."""
import json

import pytest
import torch
import yaml

from kaolin_pipeline.render import RenderSettings, generate_transformation_matrix, load_preset, preset_cameras
from kaolin_pipeline.train.config import load_config
from kaolin_pipeline.train.fit import FitProblem, fit, load_target_mesh, prepare_target
from kaolin_pipeline.train.metrics_log import read_metrics
from kaolin_pipeline.io.render import camera_from_transform
from kaolin_pipeline.train.views import load_view_folder, render_views, save_view_folder

TINY = {
    "target": "synthetic:cylinder", "device": "cpu", "views.image_size": 32, "optim.batch_size": 2,
    "template.init": "sphere", "template.subdivisions": 2, "template.scale": 0.35, "template.texture_resolution": 16,
    "optim.lr_vertices": 0.01, "optim.lr_texture": 0.05, "optim.scheduler_step": 100,
    "log.every": 1, "log.checkpoint_every": 0, "log.timelapse_every": 0, "eval.num_points": 2000,
}


def _tiny(**overrides):
    return load_config("fit", overrides={**TINY, **overrides})


@pytest.mark.slow
def test_fit_improves_mask_iou_by_a_wide_margin(tmp_path):
    config = _tiny(steps=40, **{"log.timelapse_every": 20})
    torch.manual_seed(0)
    before, *_ = FitProblem(config, prepare_target(config, torch.device("cpu")), torch.device("cpu")).evaluate()
    metrics = fit(config, tmp_path, progress=False, finish=False)
    assert before["mask_iou"] < 0.4
    assert metrics["mask_iou"] > before["mask_iou"] + 0.35
    assert metrics["chamfer"] < before["chamfer"] / 3
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert set(saved) == {"mask_iou", "psnr", "psnr_foreground", "chamfer", "f_score_1", "f_score_2", "voxel_iou",
                          "folded_faces", "seconds", "train_seconds"}
    assert yaml.safe_load((tmp_path / "config.yaml").read_text()) == config
    assert sorted(p.name for p in (tmp_path / "views").iterdir()) == sorted(
        f"{kind}_{i}.png" for kind in ("pred", "target") for i in range(4))
    for kind in ("mesh_0.usd", "pointcloud_0.usd", "voxelgrid_0.usd"):
        assert (tmp_path / "timelapse" / "fit" / kind).is_file()
    losses = [row["loss"] for row in read_metrics(tmp_path)]
    assert len(losses) == 40 and losses[-1] < 0.5 * losses[0]


def test_interrupted_fit_resumes_with_identical_losses(tmp_path):
    config = _tiny(steps=6)
    fit(config, tmp_path / "full", progress=False, finish=False)
    assert fit(config, tmp_path / "split", max_steps=3, progress=False, finish=False) == {}
    fit(config, tmp_path / "split", resume=True, progress=False, finish=False)
    full, split = read_metrics(tmp_path / "full"), read_metrics(tmp_path / "split")
    assert [r["step"] for r in split] == list(range(1, 7))
    assert [r["loss"] for r in split] == [r["loss"] for r in full]


def test_camera_from_transform_matches_look_at_cameras():
    preset = load_preset("default")
    cameras = preset_cameras(preset, "heldout")
    position = cameras.translation
    transform = generate_transformation_matrix(position, torch.zeros_like(position),
                                               torch.tensor([[0.0, 1.0, 0.0]]).expand_as(position))
    rebuilt = camera_from_transform(transform, cameras.projection)
    assert torch.allclose(rebuilt.rotation, cameras.rotation, atol=1e-6)
    assert torch.allclose(rebuilt.translation, cameras.translation, atol=1e-5)


def test_view_folder_round_trip_rerenders_the_same_images(tmp_path):
    settings, cameras = RenderSettings(32), preset_cameras(load_preset("default"), "heldout")
    mesh = load_target_mesh("synthetic:cube", 0.7)
    views = render_views(settings, mesh, cameras)
    save_view_folder(tmp_path, views)
    loaded = load_view_folder(tmp_path)
    assert loaded.images.shape == (4, 32, 32, 3)
    assert torch.equal(loaded.masks, views.masks)
    # The loader blacks out pixels outside the semantic mask (anti-aliased edge pixels less than half covered).
    assert (loaded.images - views.images * views.masks.unsqueeze(-1)).abs().max() <= 0.5 / 255 + 1e-6
    again = render_views(settings, mesh, loaded.cameras)
    assert torch.equal(again.masks, views.masks)


def test_fit_on_a_view_folder_holds_out_every_kth_view(tmp_path):
    views = render_views(RenderSettings(32), load_target_mesh("synthetic:sphere", 0.7),
                         preset_cameras(load_preset("default"), "train"))
    save_view_folder(tmp_path / "views", views)
    config = _tiny(target=str(tmp_path / "views"), **{"views.folder_heldout_every": 4})
    target = prepare_target(config, torch.device("cpu"))
    assert len(target.train) == 12 and len(target.heldout) == 4 and target.mesh is None
    assert torch.equal(target.heldout.masks, views.masks[3::4])


def test_missing_view_metadata_is_a_load_error(tmp_path):
    from kaolin_pipeline.errors import LoadError

    views = render_views(RenderSettings(16), load_target_mesh("synthetic:sphere", 0.7),
                         preset_cameras(load_preset("default"), "heldout"))
    save_view_folder(tmp_path, views)
    (tmp_path / "2_metadata.json").unlink()
    with pytest.raises(LoadError, match="2_metadata.json"):
        load_view_folder(tmp_path)


def test_projected_colours_start_closer_to_the_views_than_grey():
    """``template.projected`` reads the start colours off the training views: the image term at step 0
    is a fraction of a grey start's, for a texture and for vertex colours; the mesh is the same."""
    for color in ("texture", "vertex_colors"):
        config = _tiny(**{"template.init": "visual_hull", "template.hull_resolution": 24, "template.color": color})
        target = prepare_target(config, torch.device("cpu"))
        starts = {}
        for projected in (False, True):
            config["template"]["projected"] = projected
            problem = FitProblem(config, target, torch.device("cpu"))
            starts[projected] = (problem.losses(0)["image"].item(), problem.model()[0])
        assert starts[True][0] < 0.5 * starts[False][0]
        assert torch.equal(starts[True][1], starts[False][1])


def test_normal_term_compares_rendered_and_target_normals_where_both_see_the_surface():
    config = _tiny(**{"template.init": "visual_hull", "template.hull_resolution": 24})
    target = prepare_target(config, torch.device("cpu"))
    assert target.train.normals.shape == (*target.train.masks.shape, 3)
    norms = target.train.normals.norm(dim=-1)  # unit where a face covers the pixel centre, zero elsewhere
    assert bool(((norms - 1).abs() < 1e-5).logical_or(norms == 0).all())
    assert float((norms[target.train.masks > 0.5] > 0.5).float().mean()) > 0.95
    problem = FitProblem(config, target, torch.device("cpu"))
    terms = problem.losses(0)
    assert 0.0 < terms["normal"].item() < 0.5  # the hull's normals are near, not equal to, the target's
    terms["normal"].backward()
    assert problem.model.offsets.grad.abs().sum() > 0
    config["views"]["normals"] = False
    assert "normal" not in FitProblem(config, prepare_target(config, torch.device("cpu")),
                                      torch.device("cpu")).losses(0)
