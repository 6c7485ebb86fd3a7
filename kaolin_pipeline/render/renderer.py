"""A DIB-R renderer module: cameras in, images, soft silhouettes, face ids and normals out.

Batching: ``M`` meshes sharing one face list and ``N`` cameras give ``B = M * N`` images,
mesh-major (item ``m * N + n`` is mesh ``m`` seen by camera ``n``); one mesh given as
``(V, 3)`` is broadcast to every camera. With ``pairwise=True`` mesh ``i`` is seen by
camera ``i`` only (``M == N``, ``B = N``).
"""
from __future__ import annotations

import dataclasses
from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F

from ..structures import Mesh
from ..errors import RenderError
from ..ops.mesh import index_vertices_by_faces, vertex_normals
from .camera.cameras import Cameras
from .binning import DEFAULT_MAX_PAIRS
from .dibr import dibr_rasterization
from .lighting import DirectionalLight, lambertian_lighting, spherical_harmonic_lighting
from .rasterize import prepare_vertices, rasterize
from .materials import material_albedo
from .texture import TEXTURE_MODES, texture_mapping

Lights = Union[None, DirectionalLight, torch.Tensor]
SHADING_MODES = ("flat", "smooth")


def _per_view(name: str, value: torch.Tensor, width: int, cam_index: torch.Tensor, num_views: int) -> torch.Tensor:
    """Lift a light parameter ``(width,)``, ``(N, width)`` per camera or ``(B, width)`` per image to ``(B, width)``."""
    batch = cam_index.shape[0]
    if value.dim() == 1 and value.shape[0] == width:
        return value.expand(batch, width)
    if value.dim() == 2 and value.shape[1] == width:
        if value.shape[0] == num_views:
            return value[cam_index]
        if value.shape[0] == batch:
            return value
    raise RenderError(f"DIBRenderer: {name} must have shape ({width},), (N cameras, {width}) or "
                      f"(B images, {width}); got {tuple(value.shape)} for B = {batch}")


