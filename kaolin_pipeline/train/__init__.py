"""Training: configs, models, the loop, and the ``fit`` / ``train`` / ``eval`` recipes.

Typical use::

    from kaolin_pipeline.train import load_config, fit
    metrics = fit(load_config("fit", overrides=["target=synthetic:blob", "steps=300"]), "runs/blob")
"""
from kaolin_pipeline.train.config import default_config, load_config, parse_overrides
from kaolin_pipeline.train.distributed import DistContext, init_distributed, resolve_device
from kaolin_pipeline.train.evaluate import image_metrics, mesh_metrics, voxel_iou_of_meshes
from kaolin_pipeline.train.fit import FitProblem, fit, load_target_mesh, prepare_target
from kaolin_pipeline.train.loop import Trainer
from kaolin_pipeline.train.metrics_log import MetricsLog, read_metrics
from kaolin_pipeline.train.models import MeshFitModel, ReconstructionNet
from kaolin_pipeline.train.reconstruct import evaluate, format_eval_table, train
from kaolin_pipeline.io.render import camera_from_transform
from kaolin_pipeline.train.views import Views, load_view_folder, render_views, save_view_folder

__all__ = [
    "DistContext", "FitProblem", "MeshFitModel", "MetricsLog", "ReconstructionNet", "Trainer", "Views",
    "camera_from_transform", "default_config", "evaluate", "fit",
    "format_eval_table", "image_metrics", "init_distributed", "load_config",
    "load_target_mesh", "load_view_folder", "mesh_metrics", "parse_overrides", "prepare_target",
    "read_metrics", "render_views", "resolve_device", "save_view_folder", "train",
    "voxel_iou_of_meshes",
]
