"""A UV atlas for any triangle mesh, by ``xatlas`` (charts cut along seams, packed into [0, 1]²)."""
from __future__ import annotations

import numpy as np
import torch

from kaolin_pipeline.errors import PipelineError


def uv_atlas(vertices: torch.Tensor, faces: torch.Tensor, resolution: int = 256,
             padding: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
    """Texture coordinates for a mesh of any genus, in Kaolin's layout (positions stay unsplit).

    Args:
        vertices: (V, 3) float.
        faces: (F, 3) long.
        resolution: side of the texture the atlas is packed for (charts keep ``padding`` texels apart).
        padding: texels between charts.

    Returns:
        uvs (T, 2) float in [0, 1] and face_uvs_idx (F, 3) long, on ``vertices``' device
        and dtype; face ``f``'s corner ``k`` at ``vertices[faces[f, k]]`` has texture coordinate
        ``uvs[face_uvs_idx[f, k]]``.
    """
    if faces.dim() != 2 or faces.shape[1] != 3 or faces.shape[0] == 0:
        raise PipelineError(f"faces must have shape (F, 3) with F > 0, got {tuple(faces.shape)}")
    import xatlas
    atlas = xatlas.Atlas()
    atlas.add_mesh(vertices.detach().cpu().numpy().astype(np.float32), faces.cpu().numpy().astype(np.uint32))
    pack = xatlas.PackOptions()
    pack.resolution, pack.padding, pack.bilinear = int(resolution), int(padding), True
    atlas.generate(pack_options=pack)
    mapping, corners, uvs = atlas[0]
    if not np.array_equal(mapping[corners], faces.cpu().numpy()):
        raise PipelineError("xatlas changed the faces of the mesh (degenerate or duplicate faces?)")
    return (torch.as_tensor(uvs, dtype=vertices.dtype, device=vertices.device),
            torch.as_tensor(corners.astype(np.int64), device=vertices.device))