class DIBRenderer(torch.nn.Module):
    """Differentiable mesh renderer on DIB-R's rasterization and soft mask (``dibr_rasterization``).

    Args:
        image_size: ``int`` (square) or ``(height, width)``.
        background: RGB colour of pixels covered by no face.
        sigmainv, boxlen, knum, multiplier, eps: passed to :func:`dibr_rasterization`.
        shading: ``'flat'`` (per-face normals) or ``'smooth'`` (interpolated area-weighted vertex normals).
        texture_mode: filtering of textures, ``'nearest'`` or ``'bilinear'``.
        perspective_correct: interpolate colours, UVs, normals and depth linearly in 3D rather than
            in screen space (Kaolin's default, kept here: textures swim on planes seen at a slant).
        max_pairs: about how many (pixel, face) pairs the rasterizer handles at once (memory bound).

    Faces with a corner nearer than the cameras' ``near`` plane (see :class:`Cameras`) are not drawn.

    ``forward`` returns a dict with ``image`` (B, H, W, 3) (albedo × lighting inside the hard
    silhouette, background outside), ``soft_mask`` (B, H, W) (carries the silhouette
    gradients; left out with ``soft_mask=False``), ``face_idx`` (B, H, W) long (−1 on background),
    ``normals`` (B, H, W, 3) unit camera-space normals (zero on background) and ``depth`` (B, H, W)
    the distance along the view axis, −z in camera space (zero on background).
    """

    def __init__(self, image_size: Union[int, Sequence[int]], background: Sequence[float] = (0.0, 0.0, 0.0),
                 sigmainv: float = 7000.0, boxlen: float = 0.02, knum: int = 30,
                 multiplier: Optional[float] = None, eps: Optional[float] = None,
                 shading: str = "flat", texture_mode: str = "bilinear", perspective_correct: bool = False,
                 max_pairs: int = DEFAULT_MAX_PAIRS) -> None:
        super().__init__()
        size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
        if len(size) != 2 or not all(isinstance(s, int) and s > 0 for s in size):
            raise RenderError(f"DIBRenderer: image_size must be a positive int or (height, width), got {image_size!r}")
        if shading not in SHADING_MODES:
            raise RenderError(f"DIBRenderer: shading must be one of {SHADING_MODES}, got {shading!r}")
        if texture_mode not in TEXTURE_MODES:
            raise RenderError(f"DIBRenderer: texture_mode must be one of {TEXTURE_MODES}, got {texture_mode!r}")
        background = torch.as_tensor(background, dtype=torch.float32)
        if background.shape != (3,):
            raise RenderError(f"DIBRenderer: background must be an RGB triple, got shape {tuple(background.shape)}")
        self.height, self.width = size
        self.register_buffer("background", background)
        self.sigmainv, self.boxlen, self.knum = sigmainv, boxlen, knum
        self.multiplier, self.eps = multiplier, eps
        self.shading, self.texture_mode = shading, texture_mode
        self.perspective_correct, self.max_pairs = bool(perspective_correct), max_pairs

    def forward(self, vertices: Union[torch.Tensor, Mesh, Sequence[Mesh]], faces: Optional[torch.Tensor] = None,
                cameras: Optional[Cameras] = None, vertex_colors: Optional[torch.Tensor] = None,
                uvs: Optional[torch.Tensor] = None, face_uvs_idx: Optional[torch.Tensor] = None,
                texture: Optional[torch.Tensor] = None, lights: Lights = None,
                pairwise: bool = False, soft_mask: bool = True) -> dict:
        """Render meshes from cameras.

        Args:
            vertices: (V, 3) or (M, V, 3) positions, or a :class:`Mesh` / list of meshes
                (their faces, UVs, texture or vertex colours are used, or, when a mesh has ``materials``,
                each face's material (see :mod:`kaolin_pipeline.render.materials`); ``faces`` etc. must
                then be None; a list is rendered mesh by mesh and concatenated).
            faces: (F, 3) long, shared by the M meshes.
            cameras: :class:`Cameras` with N views.
            vertex_colors: (V, 3) or (M, V, 3) albedo per vertex.
            uvs, face_uvs_idx, texture: (T, 2) or (M, T, 2), (F, 3) long, (3, Ht, Wt) or (M, 3, Ht, Wt)
                for a UV-textured albedo (takes precedence over ``vertex_colors``). Without either,
                the albedo is white.
            lights: None (unlit albedo), a :class:`DirectionalLight` (Lambertian), or SH coefficients
                (9,), (N, 9) per camera or (B, 9) per image, in camera space.
            pairwise: render mesh i from camera i only.
            soft_mask: compute the soft silhouette; ``False`` renders the hard raster only (no
                silhouette gradients, much faster), for targets and pictures.

        Returns:
            dict of ``image``, ``soft_mask``, ``face_idx``, ``normals`` (see the class docstring).
        """
        if cameras is None:
            raise RenderError("DIBRenderer: cameras are required")
        if isinstance(vertices, Mesh) or isinstance(vertices, (list, tuple)):
            return self._render_mesh_objects(vertices, cameras, faces, vertex_colors, uvs, face_uvs_idx,
                                             texture, lights, pairwise, soft_mask)
        if faces is None:
            raise RenderError("DIBRenderer: faces are required with a vertices tensor")
        return self._render(vertices, faces, cameras, vertex_colors, uvs, face_uvs_idx, texture, lights, pairwise,
                            soft_mask)

    def _render_mesh_objects(self, meshes, cameras, faces, vertex_colors, uvs, face_uvs_idx, texture,
                             lights, pairwise, soft_mask) -> dict:
        if any(arg is not None for arg in (faces, vertex_colors, uvs, face_uvs_idx, texture)):
            raise RenderError("DIBRenderer: pass faces, colours and textures inside the Mesh, not as arguments")
        meshes = [meshes] if isinstance(meshes, Mesh) else list(meshes)
        if pairwise and len(meshes) != len(cameras):
            raise RenderError(f"DIBRenderer: pairwise needs one camera per mesh, got {len(meshes)} meshes "
                              f"and {len(cameras)} cameras")
        outputs = []
        for i, mesh in enumerate(meshes):
            if not isinstance(mesh, Mesh):
                raise RenderError(f"DIBRenderer: item {i} of the mesh list is a {type(mesh).__name__}, not a Mesh")
            views = cameras[i] if pairwise else cameras
            mesh_lights = _lights_of_mesh(lights, i, len(meshes), len(cameras), pairwise)
            appearance = mesh.appearance  # each face with its material (a single texture is one), else colours
            if appearance.kind == "materials":
                outputs.append(self._render(mesh.vertices, mesh.faces, views, None, mesh.uvs, mesh.face_uvs_idx,
                                            None, mesh_lights, False, soft_mask,
                                            (appearance.materials, appearance.material_assignments)))
            else:
                outputs.append(self._render(mesh.vertices, mesh.faces, views, appearance.vertex_colors, None, None,
                                            None, mesh_lights, False, soft_mask))
        return {key: torch.cat([out[key] for out in outputs]) for key in outputs[0]}

    def _render(self, vertices, faces, cameras, vertex_colors, uvs, face_uvs_idx, texture, lights,
                pairwise, soft_mask, materials=None) -> dict:
        if not isinstance(vertices, torch.Tensor) or vertices.dim() not in (2, 3) or vertices.shape[-1] != 3:
            raise RenderError(f"DIBRenderer: vertices must have shape (V, 3) or (M, V, 3), "
                              f"got {tuple(getattr(vertices, 'shape', ()))}")
        vertices = vertices.unsqueeze(0) if vertices.dim() == 2 else vertices
        _check_devices(vertices.device, faces=faces, cameras=cameras, vertex_colors=vertex_colors, uvs=uvs,
                       face_uvs_idx=face_uvs_idx, texture=texture, lights=lights)
        num_meshes, num_views = vertices.shape[0], len(cameras)
        mesh_index, cam_index = self._pairing(num_meshes, num_views, pairwise, vertices.device)
        rotation, translation = cameras.rotation[cam_index], cameras.translation[cam_index]
        face_vertices_camera, face_vertices_image, face_normals = prepare_vertices(
            vertices[mesh_index], faces, cameras.projection, camera_rot=rotation, camera_trans=translation)

        if materials is None:
            albedo_features = self._albedo_features(vertex_colors, uvs, face_uvs_idx, texture, faces,
                                                    mesh_index, num_meshes)
        else:  # UVs (if any) for the materials' textures
            albedo_features = None if uvs is None else \
                index_vertices_by_faces(_lift(uvs, "uvs", 2, mesh_index, num_meshes), face_uvs_idx)
        normal_features = self._normal_features(vertices, faces, face_normals, rotation, mesh_index)
        depth_features = -face_vertices_camera[..., 2:]
        features = [normal_features, depth_features] if albedo_features is None else \
            [albedo_features, normal_features, depth_features]
        face_vertices_z = face_vertices_camera[..., 2]
        beyond_near = (face_vertices_z.detach() < -cameras.near).all(dim=-1)
        if soft_mask:
            interpolated, mask, face_idx = dibr_rasterization(
                self.height, self.width, face_vertices_z, face_vertices_image, features,
                face_normals[..., 2], sigmainv=self.sigmainv, boxlen=self.boxlen, knum=self.knum,
                multiplier=self.multiplier, eps=self.eps, valid_faces=beyond_near,
                perspective_correct=self.perspective_correct, max_pairs=self.max_pairs)
        else:
            interpolated, face_idx = rasterize(
                self.height, self.width, face_vertices_z, face_vertices_image, features,
                valid_faces=(face_normals[..., 2] >= 0) & beyond_near, multiplier=self.multiplier, eps=self.eps,
                perspective_correct=self.perspective_correct, max_pairs=self.max_pairs)
        *albedo_interpolated, normals, depth = interpolated

        normals = F.normalize(normals, dim=-1)
        if materials is None:
            albedo = self._albedo(albedo_interpolated, texture, mesh_index, num_meshes, normals)
        else:
            albedo = material_albedo(albedo_interpolated[0] if albedo_interpolated else None, face_idx, *materials,
                                     mode=self.texture_mode, dtype=normals.dtype)
        shaded = albedo * self._shade(normals, lights, cam_index, num_views).unsqueeze(-1)
        background = self.background.to(device=shaded.device, dtype=shaded.dtype)
        image = torch.where((face_idx >= 0).unsqueeze(-1), shaded, background)
        out = {"image": image, "face_idx": face_idx, "normals": normals, "depth": depth[..., 0]}
        if soft_mask:
            out["soft_mask"] = mask
        return out

    @staticmethod
    def _pairing(num_meshes: int, num_views: int, pairwise: bool, device) -> tuple[torch.Tensor, torch.Tensor]:
        """Mesh and camera index of every rendered image."""
        if pairwise:
            if num_meshes != num_views:
                raise RenderError(f"DIBRenderer: pairwise needs one camera per mesh, got {num_meshes} meshes "
                                  f"and {num_views} cameras")
            index = torch.arange(num_meshes, device=device)
            return index, index
        mesh_index = torch.arange(num_meshes, device=device).repeat_interleave(num_views)
        cam_index = torch.arange(num_views, device=device).repeat(num_meshes)
        return mesh_index, cam_index

    @staticmethod
    def _albedo_features(vertex_colors, uvs, face_uvs_idx, texture, faces, mesh_index,
                         num_meshes) -> Optional[torch.Tensor]:
        """(B, F, 3, 2) UVs or (B, F, 3, 3) colours per face corner, or None for a white albedo."""
        textured = [arg is not None for arg in (uvs, face_uvs_idx, texture)]
        if any(textured) and not all(textured):
            raise RenderError("DIBRenderer: uvs, face_uvs_idx and texture must be given together")
        if all(textured):
            if texture.dim() not in (3, 4) or texture.shape[-3] != 3:
                raise RenderError(f"DIBRenderer: texture must have shape (3, Ht, Wt) or (M, 3, Ht, Wt), "
                                  f"got {tuple(texture.shape)}")
            if face_uvs_idx.shape != faces.shape:
                raise RenderError(f"DIBRenderer: face_uvs_idx must have the shape of faces {tuple(faces.shape)}, "
                                  f"got {tuple(face_uvs_idx.shape)}")
            return index_vertices_by_faces(_lift(uvs, "uvs", 2, mesh_index, num_meshes), face_uvs_idx)
        if vertex_colors is not None:
            return index_vertices_by_faces(_lift(vertex_colors, "vertex_colors", 3, mesh_index, num_meshes), faces)
        return None

    def _normal_features(self, vertices, faces, face_normals, rotation, mesh_index) -> torch.Tensor:
        """(B, F, 3, 3) camera-space normals at each face corner."""
        if self.shading == "flat":
            return face_normals.unsqueeze(2).expand(-1, -1, 3, -1)
        world_normals = vertex_normals(vertices, faces)[mesh_index]
        return index_vertices_by_faces(world_normals @ rotation.transpose(1, 2), faces)

    def _albedo(self, interpolated, texture, mesh_index, num_meshes, normals) -> torch.Tensor:
        """(B, H, W, 3) albedo from interpolated colours or sampled UVs (``interpolated`` holds one
        tensor), or white (``interpolated`` is empty)."""
        if not interpolated:
            return torch.ones_like(normals)
        interpolated, = interpolated
        if texture is None:
            return interpolated
        maps = texture.unsqueeze(0) if texture.dim() == 3 else _index_batch(texture, "texture", mesh_index, num_meshes)
        return texture_mapping(interpolated, maps.to(interpolated.dtype), mode=self.texture_mode)

    @staticmethod
    def _shade(normals, lights: Lights, cam_index, num_views: int) -> torch.Tensor:
        """(B, H, W) light intensity."""
        if lights is None:
            return torch.ones_like(normals[..., 0])
        if isinstance(lights, DirectionalLight):
            direction = torch.as_tensor(lights.direction)
            on_host = direction.device.type == "cpu"  # checked here with tolist(), which dispatches nothing
            if on_host and (direction.dim() not in (1, 2) or direction.shape[-1] != 3
                            or not all(direction.reshape(-1, 3).detach().double().norm(dim=-1).tolist())):
                raise RenderError(f"DIBRenderer: DirectionalLight.direction must be non-zero (3,) or (N, 3) "
                                  f"vectors, got {lights.direction!r}")  # checked before the device sees it
            direction = direction.to(normals.device, normals.dtype, non_blocking=True)  # no wait for the GPU
            return lambertian_lighting(normals, _per_view("light direction", direction, 3, cam_index, num_views),
                                       ambient=lights.ambient, diffuse=lights.diffuse, checked_nonzero=on_host)
        if isinstance(lights, torch.Tensor):
            return spherical_harmonic_lighting(normals, _per_view("SH lights", lights.to(normals.dtype), 9, cam_index, num_views))
        raise RenderError(f"DIBRenderer: lights must be None, a DirectionalLight or a tensor of SH coefficients, "
                          f"got {type(lights).__name__}")


