"""The reconstruction recipe on a handful of tiny shapes: cached views, learning, per-category eval."""
import json

import pytest
import torch

from kaolin_pipeline.train.config import load_config
from kaolin_pipeline.train.metrics_log import read_metrics
from kaolin_pipeline.errors import ConfigError
from kaolin_pipeline.train.reconstruct import (RenderViews, build_dataset, draw_views, evaluate, format_eval_table,
                                               train)

TINY = {
    "device": "cpu", "data.num_train": 4, "data.num_test": 3, "data.families": ["sphere", "cube", "cylinder"],
    "views.num_views": 3, "views.image_size": 32, "views.supervise": 2, "model.subdivisions": 2,
    "model.channels": [8, 16, 32], "model.hidden": 64, "model.norm": "group", "optim.batch_size": 2,
    "optim.lr": 1e-3, "log.every": 1, "log.checkpoint_every": 0, "log.timelapse_every": 0,
    "eval.num_points": 1000,
}


def _tiny(**overrides):
    return load_config("reconstruct", overrides={**TINY, **overrides})


def test_rendered_views_are_cached_and_match_a_fresh_render(tmp_path):
    config = _tiny()
    dataset = build_dataset(config, "train", tmp_path / "cache")
    item = dataset[1]
    assert item["view_images"].shape == (3, 32, 32, 3) and item["view_masks"].shape == (3, 32, 32)
    assert float(item["vertices"].norm(dim=1).max()) == pytest.approx(0.7, rel=1e-5)
    assert len(list((tmp_path / "cache").rglob("*.pt"))) == 1
    cached = dataset[1]  # read back from the cache
    fresh = dataset.dataset[1]  # the uncached dataset renders again
    assert torch.equal(fresh["view_masks"], cached["view_masks"])
    assert torch.allclose(fresh["view_images"], cached["view_images"])
    assert isinstance(dataset.dataset.transform, RenderViews)
    # test shapes differ from training shapes
    test_item = build_dataset(config, "test", tmp_path / "cache")[1]
    assert not torch.equal(test_item["view_masks"], item["view_masks"])


@pytest.mark.slow
def test_training_lowers_the_loss_and_eval_reports_per_category(tmp_path):
    config = _tiny(steps=12)
    history = train(config, tmp_path, progress=False, finish=False)
    assert [row["step"] for row in history] == list(range(1, 13))
    first = sum(row["loss"] for row in history[:3]) / 3
    last = sum(row["loss"] for row in history[-3:]) / 3
    assert last < first
    assert len(read_metrics(tmp_path)) == 12
    result = evaluate(config, tmp_path, progress=False)
    assert set(result["per_category"]) == {"sphere", "cube", "cylinder"}
    assert result["mean"]["count"] == 3
    for row in result["per_category"].values():
        assert 0.0 <= row["voxel_iou"] <= 1.0 and 0.0 <= row["f_score_1"] <= 1.0
    mean_iou = sum(r["voxel_iou"] for r in result["per_category"].values()) / 3
    assert result["mean"]["voxel_iou"] == pytest.approx(mean_iou)
    assert json.loads((tmp_path / "eval.json").read_text())["mean"] == pytest.approx(result["mean"])
    table = format_eval_table(result)
    assert table.splitlines()[0].split()[:3] == ["category", "count", "3D"] and "mean" in table



def test_supervising_views_differ_from_the_input_view():
    generator = torch.Generator().manual_seed(0)
    shapes, inputs, targets = draw_views(generator, 500, 7, 4, 3)
    assert shapes.shape == inputs.shape == (500,) and targets.shape == (500, 3)
    assert int(shapes.max()) <= 6 and int(targets.max()) <= 3
    assert (targets != inputs.unsqueeze(1)).all()
    # the 3 supervising views are the 3 other views, each once
    assert torch.equal(targets.sort(dim=1).values.sum(dim=1), 6 - inputs)
    assert (targets[:, 0] != targets[:, 1]).all()
    with pytest.raises(ConfigError, match="views.supervise"):
        draw_views(generator, 2, 7, 4, 4)
