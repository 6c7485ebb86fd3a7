"""DIB-R rendering (Kaolin's ``dibr_rasterization``): hard rasterization of the camera-facing
faces plus a soft silhouette mask of all faces."""
from __future__ import annotations

from typing import Optional, Union

import torch

from ..errors import RenderError
from .binning import DEFAULT_MAX_PAIRS, check_face_vertices_image
from .rasterize import DEFAULT_MULTIPLIER, FaceFeatures, check_backend, rasterize
from .soft_mask import dibr_soft_mask


def dibr_rasterization(height: int, width: int, face_vertices_z: torch.Tensor,
                       face_vertices_image: torch.Tensor, face_features: FaceFeatures,
                       face_normals_z: torch.Tensor, sigmainv: float = 7000, boxlen: float = 0.02,
                       knum: int = 30, multiplier: Optional[float] = None, eps: Optional[float] = None,
                       rast_backend: str = "cuda", *, valid_faces: Optional[torch.Tensor] = None,
                       perspective_correct: bool = False, max_pairs: int = DEFAULT_MAX_PAIRS
                       ) -> tuple[Union[torch.Tensor, tuple[torch.Tensor, ...]], torch.Tensor, torch.Tensor]:
    """Render features, a soft mask and face indices, as Kaolin's ``dibr_rasterization``.

    Args:
        height, width: image size in pixels.
        face_vertices_z: (B, F, 3) camera-space depth of the face corners.
        face_vertices_image: (B, F, 3, 2) image-plane corners.
        face_features: (B, F, 3, D) features, or a list of (B, F, 3, D_i).
        face_normals_z: (B, F) z of the camera-space face normals; faces with a negative value
            (facing away from the camera) are not drawn by the hard rasterization but still
            shape the soft mask.
        sigmainv, boxlen, knum: soft-mask parameters (see :func:`dibr_soft_mask`).
        multiplier, eps: see :func:`rasterize` (the soft mask uses ``multiplier`` or 1000).
        rast_backend: Kaolin's keyword; ``'cuda'``, ``'cpu'`` and the nvdiffrast names all run this
            implementation on the tensors' device (the nvdiffrast ones after a one-time warning).
        valid_faces: optional (B, F) bool (not in Kaolin); faces where it is False are drawn by
            neither the raster nor the soft mask (the renderer's near plane).
        perspective_correct: see :func:`rasterize`.
        max_pairs: about how many (pixel, face) candidate pairs are processed at once.

    Returns:
        ``(features (B, H, W, D) or a tuple, soft_mask (B, H, W), face_idx (B, H, W) long, -1 on background)``.
    """
    check_backend("rast_backend", rast_backend)
    check_face_vertices_image(face_vertices_image)
    expected = tuple(face_vertices_image.shape[:2])
    shape = tuple(getattr(face_normals_z, "shape", ()))
    if not isinstance(face_normals_z, torch.Tensor) or shape != expected:
        raise RenderError(f"face_normals_z must be a (B, F) tensor of shape {expected}, got {shape}")
    drawn = face_normals_z >= 0
    if valid_faces is not None:
        if not isinstance(valid_faces, torch.Tensor) or valid_faces.dtype != torch.bool \
                or tuple(valid_faces.shape) != expected:
            raise RenderError(f"valid_faces must be a bool tensor of shape {expected}, got "
                              f"{getattr(valid_faces, 'dtype', type(valid_faces))} of shape "
                              f"{tuple(getattr(valid_faces, 'shape', ()))}")
        drawn = drawn & valid_faces
    features, face_idx = rasterize(height, width, face_vertices_z, face_vertices_image, face_features,
                                   valid_faces=drawn, multiplier=multiplier, eps=eps,
                                   perspective_correct=perspective_correct, max_pairs=max_pairs)
    soft_mask = dibr_soft_mask(face_vertices_image, face_idx, sigmainv=sigmainv, boxlen=boxlen, knum=knum,
                               multiplier=DEFAULT_MULTIPLIER if multiplier is None else multiplier,
                               valid_faces=valid_faces, max_pairs=max_pairs)
    return features, soft_mask, face_idx
