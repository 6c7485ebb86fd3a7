"""One-call mesh rendering with Kaolin's ``kaolin.render.easy_render`` semantics, on this project's rasterizer.

:func:`render_mesh` rasterizes a :class:`~kaolin_pipeline.ops.surface_mesh.SurfaceMesh` seen by a single
:class:`~kaolin_pipeline.render.camera.Camera` with :func:`~kaolin_pipeline.render.rasterize.rasterize`
(no nvdiffrast), looks up each pixel's material (diffuse colour or texture, specular colour or metallic
value, roughness) and shades it with spherical-Gaussian lighting: a Lambertian term
(``sg_diffuse_inner_product``) plus a GGX specular term (``sg_warp_specular_term``), as Kaolin does.

The mesh follows Kaolin's conventions: UVs with ``v`` flipped (``v' = 1 - v``, what Kaolin's importers
return), normals facing out. Passes are (1, H, W, C) images, zero on background; the ``uvs`` pass is in the
mesh's convention, wrapped to [0, 1).
"""
from __future__ import annotations

import math
from enum import Enum
from typing import Optional, Sequence

import torch

from ..errors import RenderError
from ..ops.mesh import face_normals, index_vertices_by_faces
from ..structures import PBRMaterial
from .camera import Camera, generate_centered_custom_resolution_pixel_coords, generate_pinhole_rays
from .materials import material_albedo
from .rasterize import rasterize
from .sg_lighting import (SgLightingParameters, sg_diffuse_inner_product, sg_direction_from_azimuth_elevation,
                          sg_warp_specular_term)

__all__ = ["RenderPass", "default_camera", "default_lighting", "default_material", "render_mesh"]

#: Roughness of pixels whose material sets none, and the smallest roughness used.
DEFAULT_ROUGHNESS = 0.5
MIN_ROUGHNESS = 1e-3


class RenderPass(str, Enum):
    """The names of :func:`render_mesh`'s outputs (``result[RenderPass.render]`` or ``result['render']``)."""

    face_idx = "face_idx"
    uvs = "uvs"
    albedo = "albedo"
    normals = "normals"
    roughness = "roughness"
    diffuse = "diffuse"
    specular = "specular"
    features = "features"
    render = "render"
    alpha = "alpha"


def default_lighting() -> SgLightingParameters:
    """One spherical-Gaussian lobe (amplitude 3, sharpness 5) from azimuth 2.3, elevation pi / 3 radians."""
    direction = sg_direction_from_azimuth_elevation(torch.full((1,), 2.3), torch.full((1,), math.pi / 3.0))
    return SgLightingParameters(amplitude=3.0, direction=direction, sharpness=5.0)


def default_camera(resolution: int = 512) -> Camera:
    """A square pinhole camera at (1, 1, 1) looking at the origin, y up, 45 degrees vertical field of view."""
    return Camera.from_args(eye=torch.ones(3), at=torch.zeros(3), up=torch.tensor([0.0, 1.0, 0.0]),
                            fov=math.pi * 45 / 180, height=resolution, width=resolution)


def default_material(diffuse_color: Optional[Sequence[float]] = None) -> PBRMaterial:
    """A specular-workflow material: ``diffuse_color`` (default NVIDIA green) and specular (0.7, 0.5, 0.7)."""
    diffuse = (118.0 / 255.0, 185.0 / 255.0, 0.0) if diffuse_color is None else diffuse_color
    return PBRMaterial(diffuse_color=torch.as_tensor(diffuse, dtype=torch.float32),
                       specular_color=torch.tensor([0.7, 0.5, 0.7]), is_specular_workflow=True,
                       material_name="DefaultMaterial")


