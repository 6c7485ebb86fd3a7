"""DefTet's sparse renderer (Kaolin's ``deftet_sparse_render``): every face a pixel's ray crosses inside a depth
range, nearest first, with its interpolated features; not only the nearest one as :func:`rasterize` keeps."""
from __future__ import annotations

from typing import Optional

import torch

from ..errors import RenderError
from .rasterize import FaceFeatures, _check_per_face, _concatenate_features

#: About how many (pixel, face) pairs are tested at once.
DEFAULT_MAX_PAIRS = 1 << 22


def _check_pixels(name: str, tensor: torch.Tensor, batch_size: int, device: torch.device) -> None:
    if not isinstance(tensor, torch.Tensor) or tensor.dim() != 3 or tensor.shape[0] != batch_size \
            or tensor.shape[2] != 2:
        shape = tuple(tensor.shape) if isinstance(tensor, torch.Tensor) else type(tensor).__name__
        raise RenderError(f"{name} must be a (B, P, 2) tensor with B = {batch_size}, got {shape}")
    if tensor.device != device:
        raise RenderError(f"{name} is on {tensor.device} but face_vertices_image is on {device}")


def _edge_weights(points: torch.Tensor, corners: torch.Tensor, eps: float) -> torch.Tensor:
    """(..., 3) barycentric weights of (..., 2) ``points`` in (..., 3, 2) triangles, from the signed areas
    the point makes with each side, normalised by their sum plus ``eps`` with the sum's sign."""
    to_corner = corners - points.unsqueeze(-2)  # (..., 3, 2)
    following = to_corner.roll(-1, dims=-2)     # b, c, a
    cross = following[..., 0] * following.roll(-1, dims=-2)[..., 1] \
        - following[..., 1] * following.roll(-1, dims=-2)[..., 0]  # w_a = (b - p) x (c - p), then w_b, w_c
    total = cross.sum(-1, keepdim=True)
    return cross / (total + eps * torch.sign(total))


