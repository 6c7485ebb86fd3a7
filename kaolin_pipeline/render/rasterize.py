"""Hard rasterization with Kaolin's ``prepare_vertices`` and ``rasterize`` semantics, in pure PyTorch.

A pixel is covered by a face when its centre has three barycentric weights >= 0 in the
face's 2D image-plane triangle (either winding; edges and vertices included; faces of
(numerically) zero area never cover). Depth and features are interpolated linearly in
screen space (Kaolin's rule), or in 1/z with ``perspective_correct=True``; the largest
interpolated z wins and, on equal z, the lower face index.

The search is binned (see :mod:`kaolin_pipeline.render.binning`): only pixels inside a
face's bounding box are tested against it, and the winner per pixel is found without
autograd, folding every chunk into the per-pixel winners with ``scatter_reduce`` (no
compaction, so no chunk waits for the device). Barycentric weights are then recomputed
differentiably for the winning face of each covered pixel only, so gradients reach
``face_vertices_image`` and the features through those weights while autograd stores one
entry per covered pixel, not per pair.
"""
from __future__ import annotations

import warnings
from typing import Optional, Sequence, Union

import torch

from ..errors import RenderError
from ..ops.mesh import face_normals, index_vertices_by_faces
from .binning import (DEFAULT_MAX_PAIRS, check_face_vertices_image, check_image_size, face_grids, pixel_boxes,
                      pixel_centers_of)
from .camera import check_camera_proj, perspective_camera, rotate_translate_points

FaceFeatures = Union[torch.Tensor, Sequence[torch.Tensor]]

DEFAULT_MULTIPLIER = 1000.0
DEFAULT_EPS = 1e-8
#: Backend names accepted: Kaolin's 'cuda' (its CUDA kernels; here this implementation, on the tensors'
#: device), 'cpu' (what a user's global 'cuda' -> 'cpu' edit makes of it) and Kaolin's nvdiffrast ones,
#: which run this implementation too, after a one-time warning.
KAOLIN_BACKENDS = ("cuda", "cpu", "nvdiffrast", "nvdiffrast_fwd")
_NVDIFFRAST_BACKENDS = ("nvdiffrast", "nvdiffrast_fwd")
_warned_backends: set = set()


