"""The icosphere and its longitude/latitude UV map (the template mesh the recipes deform)."""
from __future__ import annotations

import math

import torch
import trimesh


def icosphere(subdivisions: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    """A unit icosphere (``subdivisions=3`` gives Kaolin's 642-vertex sphere).

    Returns:
        vertices (V, 3) float32 on the unit sphere and faces (F, 3) long, counter-clockwise from outside.
    """
    sphere = trimesh.creation.icosphere(subdivisions=subdivisions, radius=1.0)
    return (torch.as_tensor(sphere.vertices, dtype=torch.float32),
            torch.as_tensor(sphere.faces, dtype=torch.long))


def sphere_uvs(vertices: torch.Tensor, faces: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-face-corner longitude/latitude texture coordinates of a mesh around the origin.

    ``u`` follows the longitude ``atan2(x, z)``, ``v`` the latitude (1 at +y). Faces that
    straddle the ``u = 0 / 1`` seam get their corners unwrapped past 1 and every ``u`` is
    then rescaled into ``[0, 1]``, so no face spans the whole texture; corners at a pole take
    the longitude of their face's centre.

    Args:
        vertices: (V, 3) float.
        faces: (F, 3) long.

    Returns:
        uvs (3F, 2) in ``[0, 1]`` and face_uvs_idx (F, 3) long (``face_uvs_idx[f, k] = 3f + k``).
    """
    corners = vertices[faces]  # (F, 3, 3)
    radius = corners.norm(dim=-1).clamp(min=1e-12)
    latitude = torch.asin((corners[..., 1] / radius).clamp(-1.0, 1.0))
    centre = corners.mean(dim=1, keepdim=True).expand_as(corners)
    near_pole = torch.linalg.vector_norm(corners[..., [0, 2]], dim=-1) < 1e-6 * radius
    direction = torch.where(near_pole.unsqueeze(-1), centre, corners)
    u = (torch.atan2(direction[..., 0], direction[..., 2]) / (2.0 * math.pi)) % 1.0
    straddles = (u.max(dim=1, keepdim=True).values - u) > 0.5
    u = u + straddles.to(u.dtype)
    u = u / u.max().clamp(min=1.0)
    v = latitude / math.pi + 0.5
    uvs = torch.stack([u, v], dim=-1).reshape(-1, 2)
    face_uvs_idx = torch.arange(uvs.shape[0], device=faces.device).reshape(-1, 3)
    return uvs, face_uvs_idx