def _check_devices(device: torch.device, **inputs) -> None:
    """Raise RenderError naming the first input (tensor, :class:`Cameras` or light) not on ``device``."""
    for name, value in inputs.items():
        if isinstance(value, Cameras):
            tensors = {f"{name}.{field}": getattr(value, field) for field in ("rotation", "translation", "projection")}
        elif isinstance(value, DirectionalLight):
            tensors = {f"{name}.direction": value.direction}
        else:
            tensors = {name: value}
        for label, tensor in tensors.items():
            if isinstance(tensor, torch.Tensor) and tensor.device != device:
                raise RenderError(f"DIBRenderer: {label} is on {tensor.device} but the vertices are on {device}; "
                                  "move every input to one device")


def _lights_of_mesh(lights: Lights, index: int, num_meshes: int, num_views: int, pairwise: bool) -> Lights:
    """The lights of mesh ``index`` of a list: per-camera rows (N, ...) stay whole (the camera ``index``
    with ``pairwise``), per-image rows (M * N, ...) are cut to that mesh's images."""
    if isinstance(lights, DirectionalLight):
        direction = torch.as_tensor(lights.direction)
        if direction.dim() != 2:
            return lights
        return dataclasses.replace(lights, direction=_rows_of_mesh("light direction", lights.direction, index,
                                                                   num_meshes, num_views, pairwise))
    if isinstance(lights, torch.Tensor) and lights.dim() == 2:
        return _rows_of_mesh("SH lights", lights, index, num_meshes, num_views, pairwise)
    return lights