@torch.no_grad()
def _crossed_faces(pixel_coords: torch.Tensor, render_ranges: torch.Tensor, face_vertices_z: torch.Tensor,
                   face_vertices_image: torch.Tensor, valid: torch.Tensor, knum: int, eps: float,
                   max_pairs: int) -> torch.Tensor:
    """(B, P, knum) long: the faces covering each pixel with a depth inside its range, nearest first."""
    batch_size, num_pixels, _ = pixel_coords.shape
    num_faces = face_vertices_z.shape[1]
    low, high = face_vertices_image.amin(dim=2), face_vertices_image.amax(dim=2)  # (B, F, 2)
    chunk = max(1, max_pairs // max(1, batch_size * num_faces))
    kept = min(knum, num_faces)
    out = torch.full((batch_size, num_pixels, knum), -1, dtype=torch.long, device=pixel_coords.device)
    for start in range(0, num_pixels, chunk):
        points = pixel_coords[:, start:start + chunk].unsqueeze(2)  # (B, C, 1, 2)
        ranges = render_ranges[:, start:start + chunk]
        inside = ((points >= low.unsqueeze(1)) & (points < high.unsqueeze(1))).all(-1) & valid.unsqueeze(1)
        weights = _edge_weights(points.expand(-1, -1, num_faces, -1), face_vertices_image.unsqueeze(1), eps)
        inside &= (weights >= 0).all(-1)
        depth = (weights * face_vertices_z.unsqueeze(1)).sum(-1)  # (B, C, F)
        inside &= (depth > ranges[..., :1]) & (depth < ranges[..., 1:])
        key = torch.where(inside, depth, torch.full_like(depth, -torch.inf))
        order = key.sort(dim=-1, descending=True, stable=True).indices[..., :kept]
        hit = torch.gather(inside, -1, order)
        out[:, start:start + chunk, :kept] = torch.where(hit, order, -1)
    return out


def deftet_sparse_render(pixel_coords: torch.Tensor, render_ranges: torch.Tensor, face_vertices_z: torch.Tensor,
                         face_vertices_image: torch.Tensor, face_features: FaceFeatures, knum: int = 300,
                         eps: float = 1e-8, valid_faces: Optional[torch.Tensor] = None, *,
                         max_pairs: int = DEFAULT_MAX_PAIRS):
    """Render, for every pixel, all the faces it sees within a depth range, nearest (largest z) first.

    A face is seen at a pixel when the pixel lies in its image-plane bounding box (min inclusive, max
    exclusive) and inside the triangle (all three barycentric weights >= 0), and the interpolated
    camera-space depth lies strictly inside the pixel's range. Up to ``knum`` faces are kept per pixel,
    the nearest ones (ties by face index).

    Args:
        pixel_coords: (B, P, 2) image-plane coordinates of the pixels (``[-1, 1]`` with Kaolin's cameras).
        render_ranges: (B, P, 2) ``(near, far)`` depth bounds per pixel (camera z, negative in front).
        face_vertices_z: (B, F, 3) camera-space depth of the face corners.
        face_vertices_image: (B, F, 3, 2) image-plane corners.
        face_features: (B, F, 3, D) per-corner features, or a list of (B, F, 3, D_i).
        knum: how many faces to keep per pixel.
        eps: added to the barycentric normalisation with its sign.
        valid_faces: optional (B, F) bool; faces where it is False are never rendered.
        max_pairs: about how many (pixel, face) pairs are tested at once (memory bound).

    Returns:
        ``(features, face_idx)``: features (B, P, knum, D) (a tuple of (B, P, knum, D_i) for a list), 0 where
        there is no face; face_idx (B, P, knum) long, -1 where there is no face. Differentiable with respect to
        ``face_vertices_image`` and ``face_features`` (not ``pixel_coords``).
    """
    if not isinstance(face_vertices_image, torch.Tensor) or face_vertices_image.dim() != 4 \
            or tuple(face_vertices_image.shape[2:]) != (3, 2):
        shape = tuple(getattr(face_vertices_image, "shape", ()))
        raise RenderError(f"face_vertices_image must be a (B, F, 3, 2) tensor, got {shape}")
    if isinstance(knum, bool) or not isinstance(knum, int) or knum < 1:
        raise RenderError(f"knum must be a positive int, got {knum!r}")
    batch_size, num_faces = face_vertices_image.shape[:2]
    device = face_vertices_image.device
    _check_pixels("pixel_coords", pixel_coords, batch_size, device)
    _check_pixels("render_ranges", render_ranges, batch_size, device)
    if render_ranges.shape[1] != pixel_coords.shape[1]:
        raise RenderError(f"render_ranges must have one (near, far) per pixel: {pixel_coords.shape[1]} pixels, "
                          f"got {render_ranges.shape[1]}")
    _check_per_face("face_vertices_z", face_vertices_z, batch_size, num_faces, (3,), device)
    features, split_sizes = _concatenate_features(face_features, batch_size, num_faces, device)
    valid = torch.ones(batch_size, num_faces, dtype=torch.bool, device=device)
    if valid_faces is not None:
        _check_per_face("valid_faces", valid_faces, batch_size, num_faces, (), device)
        valid = valid & valid_faces.bool()

    face_idx = _crossed_faces(pixel_coords, render_ranges, face_vertices_z.detach(),
                              face_vertices_image.detach(), valid, knum, eps, max_pairs)
    hit = face_idx >= 0
    gather = face_idx.clamp(min=0).reshape(batch_size, -1)  # (B, P * knum)
    batch = torch.arange(batch_size, device=device).unsqueeze(1)
    corners = face_vertices_image[batch, gather].reshape(*face_idx.shape, 3, 2)
    values = features[batch, gather].reshape(*face_idx.shape, 3, -1)
    points = pixel_coords.detach().unsqueeze(2).expand(-1, -1, knum, -1)
    weights = _edge_weights(points.to(corners.dtype), corners, eps)
    # the first weight as the complement of the others, so constant features stay exact on tiny faces
    weights = torch.cat([1 - weights[..., 1:].sum(-1, keepdim=True), weights[..., 1:]], dim=-1)
    image = torch.where(hit.unsqueeze(-1), (weights.unsqueeze(-1) * values).sum(-2), 0)
    if split_sizes is not None:
        return tuple(image.split(split_sizes, dim=-1)), face_idx
    return image, face_idx
