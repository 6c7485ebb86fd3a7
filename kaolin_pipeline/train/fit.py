"""The ``fit`` recipe: deform a template sphere and learn its colour so its DIB-R renders match a target.

Follows Kaolin's DIB-R tutorial: the target is seen from the ``train`` cameras of a
render preset (or from a folder of views), a 642-vertex icosphere scaled by 0.75 is
deformed by per-vertex offsets while a UV texture (or vertex colours) is learned, and
the loss is ``image * L1 + mask * mask_iou(soft mask) + laplacian * Laplacian(offsets)``
(+ depth, normal, chamfer, flatten and edge-length terms). Unlike the tutorial, the views of a known
shape are drawn two-sided with hard creases and keep their depth and normals, the start is their visual
hull (carved by the depth too) with the views projected onto its texture, and the offsets are smoothed
by the large-steps matrix ``(I - λL)⁻¹`` (``optim.smoothing``). Held-out views measure the result.
"""
from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Optional

import torch
import torch.nn.functional as F

from kaolin_pipeline.datasets.sources import open_source
from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.ops.mesh import edge_adjacent_faces, fit_in_sphere, mesh_edges, uniform_laplacian, vertex_normals
from kaolin_pipeline.ops.metrics import chamfer_distance, mask_iou
from kaolin_pipeline.ops.sampling import sample_points
from kaolin_pipeline.render import DIBRenderer, RenderSettings, preset_cameras, preset_lights
from kaolin_pipeline.errors import ConfigError
from kaolin_pipeline.train.distributed import DistContext
from kaolin_pipeline.train.evaluate import folded_faces, image_metrics, mesh_metrics
from kaolin_pipeline.ops.regularizers import edge_length_loss, flatten_loss, laplacian_loss
from kaolin_pipeline.train.fit_targets import MAX_SPLATS, TargetShape, read_target_shape, source_metrics
from kaolin_pipeline.train.models import MeshFitModel
from kaolin_pipeline.train.recipe import run_recipe
from kaolin_pipeline.ops.icosphere import icosphere, sphere_uvs
from kaolin_pipeline.ops.creases import split_creases
from kaolin_pipeline.ops.large_steps import LargeSteps
from kaolin_pipeline.ops.textures import limit_texture_size
from kaolin_pipeline.ops.topology import mesh_topology
from kaolin_pipeline.ops.uv_atlas import uv_atlas
from kaolin_pipeline.render.projection import fill_unseen, projected_colors
from kaolin_pipeline.render.visual_hull import close_masks, visual_hull
from kaolin_pipeline.train.views import Views, load_view_folder, render_views, view_settings

#: Target textures are shrunk to twice the render size, but never below this many texels a side.
MIN_TARGET_TEXTURE = 1024


@dataclasses.dataclass
class FitTarget:
    """What ``fit`` matches: training and held-out views, the render settings, renderer and lights
    that go with them, and the target mesh when it is known.

    The optimisation runs in a normalised frame (a target mesh centred, scaled to
    ``views.target_scale``); ``centre`` (3,) and ``unit`` (the length of one normalised unit in
    the target's units) map it back: ``target_point = centre + unit * normalised_point``.
    ``summary`` says what the target holds and what will keep it from the quality bars; ``shape``
    is what the target file holds (``mesh`` is then its drawn form, normalised), None for a folder.
    """

    train: Views
    heldout: Views
    settings: RenderSettings
    renderer: DIBRenderer
    lights: object
    mesh: Optional[Mesh]
    centre: torch.Tensor = dataclasses.field(default_factory=lambda: torch.zeros(3))
    unit: float = 1.0
    summary: str = ""
    shape: Optional[TargetShape] = None


def read_target(target: str, seed: int = 0) -> TargetShape:
    """The shape named by ``target`` (a mesh, point-cloud or voxel-grid file, or ``synthetic:<family>``)
    in its own units and place, the frame of ``fit``'s exports (final mesh, Timelapse)."""
    if Path(target).expanduser().is_file():
        return read_target_shape(Path(target).expanduser())
    mesh = open_source(target).mesh(seed)
    return TargetShape("mesh", mesh, mesh)


def read_target_mesh(target: str, seed: int = 0) -> Mesh:
    """The mesh drawn for ``target`` (see :func:`read_target`): the mesh itself, a point cloud's
    splats or a voxel grid's surface, in the target's units and place."""
    return read_target(target, seed).display