def _rows_of_mesh(name: str, value, index: int, num_meshes: int, num_views: int, pairwise: bool):
    """Rows of a per-camera or per-image light parameter (tensor or nested sequence) for mesh ``index``."""
    rows = len(value)
    if pairwise and rows == num_views:
        return value[index:index + 1]
    if not pairwise and rows == num_views:
        return value
    if not pairwise and rows == num_meshes * num_views:
        return value[index * num_views:(index + 1) * num_views]
    images = num_views if pairwise else num_meshes * num_views
    raise RenderError(f"DIBRenderer: {name} must have one row per camera ({num_views}) or per image ({images}) "
                      f"for {num_meshes} meshes, got {rows} rows")


def _index_batch(value: torch.Tensor, name: str, mesh_index: torch.Tensor, num_meshes: int) -> torch.Tensor:
    """Select per-image rows of a per-mesh batch ``(M, ...)``."""
    if value.shape[0] != num_meshes:
        raise RenderError(f"DIBRenderer: {name} has {value.shape[0]} meshes in its first dimension, "
                          f"vertices have {num_meshes}")
    return value[mesh_index]


def _lift(value: torch.Tensor, name: str, width: int, mesh_index: torch.Tensor, num_meshes: int) -> torch.Tensor:
    """Per-vertex attribute ``(K, width)`` shared by all meshes or ``(M, K, width)`` → ``(B, K, width)``."""
    if value.dim() not in (2, 3) or value.shape[-1] != width:
        raise RenderError(f"DIBRenderer: {name} must have shape (K, {width}) or (M, K, {width}), "
                          f"got {tuple(value.shape)}")
    if value.dim() == 2:
        return value.unsqueeze(0).expand(mesh_index.shape[0], -1, -1)
    return _index_batch(value, name, mesh_index, num_meshes)