def _corner_normals(mesh, vertices: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
    """(F, 3, 3) normal at each face corner: the mesh's indexed normals, else the flat face normal."""
    if mesh.has_attribute("normals") and mesh.has_attribute("face_normals_idx"):
        return index_vertices_by_faces(mesh.normals.unsqueeze(0), mesh.face_normals_idx)[0]
    flat = face_normals(index_vertices_by_faces(vertices.unsqueeze(0), faces), unit=True)[0]
    return flat.unsqueeze(1).expand(-1, 3, -1)


def _diffuse_channels_first(material: PBRMaterial) -> PBRMaterial:
    """``material`` with a diffuse texture of Kaolin's layout ``(H, W, C)`` (as Kaolin's importers give it: last size
    3 or 4, first size not) turned to the project's ``(C, H, W)``; any other kept as it is."""
    texture = material.diffuse_texture
    if texture is None or texture.dim() != 3 or texture.shape[-1] not in (3, 4) or texture.shape[0] in (3, 4):
        return material
    return material.map_tensors(lambda tensor: tensor.permute(2, 0, 1), ["diffuse_texture"])


def _material_maps(face_idx: torch.Tensor, materials: Sequence[PBRMaterial], assignments: torch.Tensor,
                   uv: Optional[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Diffuse albedo (1, H, W, 3), specular albedo (1, H, W, 3) and roughness (1, H, W) of every pixel.

    Metallic materials split their colour as Kaolin does: specular ``(1 - m) 0.04 + m albedo``, diffuse
    ``(1 - m) albedo``.
    """
    albedo = material_albedo(uv, face_idx, materials, assignments)
    pixel_material = torch.where(face_idx >= 0, assignments[face_idx.clamp(min=0)], -1).unsqueeze(-1)
    specular = torch.zeros_like(albedo)
    roughness = torch.full_like(albedo[..., :1], DEFAULT_ROUGHNESS)
    diffuse = albedo
    for index, material in enumerate(materials):  # whole-image selects, as material_albedo does
        here = pixel_material == index
        if material.is_specular_workflow:
            if material.specular_color is not None:
                specular = torch.where(here, material.specular_color.to(albedo), specular)
        elif material.metallic_value is not None:
            metallic = material.metallic_value.to(albedo)
            specular = torch.where(here, (1.0 - metallic) * 0.04 + albedo * metallic, specular)
            diffuse = torch.where(here, albedo * (1.0 - metallic), diffuse)
        if material.roughness_value is not None:
            roughness = torch.where(here, material.roughness_value.to(albedo).clamp(min=MIN_ROUGHNESS), roughness)
    return diffuse, specular, roughness[..., 0]


def render_mesh(camera: Camera, mesh, lighting: Optional[SgLightingParameters] = None,
                custom_materials: Optional[Sequence[PBRMaterial]] = None,
                custom_material_assignments: Optional[torch.Tensor] = None, backend: Optional[str] = None) -> dict:
    """Render one mesh from one camera with SG lighting.

    Args:
        camera: a single pinhole :class:`Camera` (its ``width`` x ``height`` is the image size).
        mesh: a :class:`~kaolin_pipeline.ops.surface_mesh.SurfaceMesh`, unbatched or a batch of one:
            ``vertices`` (V, 3), ``faces`` (F, 3); optional ``uvs``/``face_uvs_idx`` (Kaolin's flipped v),
            ``normals``/``face_normals_idx``, ``materials`` and ``material_assignments`` (F,).
        lighting: SG lobes (default :func:`default_lighting`).
        custom_materials, custom_material_assignments: used instead of the mesh's; without either,
            every face gets :func:`default_material`.
        backend: Kaolin's keyword: None, ``'cuda'`` or ``'nvdiffrast'``, all served by this rasterizer.

    Returns:
        dict of (1, H, W, C) passes keyed by :class:`RenderPass` names: ``render`` (diffuse + specular),
        ``diffuse``, ``specular``, ``albedo``, ``normals`` (world space, facing the camera), ``uvs`` (when
        the mesh has UVs), and ``face_idx`` (1, H, W) long, -1 on background.
    """
    if len(camera) != 1:
        raise RenderError(f"render_mesh renders from a single camera, got a batch of {len(camera)}")
    if camera.lens_type != "pinhole":
        raise RenderError(f"render_mesh needs a pinhole camera, got {camera.lens_type!r}")
    if len(mesh) != 1:
        raise RenderError(f"render_mesh renders a single mesh, got a batch of {len(mesh)}")
    if backend not in (None, "cuda", "cpu", "nvdiffrast"):
        raise RenderError(f"render_mesh: backend must be None, 'cuda' or 'nvdiffrast', got {backend!r}")
    vertices, faces = mesh.vertices, mesh.faces
    if vertices.dim() == 3:  # a FIXED batch of one
        vertices, faces = vertices[0], faces[0] if faces.dim() == 3 else faces
    vertices = vertices.to(device=camera.device, dtype=camera.dtype)
    faces = faces.to(camera.device)
    materials = custom_materials or getattr(mesh, "materials", None) or [default_material()]
    if isinstance(materials[0], (list, tuple)):  # a batch of one mesh's materials
        materials = materials[0]
    materials = [_diffuse_channels_first(material) for material in materials]
    assignments = custom_material_assignments if custom_material_assignments is not None \
        else getattr(mesh, "material_assignments", None)
    if assignments is None:
        assignments = torch.zeros(faces.shape[0], dtype=torch.long, device=camera.device)
    assignments = assignments.reshape(-1).to(device=camera.device, dtype=torch.long)
    lighting = (lighting or default_lighting()).to(camera.device)

    vertices_camera = camera.extrinsics.transform(vertices)  # (1, V, 3)
    vertices_ndc = camera.intrinsics.transform(vertices_camera)
    face_vertices_camera = index_vertices_by_faces(vertices_camera, faces)
    face_vertices_ndc = index_vertices_by_faces(vertices_ndc, faces)
    features = [_corner_normals(mesh, vertices, faces).to(vertices).unsqueeze(0)]
    has_uvs = mesh.has_attribute("uvs") and mesh.has_attribute("face_uvs_idx")
    if has_uvs:
        uvs = mesh.uvs[0] if mesh.uvs.dim() == 3 else mesh.uvs
        face_uvs_idx = mesh.face_uvs_idx[0] if mesh.face_uvs_idx.dim() == 3 else mesh.face_uvs_idx
        features.append(index_vertices_by_faces(uvs.to(vertices).unsqueeze(0), face_uvs_idx.to(camera.device)))
    interpolated, face_idx = rasterize(camera.height, camera.width, face_vertices_camera[..., 2],
                                       face_vertices_ndc[..., :2], torch.cat(features, dim=-1))
    hard_mask = (face_idx >= 0).unsqueeze(-1)
    # normals face the camera: flipped where the face's screen-space winding is clockwise
    facing = torch.sign(face_normals(face_vertices_ndc, unit=False)[..., 2])[0]
    normals = torch.nn.functional.normalize(interpolated[..., :3], dim=-1)
    normals = normals * torch.where(face_idx >= 0, facing[face_idx.clamp(min=0)], 0.0).unsqueeze(-1)
    uv_map = interpolated[..., 3:5] % 1.0 if has_uvs else None
    # the project's textures are sampled with v up: Kaolin's flipped v' = 1 - v turns back
    sample_uv = torch.stack([uv_map[..., 0], 1.0 - uv_map[..., 1]], dim=-1) if has_uvs else None
    albedo, spec_albedo, roughness = _material_maps(face_idx, materials, assignments, sample_uv)
    albedo, spec_albedo = torch.where(hard_mask, albedo, 0.0), torch.where(hard_mask, spec_albedo, 0.0)

    grid = generate_centered_custom_resolution_pixel_coords(camera.width, camera.height, camera.width, camera.height,
                                                            device=camera.device)
    _, ray_dirs = generate_pinhole_rays(camera, grid)
    flat = dict(normal=normals.reshape(-1, 3), albedo=albedo.reshape(-1, 3), spec=spec_albedo.reshape(-1, 3))
    amplitude, direction, sharpness = (t.to(vertices) for t in (lighting.amplitude, lighting.direction,
                                                                 lighting.sharpness))
    diffuse = sg_diffuse_inner_product(amplitude, direction, sharpness, flat["normal"], flat["albedo"])
    specular = sg_warp_specular_term(amplitude, direction, sharpness, flat["normal"], roughness.reshape(-1),
                                     -ray_dirs, flat["spec"])
    # background pixels (zero normals) may shade to NaN: selected away, not multiplied
    diffuse = torch.where(hard_mask, diffuse.reshape(normals.shape), 0.0)
    specular = torch.where(hard_mask, specular.reshape(normals.shape), 0.0)
    result = {RenderPass.face_idx.value: face_idx, RenderPass.render.value: diffuse + specular,
              RenderPass.albedo.value: albedo, RenderPass.normals.value: normals,
              RenderPass.diffuse.value: diffuse, RenderPass.specular.value: specular}
    if uv_map is not None:
        result[RenderPass.uvs.value] = uv_map * hard_mask
    return result
