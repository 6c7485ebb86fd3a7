"""Training: configs, losses, models, the loop, and the ``fit`` / ``train`` / ``eval`` recipes.

Typical use::

    from kaolin_pipeline.train import load_config, fit
    metrics = fit(load_config("fit", overrides=["target=synthetic:blob", "steps=300"]), "runs/blob")
"""
from kaolin_pipeline.train.config import default_config, load_config, parse_overrides
from kaolin_pipeline.train.distributed import DistContext, init_distributed, resolve_device
from kaolin_pipeline.train.evaluate import image_metrics, mesh_metrics, voxel_iou_of_meshes
from kaolin_pipeline.train.fit import FitProblem, fit, load_target_mesh, prepare_target
from kaolin_pipeline.train.loop import Trainer
from kaolin_pipeline.train.losses import edge_length_loss, flatten_loss, laplacian_loss, psnr, psnr_foreground
from kaolin_pipeline.train.metrics_log import MetricsLog, read_metrics
from kaolin_pipeline.train.models import MeshFitModel, ReconstructionNet
from kaolin_pipeline.train.reconstruct import evaluate, format_eval_table, train
from kaolin_pipeline.train.template import icosphere, sphere_uvs
from kaolin_pipeline.io.render import camera_from_transform
from kaolin_pipeline.train.views import Views, load_view_folder, render_views, save_view_folder

__all__ = [
    "DistContext", "FitProblem", "MeshFitModel", "MetricsLog", "ReconstructionNet", "Trainer", "Views",
    "camera_from_transform", "default_config", "edge_length_loss", "evaluate", "fit", "flatten_loss",
    "format_eval_table", "icosphere", "image_metrics", "init_distributed", "laplacian_loss", "load_config",
    "load_target_mesh", "load_view_folder", "mesh_metrics", "parse_overrides", "prepare_target", "psnr", "psnr_foreground",
    "read_metrics", "render_views", "resolve_device", "save_view_folder", "sphere_uvs", "train",
    "voxel_iou_of_meshes",
]