def describe_target(shape: TargetShape, unit: float) -> str:
    """What ``fit`` found in a target (parts, open boundary, genus, extent, the scale it is fitted
    at) and, where the target cannot meet the quality bars, why."""
    if shape.kind == "point cloud":
        cloud = shape.source
        extent = " x ".join(f"{v:.4g}" for v in (cloud.points.max(dim=0).values - cloud.points.min(dim=0).values).tolist())
        return (f"target: point cloud of {cloud.num_points} points{' with colours' if cloud.colors is not None else ''}, "
                f"extent {extent} (file units), drawn as {shape.display.num_faces // 8} splats; fitted at 1/{unit:.4g} "
                "of its size")
    if shape.kind == "voxel grid":
        grid = shape.source
        surface = mesh_topology(shape.display.vertices, shape.display.faces).describe()
        return (f"target: voxel grid of {grid.resolution}^3 ({int((grid.occupancy > 0).sum())} occupied), box size "
                f"{grid.size:.4g} (file units); its surface: {surface}")
    topology = mesh_topology(shape.display.vertices, shape.display.faces)
    lines = [f"target: {topology.describe()}; fitted at 1/{unit:.4g} of its size"]
    if topology.soup:
        lines.append("warning: the faces are a triangle soup (most are not joined to a neighbour): fit makes one "
                     "closed surface, so the folded-face count and the thin walls will not match")
    elif topology.parts > 1 and topology.largest_part < 0.6:
        lines.append(f"warning: {topology.parts} separate parts, none with most of the area: if this is a scene of "
                     "several objects, the gaps between them narrower than a few pixels are not reproduced")
    return "\n".join(lines)


def _normalised(mesh: Mesh, scale: float) -> tuple[Mesh, torch.Tensor, float]:
    """``mesh`` fitted into the sphere of radius ``scale``, with the ``centre`` (3,) and ``unit`` of :class:`FitTarget`."""
    vertices, centre, factor = fit_in_sphere(mesh.vertices, scale)
    return mesh.with_vertices(vertices), centre.reshape(3), 1.0 / float(factor)


def load_target_mesh(target: str, scale: float, seed: int = 0) -> Mesh:
    """The mesh named by ``target`` (a file or ``synthetic:<family>``), centred and scaled so
    its farthest vertex is at distance ``scale`` from the origin."""
    return _normalised(read_target_mesh(target, seed), scale)[0]


def prepare_target(config: dict, device: torch.device) -> FitTarget:
    """Render (or read) the target views described by ``config``."""
    views_cfg, target = config["views"], config["target"]
    preset, settings = view_settings(views_cfg)
    source = None if Path(target).expanduser().is_file() else open_source(target)  # files: any kind, read below
    if source is not None and source.kind == "views":
        views = load_view_folder(target)
        every = views_cfg["folder_heldout_every"]
        if every < 2:
            raise ConfigError(f"views.folder_heldout_every must be at least 2, got {every}")
        if len(views) < every:
            raise ConfigError(f"{target}: {len(views)} views leave none held out with views.folder_heldout_every = "
                              f"{every}; render more views or lower it")
        index = torch.arange(len(views))
        heldout_mask = index % every == every - 1
        settings = settings.replace(image_size=tuple(views.images.shape[1:3]))
        return FitTarget(views.select(index[~heldout_mask]).to(device), views.select(index[heldout_mask]).to(device),
                         settings, settings.renderer().to(device), None, None)
    if source is not None and not source.single:
        raise ConfigError(f"target: {target} is {source.description}; fit needs one shape (a mesh file or "
                          f"synthetic:<family>) or a folder of <i>_rgb.png views")
    shape = read_target(target, config["seed"])
    # a 12000² texture costs gigabytes in every render for no visible detail: keep twice the render size
    # (at least MIN_TARGET_TEXTURE, so ordinary assets are rendered as they are)
    max_side = max(MIN_TARGET_TEXTURE, 2 * max(settings.image_size))
    original, notes = limit_texture_size(shape.display, max_side)
    for note in notes:
        warnings.warn(f"{target}: {note} ({max_side} texels a side are all that {max(settings.image_size)}-pixel "
                      "target views can show)")
    mesh, centre, unit = _normalised(original, views_cfg["target_scale"])
    summary = describe_target(shape, unit)
    mesh = mesh.to(device)
    lights = preset_lights(preset, device=device)
    train_cameras = preset_cameras(preset, views_cfg["train_set"], device=device, image_size=settings.image_size)
    if views_cfg["num_views"] is not None:
        train_cameras = train_cameras[list(range(min(views_cfg["num_views"], len(train_cameras))))]
    heldout_cameras = preset_cameras(preset, views_cfg["heldout_set"], device=device, image_size=settings.image_size)
    drawn = mesh if views_cfg["crease_angle"] is None else split_creases(mesh, views_cfg["crease_angle"])
    two_sided = views_cfg["two_sided"]
    train = render_views(settings, drawn, train_cameras, lights, two_sided=two_sided)
    heldout = render_views(settings, drawn, heldout_cameras, lights, two_sided=two_sided)
    if not views_cfg["depth"]:
        train.depths = heldout.depths = None
    if not views_cfg["normals"]:
        train.normals = heldout.normals = None
    if shape.kind == "point cloud":  # the silhouette of the object, not of its splats with the gaps between them
        train.masks, heldout.masks = close_masks(train.masks), close_masks(heldout.masks)
    return FitTarget(train, heldout, settings, settings.renderer().to(device), lights, mesh, centre, unit, summary, shape)