def prepare_vertices(vertices: torch.Tensor, faces: torch.Tensor, camera_proj: torch.Tensor,
                     camera_rot: Optional[torch.Tensor] = None, camera_trans: Optional[torch.Tensor] = None,
                     camera_transform: Optional[torch.Tensor] = None
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Move vertices to camera space, project them, and gather them per face.

    Args:
        vertices: (B, V, 3) world-space vertices.
        faces: (F, 3) long vertex indices.
        camera_proj: (3, 1) or (B, 3, 1) projection (see ``generate_perspective_projection``).
        camera_rot: (B, 3, 3) rotations, used with ``camera_trans``.
        camera_trans: (B, 3) camera positions, used with ``camera_rot``.
        camera_transform: (B, 4, 3) matrices replacing ``camera_rot`` and ``camera_trans``, or one (4, 3)
            matrix for every item (Kaolin broadcasts it).

    Returns:
        ``(face_vertices_camera (B, F, 3, 3), face_vertices_image (B, F, 3, 2), face_normals (B, F, 3))``,
        the normals being unit vectors in camera space (right-hand rule on the face's vertex order).
    """
    if not isinstance(vertices, torch.Tensor) or vertices.dim() != 3 or vertices.shape[-1] != 3:
        raise RenderError(f"vertices must be a (B, V, 3) tensor, got shape {tuple(getattr(vertices, 'shape', ()))}")
    if not isinstance(faces, torch.Tensor) or faces.dim() != 2 or faces.shape[1] != 3 \
            or faces.dtype not in (torch.int64, torch.int32):
        raise RenderError(f"faces must be an integer (F, 3) tensor, got {getattr(faces, 'dtype', type(faces))} "
                          f"of shape {tuple(getattr(faces, 'shape', ()))}")
    if faces.numel() and bool(((faces < 0) | (faces >= vertices.shape[1])).any()):  # one host read
        raise RenderError(f"faces index vertices outside [0, {vertices.shape[1]})")
    if camera_transform is None:
        if camera_rot is None or camera_trans is None:
            raise RenderError("prepare_vertices needs camera_transform, or both camera_rot and camera_trans")
        vertices_camera = rotate_translate_points(vertices, camera_rot, camera_trans)
    else:
        if camera_rot is not None or camera_trans is not None:
            raise RenderError("prepare_vertices: give camera_transform or camera_rot/camera_trans, not both")
        if not isinstance(camera_transform, torch.Tensor) or camera_transform.dim() not in (2, 3) \
                or camera_transform.shape[-2:] != (4, 3) \
                or (camera_transform.dim() == 3 and camera_transform.shape[0] not in (1, vertices.shape[0])):
            raise RenderError(f"camera_transform must be a (4, 3) or (B, 4, 3) tensor with B = {vertices.shape[0]}, "
                              f"got shape {tuple(getattr(camera_transform, 'shape', ()))}")
        vertices_camera = torch.nn.functional.pad(vertices, (0, 1), value=1.0) @ camera_transform
    check_camera_proj(camera_proj, vertices_camera.shape[0])
    vertices_image = perspective_camera(vertices_camera, camera_proj)
    face_vertices_camera = index_vertices_by_faces(vertices_camera, faces)
    face_vertices_image = index_vertices_by_faces(vertices_image, faces)
    return face_vertices_camera, face_vertices_image, face_normals(face_vertices_camera, unit=True)


def edge_functions(dx: torch.Tensor, dy: torch.Tensor,
                   dim: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Unnormalised barycentric coordinates of points in triangles.

    Args:
        dx, dy: corner-minus-point differences ``x_i - x_p`` and ``y_i - y_p``, with the three
            corners along ``dim``; the two are broadcast against each other.

    Returns:
        Three tensors (``dim`` removed): value i is twice the signed area of (point, corner i+1,
        corner i+2), so they sum to twice the triangle's signed area. Built from corner-minus-point
        differences, it is exactly antisymmetric across an edge shared by two faces, so no pixel
        centre on such an edge can fall between them.
    """
    dx0, dx1, dx2 = dx.unbind(dim)
    dy0, dy1, dy2 = dy.unbind(dim)
    return dx1 * dy2 - dx2 * dy1, dx2 * dy0 - dx0 * dy2, dx0 * dy1 - dx1 * dy0


def signed_double_areas(face_vertices_image: torch.Tensor) -> torch.Tensor:
    """Twice the signed areas of 2D triangles, (..., 3, 2) -> (...); positive counter-clockwise."""
    edge_1 = face_vertices_image[..., 1, :] - face_vertices_image[..., 0, :]
    edge_2 = face_vertices_image[..., 2, :] - face_vertices_image[..., 0, :]
    return edge_1[..., 0] * edge_2[..., 1] - edge_2[..., 0] * edge_1[..., 1]


def _check_number(name: str, value: float, allow_zero: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (value >= 0 if allow_zero else value > 0):
        bound = "non-negative" if allow_zero else "positive"
        raise RenderError(f"{name} must be a {bound} number, got {value!r}")


def check_backend(name: str, backend: str) -> None:
    """Accept the names of :data:`KAOLIN_BACKENDS`, all served by this implementation on the tensors' device
    (the nvdiffrast ones with a warning, once per process and name); raise RenderError naming any other."""
    if backend not in KAOLIN_BACKENDS:
        raise RenderError(f"{name} must be one of {KAOLIN_BACKENDS}, got {backend!r}")
    if backend in _NVDIFFRAST_BACKENDS and backend not in _warned_backends:
        _warned_backends.add(backend)
        warnings.warn(f"{name}={backend!r}: kaolin-pipeline has no nvdiffrast; rasterizing with its own "
                      "pure-PyTorch rasterizer instead (same outputs up to nvdiffrast's own edge rules)", stacklevel=3)


def _check_per_face(name: str, tensor: torch.Tensor, batch_size: int, num_faces: int,
                    trailing: tuple, device: torch.device) -> None:
    """Raise RenderError unless ``tensor`` has shape (batch_size, num_faces, *trailing) on ``device``."""
    expected = (batch_size, num_faces) + trailing
    shape = tuple(getattr(tensor, "shape", ()))
    if not isinstance(tensor, torch.Tensor) or len(shape) != len(expected) \
            or any(e is not None and e != s for e, s in zip(expected, shape)):
        wanted = "(" + ", ".join("D" if e is None else str(e) for e in expected) + ")"
        raise RenderError(f"{name} must have shape {wanted}, got {shape}")
    if tensor.device != device:
        raise RenderError(f"{name} is on {tensor.device} but face_vertices_image is on {device}")


def _concatenate_features(face_features: FaceFeatures, batch_size: int, num_faces: int,
                          device: torch.device) -> tuple[torch.Tensor, Optional[list[int]]]:
    """Check the features and return them as one (B, F, 3, D) tensor, plus the split sizes for a list."""
    if isinstance(face_features, (list, tuple)):
        if not face_features:
            raise RenderError("face_features is an empty list")
        for i, features in enumerate(face_features):
            _check_per_face(f"face_features[{i}]", features, batch_size, num_faces, (3, None), device)
        if len({features.dtype for features in face_features}) != 1:
            raise RenderError("face_features: all tensors of the list must share one dtype, got "
                              f"{[features.dtype for features in face_features]}")
        sizes = [features.shape[-1] for features in face_features]
        concatenated = torch.cat(list(face_features), dim=-1)
    else:
        _check_per_face("face_features", face_features, batch_size, num_faces, (3, None), device)
        sizes, concatenated = None, face_features
    if not concatenated.is_floating_point():
        raise RenderError(f"face_features must be floating-point, got {concatenated.dtype}")
    return concatenated, sizes


@torch.no_grad()
def _nearest_faces(height: int, width: int, face_vertices_z: torch.Tensor, face_vertices_image: torch.Tensor,
                   drawable: torch.Tensor, max_pairs: int, perspective_correct: bool) -> torch.Tensor:
    """Flattened index ``b * F + f`` of the face seen at every pixel, (B * H * W,) long, -1 on background."""
    dtype = torch.promote_types(face_vertices_image.dtype, face_vertices_z.dtype)
    vertices = face_vertices_image.reshape(-1, 3, 2).to(dtype)
    depths = face_vertices_z.reshape(-1, 3).to(dtype)
    num_pixels = face_vertices_z.shape[0] * height * width
    best_depth = torch.full((num_pixels,), -torch.inf, dtype=dtype, device=vertices.device)
    best_face = torch.full((num_pixels,), -1, dtype=torch.long, device=vertices.device)
    boxes = pixel_boxes(face_vertices_image, height, width)
    # Cells of several small chunks are folded in together: each fold costs O(B * H * W).
    pending, pending_size = [], 0
    for grid in face_grids(boxes, face_vertices_z.shape[1], height, width, dtype, face_mask=drawable,
                           max_pairs=max_pairs):
        corners = vertices[grid.face]
        # (n, R, C) each, from per-column x differences (n, 3, 1, C) and per-row y differences (n, 3, R, 1).
        w0, w1, w2 = edge_functions(corners[:, :, 0, None, None] - grid.x.unsqueeze(1),
                                    corners[:, :, 1, None, None] - grid.y.unsqueeze(1), dim=1)
        inside = grid.valid & (((w0 >= 0) & (w1 >= 0) & (w2 >= 0)) | ((w0 <= 0) & (w1 <= 0) & (w2 <= 0)))
        z0, z1, z2 = depths[grid.face][:, :, None, None].unbind(dim=1)
        if perspective_correct:
            depth = (w0 + w1 + w2) / (w0 / z0 + w1 / z1 + w2 / z2)
        else:
            depth = (w0 * z0 + w1 * z1 + w2 * z2) / (w0 + w1 + w2)
        pending.append((grid.pixel.reshape(-1), grid.face[:, None, None].expand(depth.shape).reshape(-1),
                        torch.where(inside, depth, -torch.inf).reshape(-1)))
        pending_size += depth.numel()
        if pending_size >= max_pairs:
            best_depth, best_face = _merge_nearest(best_depth, best_face, *map(torch.cat, zip(*pending)))
            pending, pending_size = [], 0
    if pending:
        best_depth, best_face = _merge_nearest(best_depth, best_face, *map(torch.cat, zip(*pending)))
    return best_face


def _merge_nearest(best_depth: torch.Tensor, best_face: torch.Tensor, pixel: torch.Tensor,
                   face: torch.Tensor, depth: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Fold (pixel, face, depth) cells (depth -inf where the face does not cover) into the winners.

    The largest depth wins, then the lowest face index, whatever order the cells come in.
    Returns the new ``(best_depth, best_face)``; shapes never depend on values.
    """
    batch_depth = torch.full_like(best_depth, -torch.inf).scatter_reduce_(0, pixel, depth, "amax")
    # Where nothing covers a pixel, its cells are "on top" at -inf, but -inf never beats the winner so far.
    on_top = depth == batch_depth[pixel]
    no_face = torch.iinfo(torch.long).max
    batch_face = torch.full_like(best_face, no_face).scatter_reduce_(
        0, pixel, torch.where(on_top, face, no_face), "amin")
    better = (batch_depth > best_depth) | ((batch_depth == best_depth) & (batch_face < best_face))
    return torch.where(better, batch_depth, best_depth), torch.where(better, batch_face, best_face)


def _interpolate_at_pixels(face_vertices_image: torch.Tensor, face_vertices_z: torch.Tensor,
                           face_features: torch.Tensor, pixel: torch.Tensor, face: torch.Tensor, height: int,
                           width: int, perspective_correct: bool) -> torch.Tensor:
    """Differentiable barycentric interpolation of ``face_features`` (B, F, 3, D) at pixel centres.

    ``pixel`` and ``face`` are (P,) flattened indices; returns (P, D). Screen-space weights, or
    with ``perspective_correct`` the weights ``(w_i / z_i) / sum_j (w_j / z_j)`` (linear in 3D).
    """
    # index_select rather than indexing: its backward is a cheap index_add.
    vertices = face_vertices_image.reshape(-1, 3, 2).index_select(0, face)
    x, y = pixel_centers_of(pixel, height, width, vertices.dtype)
    weights = edge_functions(vertices[..., 0] - x.unsqueeze(1), vertices[..., 1] - y.unsqueeze(1), dim=1)
    if perspective_correct:
        z0, z1, z2 = face_vertices_z.reshape(-1, 3).index_select(0, face).unbind(dim=1)
        weights = (weights[0] / z0, weights[1] / z1, weights[2] / z2)
    total = weights[0] + weights[1] + weights[2]
    w0, w1, w2 = ((w / total).unsqueeze(1).to(face_features.dtype) for w in weights)
    f0, f1, f2 = face_features.reshape(-1, 3, face_features.shape[-1]).index_select(0, face).unbind(dim=1)
    return w0 * f0 + w1 * f1 + w2 * f2


def rasterize(height: int, width: int, face_vertices_z: torch.Tensor, face_vertices_image: torch.Tensor,
              face_features: FaceFeatures, valid_faces: Optional[torch.Tensor] = None,
              multiplier: Optional[float] = None, eps: Optional[float] = None, backend: str = "cuda", *,
              perspective_correct: bool = False, max_pairs: int = DEFAULT_MAX_PAIRS
              ) -> tuple[Union[torch.Tensor, tuple[torch.Tensor, ...]], torch.Tensor]:
    """Render per-vertex-per-face features into images, with the semantics of Kaolin's ``rasterize``.

    Args:
        height, width: image size in pixels.
        face_vertices_z: (B, F, 3) camera-space depth of the face corners (larger z is nearer).
        face_vertices_image: (B, F, 3, 2) image-plane corners, [-1, 1] on screen, +y up.
        face_features: (B, F, 3, D) features at the face corners, or a list of (B, F, 3, D_i).
        valid_faces: optional (B, F) bool; faces where it is False are not drawn.
        multiplier: Kaolin scales image coordinates by it (default 1000) so that ``eps`` is
            measured in scaled units. Here it only sets that scale: a face whose doubled area in
            image-plane coordinates scaled by ``multiplier`` is at most ``eps`` is degenerate.
        eps: degenerate-face threshold on that scaled doubled area (default 1e-8); it keeps the
            barycentric normalisation away from division by ~0.
        backend: Kaolin's keyword; every name of :data:`KAOLIN_BACKENDS` (``'cuda'`` by default, ``'cpu'``,
            ``'nvdiffrast'``, ``'nvdiffrast_fwd'``) runs this implementation on the tensors' device.
        perspective_correct: interpolate depth and features linearly in 3D (weights ``w_i / z_i``,
            renormalised) instead of Kaolin's screen-space weights; faces must then lie in front
            of the camera (all three z < 0), others are not drawn.
        max_pairs: about how many (pixel, face) candidate pairs are processed at once (memory bound).

    Returns:
        ``(features, face_idx)``: features (B, H, W, D) (a tuple of (B, H, W, D_i) for a list),
        0 on background, dtype of the features; face_idx (B, H, W) long, -1 on background.
        Gradients reach ``face_vertices_image`` and ``face_features`` through the barycentric
        weights of each pixel's winning face; they reach ``face_vertices_z`` only with
        ``perspective_correct``.
    """
    check_backend("backend", backend)
    check_image_size(height, width)
    check_face_vertices_image(face_vertices_image)
    batch_size, num_faces = face_vertices_image.shape[:2]
    device = face_vertices_image.device
    _check_per_face("face_vertices_z", face_vertices_z, batch_size, num_faces, (3,), device)
    if not face_vertices_z.is_floating_point():
        raise RenderError(f"face_vertices_z must be floating-point, got {face_vertices_z.dtype}")
    features, split_sizes = _concatenate_features(face_features, batch_size, num_faces, device)
    multiplier = DEFAULT_MULTIPLIER if multiplier is None else multiplier
    eps = DEFAULT_EPS if eps is None else eps
    _check_number("multiplier", multiplier, allow_zero=False)
    _check_number("eps", eps, allow_zero=True)
    drawable = signed_double_areas(face_vertices_image.detach()).abs() * multiplier ** 2 > eps
    drawable &= torch.isfinite(face_vertices_z.detach()).all(dim=-1)
    if perspective_correct:
        drawable &= (face_vertices_z.detach() < 0).all(dim=-1)
    if valid_faces is not None:
        _check_per_face("valid_faces", valid_faces, batch_size, num_faces, (), device)
        if valid_faces.dtype != torch.bool:
            raise RenderError(f"valid_faces must be a bool tensor, got {valid_faces.dtype}")
        drawable &= valid_faces

    best_face = _nearest_faces(height, width, face_vertices_z, face_vertices_image, drawable, max_pairs,
                               perspective_correct)
    covered_pixels = (best_face >= 0).nonzero().squeeze(1)  # the raster's one compaction (one host read)
    values = _interpolate_at_pixels(face_vertices_image, face_vertices_z, features, covered_pixels,
                                    best_face[covered_pixels], height, width, perspective_correct)
    image = features.new_zeros(batch_size * height * width, features.shape[-1]).index_put((covered_pixels,), values)
    image = image.reshape(batch_size, height, width, -1)
    face_idx = torch.where(best_face >= 0, best_face % max(num_faces, 1), -1).reshape(batch_size, height, width)
    if split_sizes is not None:
        return tuple(image.split(split_sizes, dim=-1)), face_idx
    return image, face_idx