TEMPLATE_INITS = ("sphere", "visual_hull")


def initial_shape(template_cfg: dict, views: Views,
                  inset: float = 0.0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The mesh ``fit`` starts from and its texture coordinates.

    ``template.init: sphere`` is an icosphere of ``template.subdivisions`` scaled by
    ``template.scale`` with longitude/latitude UVs; ``visual_hull`` is the visual hull of the
    training silhouettes (carved, and by the views' depths when they have them, on a grid with the spacing
    of ``template.hull_resolution`` points across the cube of half-side ``template.hull_radius``, fitted to
    the target's box and finer across its thin sides: :func:`visual_hull`), which has the target's
    genus and thin parts, with an xatlas atlas;
    its vertices are moved ``inset`` inwards along their normals (the views show a point cloud's
    splats, which reach that far past the points).

    Returns:
        vertices (V, 3), faces (F, 3), uvs (T, 2), face_uvs_idx (F, 3), on ``views``' device.
    """
    init = template_cfg["init"]
    if init not in TEMPLATE_INITS:
        raise ConfigError(f"template.init must be one of {TEMPLATE_INITS}, got {init!r}")
    device = views.masks.device
    if init == "sphere":
        vertices, faces = icosphere(template_cfg["subdivisions"])
        vertices, faces = vertices.to(device) * template_cfg["scale"], faces.to(device)
        return (vertices, faces, *sphere_uvs(vertices, faces))
    hull = visual_hull(views.masks, views.cameras, template_cfg["hull_resolution"], template_cfg["hull_radius"],
                       depths=views.depths)
    vertices = hull.vertices - inset * vertex_normals(hull.vertices.unsqueeze(0), hull.faces)[0]
    return (vertices, hull.faces, *uv_atlas(vertices, hull.faces, template_cfg["texture_resolution"]))


class FitProblem:
    """The model, its template topology and the loss of one ``fit`` run (a
    :class:`~kaolin_pipeline.train.recipe.Problem`)."""

    category = "fit"

    def __init__(self, config: dict, target: FitTarget, device: torch.device):
        template_cfg = config["template"]
        inset = target.shape.inflation / target.unit if target.shape is not None else 0.0
        vertices, faces, uvs, face_uvs_idx = initial_shape(template_cfg, target.train, inset)
        self.faces = faces.to(device)
        self.uvs, self.face_uvs_idx = uvs.to(device), face_uvs_idx.to(device)
        self.laplacian = uniform_laplacian(vertices.shape[0], self.faces, sparse=True)
        smoothing = config["optim"]["smoothing"]
        self.model = MeshFitModel(vertices.to(device), template_cfg["color"], template_cfg["texture_resolution"],
                                  LargeSteps(vertices.shape[0], self.faces, smoothing) if smoothing > 0 else None
                                  ).to(device)
        self.target, self.config = target, config
        if template_cfg["projected"]:
            self._project_views()
        self.adjacent_faces = edge_adjacent_faces(self.faces)
        # A point-cloud target's points in the normalised frame (1, N, 3), for the chamfer term.
        self.points = None
        if target.shape is not None and target.shape.kind == "point cloud":
            points = target.shape.source.points.to(device)
            keep = torch.randperm(points.shape[0], generator=torch.Generator().manual_seed(config["seed"]))[:MAX_SPLATS]
            self.points = ((points[keep.to(device)] - target.centre.to(points)) / target.unit).unsqueeze(0)
        self.edges = mesh_edges(self.faces)

    @torch.no_grad()
    def _project_views(self) -> None:
        """Start the colours as the training views projected onto the start shape (least squares per
        texel or vertex, :func:`~kaolin_pipeline.render.projection.projected_colors`); what no view saw
        takes its neighbours' colour, and where no view sees the start shape at the target's depth (a
        sphere template far from the surface) the colours stay grey."""
        train, textured = self.target.train, self.model.texture is not None
        colors = self.model.texture[0] if textured else self.model.vertex_colors  # (3, R, R) or (V, 3) views
        vertices = self.model()[0][0]

        def render(values: torch.Tensor, index: torch.Tensor) -> dict:
            color = {"uvs": self.uvs, "face_uvs_idx": self.face_uvs_idx, "texture": values} \
                if textured else {"vertex_colors": values}
            return self.target.renderer(vertices, self.faces, train.cameras[index], lights=self.target.lights,
                                        soft_mask=False, **color)

        with torch.enable_grad():
            projected, weights = projected_colors(render, colors.detach(), train.images, train.masks, train.depths)
        if not bool((weights > 0).any()):  # no view sees the start shape where the target is: keep the grey
            return
        if textured:
            projected = fill_unseen(projected, weights)
        else:
            projected[weights <= 0] = projected[weights > 0].mean(dim=0)
        colors.copy_(projected.clamp(0.0, 1.0))

    def normalised_mesh(self) -> Mesh:
        """The current prediction in the normalised frame the views are rendered in, as a :class:`Mesh`
        (texture or vertex colours clamped to [0, 1])."""
        with torch.no_grad():
            vertices, color = self.model()
            if self.model.texture is not None:
                return Mesh(vertices[0].clone(), self.faces, uvs=self.uvs, face_uvs_idx=self.face_uvs_idx,
                            texture=color[0].clamp(0, 1).clone())
            return Mesh(vertices[0].clone(), self.faces, vertex_colors=color[0].clamp(0, 1).clone())

    def mesh(self) -> Mesh:
        """:meth:`normalised_mesh` moved back to the target's own units and place (what the run exports)."""
        mesh = self.normalised_mesh()
        target = self.target
        return dataclasses.replace(mesh, vertices=target.centre.to(mesh.vertices) + target.unit * mesh.vertices)

    def render(self, cameras) -> dict:
        """Render the current mesh from ``cameras`` (gradients flow to the model)."""
        vertices, color = self.model()
        if self.model.texture is not None:
            return self.target.renderer(vertices, self.faces, cameras, uvs=self.uvs, face_uvs_idx=self.face_uvs_idx,
                                        texture=color[0], lights=self.target.lights)
        return self.target.renderer(vertices, self.faces, cameras, vertex_colors=color[0], lights=self.target.lights)

    def losses(self, step: int) -> dict[str, torch.Tensor]:
        """The weighted loss on a batch of training views drawn from ``(seed, step)``."""
        weights, train = self.config["loss"], self.target.train
        generator = torch.Generator().manual_seed(self.config["seed"] * 1_000_003 + step)
        batch = min(self.config["optim"]["batch_size"], len(train))
        views = train.select(torch.randperm(len(train), generator=generator)[:batch].to(train.images.device))
        out = self.render(views.cameras)
        terms = {
            "image": F.l1_loss(out["image"], views.images),
            "mask": mask_iou(out["soft_mask"], views.masks),
            "laplacian": laplacian_loss(self.model.displacement().unsqueeze(0), self.laplacian),
        }
        if views.depths is not None and weights["depth"] > 0:
            both = (views.masks > 0.5) & (views.depths > 0) & (out["face_idx"] >= 0)
            terms["depth"] = (out["depth"] - views.depths).abs()[both].mean() if bool(both.any()) \
                else out["depth"].sum() * 0.0
        if views.normals is not None and weights["normal"] > 0:
            both = (views.masks > 0.5) & (out["face_idx"] >= 0) & (views.normals.norm(dim=-1) > 0.5)
            cosine = (out["normals"] * views.normals).sum(dim=-1)
            terms["normal"] = (1.0 - cosine)[both].mean() if bool(both.any()) else cosine.sum() * 0.0
        vertices = self.model()[0]
        if self.points is not None and weights["chamfer"] > 0:
            generator = torch.Generator(device=vertices.device).manual_seed(self.config["seed"] * 1_000_003 + step)
            samples = sample_points(vertices, self.faces, self.points.shape[1], generator=generator)[0]
            terms["chamfer"] = chamfer_distance(samples, self.points)[0]
        if weights["flatten"] > 0:
            terms["flatten"] = flatten_loss(vertices, self.faces, self.adjacent_faces)
        if weights["edge_length"] > 0:
            terms["edge_length"] = edge_length_loss(vertices, self.edges)
        total = sum(weights[name] * value for name, value in terms.items())
        return {"loss": total, **terms}

    def target_mesh(self) -> Optional[Mesh]:
        """The target mesh in its own units and place (``None`` for a folder of views)."""
        target = self.target
        if target.mesh is None:
            return None
        return dataclasses.replace(target.mesh, vertices=target.centre.to(target.mesh.vertices)
                                   + target.unit * target.mesh.vertices)

    @torch.no_grad()
    def evaluate(self) -> tuple[dict[str, float], torch.Tensor, torch.Tensor]:
        """Held-out image metrics (and 3D metrics when the target mesh is known); the held-out target
        and predicted views (N, H, W, 3)."""
        heldout = self.target.heldout
        self.model.eval()
        mesh = self.normalised_mesh()
        predicted = render_views(self.target.settings, mesh, heldout.cameras, self.target.lights)
        predictions = predicted.images
        metrics = image_metrics(predictions, predicted.masks, heldout.images, heldout.masks)
        eval_cfg, shape = self.config["eval"], self.target.shape
        if shape is not None and shape.kind != "mesh":
            metrics.update(source_metrics(self.mesh(), shape, eval_cfg["num_points"],
                                          seed=self.config["seed"]))
            if shape.kind == "voxel grid":
                metrics["folded_faces"] = folded_faces(mesh, self.target.mesh)
        elif self.target.mesh is not None:
            metrics.update(mesh_metrics(mesh, self.target.mesh, eval_cfg["num_points"],
                                        eval_cfg["voxel_resolution"], seed=self.config["seed"]))
            metrics["chamfer"] *= self.target.unit ** 2  # squared distances, in the target's units
            metrics["folded_faces"] = folded_faces(mesh, self.target.mesh)
        return metrics, heldout.images, predictions

    def close(self) -> None:
        """Nothing to release: the views are tensors held by the target."""

    def optimizer(self) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.StepLR]:
        """Adam with separate learning rates for the offsets and the colour, halved by StepLR."""
        optim_cfg = self.config["optim"]
        optimizer = torch.optim.Adam([
            {"params": [self.model.offsets], "lr": optim_cfg["lr_vertices"]},
            {"params": self.model.appearance_parameters(), "lr": optim_cfg["lr_texture"]},
        ])
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, optim_cfg["scheduler_step"], optim_cfg["scheduler_gamma"])
        return optimizer, scheduler


def fit(config: dict, run_dir: str | Path, *, resume: bool = False, overwrite: bool = False,
        max_steps: Optional[int] = None, progress: bool = True, finish: bool = True) -> dict[str, float]:
    """Run the ``fit`` recipe described by ``config`` in ``run_dir`` (see :func:`~kaolin_pipeline.train.recipe.run_recipe`).

    Writes ``config.yaml``, ``checkpoints/``, ``metrics.csv``, ``timelapse/`` and, when the run
    reaches its last step, ``views/`` and ``metrics.json``; with ``finish`` also ``target/mesh.usd``
    (a target mesh, in its own units), ``final/`` and ``report.html``.

    Args:
        config: a resolved ``fit`` config (see :func:`kaolin_pipeline.train.config.load_config`).
        run_dir: the run folder; it must not hold another run unless ``resume`` or ``overwrite``.
        resume: continue from the run folder's latest checkpoint.
        overwrite: clear a run already in ``run_dir`` first.
        max_steps: stop after this step (as an interruption would), without the final outputs.
        progress: show a progress bar.
        finish: write the target, final assets and report at the end.

    Returns:
        The held-out metrics (``mask_iou``, ``psnr``, and ``chamfer``, ``f_score_1``,
        ``f_score_2``, ``voxel_iou`` when the target mesh is known), ``seconds`` (wall time of the
        run up to its metrics: target, initial shape, training, evaluation) and ``train_seconds``
        (the training loop alone); empty when the run stopped before its last step.
    """
    def build(context: DistContext) -> FitProblem:
        target = prepare_target(config, context.device)
        if progress and context.is_main and target.summary:
            print(target.summary, flush=True)
        return FitProblem(config, target, context.device)

    _, metrics = run_recipe("fit", config, run_dir, build, resume=resume, overwrite=overwrite, max_steps=max_steps,
                            progress=progress, finish=finish)
    return metrics
