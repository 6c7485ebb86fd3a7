"""Checks that loaded tensors describe a usable mesh, point cloud or voxel grid.

Every loader calls these before returning, so a file with NaN vertices or face
indices out of range fails with a :class:`LoadError` naming the file, instead of
producing a silently wrong tensor.
"""
from __future__ import annotations

import torch

from kaolin_pipeline.structures import Mesh, PBRMaterial, PointCloud, VoxelGrid
from kaolin_pipeline.errors import LoadError, SaveError


def _check_finite(name: str, value: torch.Tensor, source: str) -> None:
    if value.is_floating_point() and not bool(torch.isfinite(value).all()):
        bad = int((~torch.isfinite(value)).any(dim=-1).sum()) if value.dim() > 1 else int((~torch.isfinite(value)).sum())
        raise LoadError(f"{source}: {bad} {name} contain NaN or Inf values")


def _check_rows(name: str, value: torch.Tensor, width: int, source: str) -> None:
    if value.dim() != 2 or value.shape[1] != width:
        raise LoadError(f"{source}: {name} must have shape (N, {width}), got {tuple(value.shape)}")


def _check_indices(name: str, index: torch.Tensor, count: int, what: str, source: str) -> None:
    if index.numel() == 0:
        return
    low, high = int(index.min()), int(index.max())
    if low < 0 or high >= count:
        raise LoadError(f"{source}: {name} index out of range [{low}, {high}] for {count} {what}")


def _check_per_item_fields(container, names, count: int, what: str, source: str) -> None:
    """Each optional ``(count, 3)`` field in ``names`` (per vertex or per point): shape and finite values."""
    for name in names:
        value = getattr(container, name)
        if value is not None:
            _check_rows(name, value, 3, source)
            if value.shape[0] != count:
                raise LoadError(f"{source}: {name} has {value.shape[0]} rows for {count} {what}")
            _check_finite(name, value, source)


def validate_mesh(mesh: Mesh, source: str) -> Mesh:
    """Return ``mesh`` unchanged if it is well formed, else raise :class:`LoadError`.

    Checks: at least one vertex and one face, (V, 3) finite vertices, (F, 3) faces
    indexing existing vertices, and the same for the optional UV, colour and normal fields.
    """
    _check_rows("vertices", mesh.vertices, 3, source)
    _check_rows("faces", mesh.faces, 3, source)
    if mesh.vertices.shape[0] == 0:
        raise LoadError(f"{source}: mesh has no vertices")
    if mesh.faces.shape[0] == 0:
        raise LoadError(f"{source}: mesh has no faces")
    _check_finite("vertices", mesh.vertices, source)
    _check_indices("face", mesh.faces, mesh.num_vertices, "vertices", source)
    if mesh.uvs is not None:
        _check_rows("uvs", mesh.uvs, 2, source)
        _check_finite("uvs", mesh.uvs, source)
        if mesh.face_uvs_idx is None:
            raise LoadError(f"{source}: uvs given without face_uvs_idx")
        _check_rows("face_uvs_idx", mesh.face_uvs_idx, 3, source)
        if mesh.face_uvs_idx.shape[0] != mesh.num_faces:
            raise LoadError(f"{source}: face_uvs_idx has {mesh.face_uvs_idx.shape[0]} rows for {mesh.num_faces} faces")
        _check_indices("face uv", mesh.face_uvs_idx, mesh.uvs.shape[0], "uvs", source)
    _check_per_item_fields(mesh, ("vertex_colors", "vertex_normals"), mesh.num_vertices, "vertices", source)
    if (mesh.normals is None) != (mesh.face_normals_idx is None):
        raise LoadError(f"{source}: normals and face_normals_idx must be given together")
    if mesh.normals is not None:
        _check_rows("normals", mesh.normals, 3, source)
        _check_finite("normals", mesh.normals, source)
        _check_rows("face_normals_idx", mesh.face_normals_idx, 3, source)
        if mesh.face_normals_idx.shape[0] != mesh.num_faces:
            raise LoadError(f"{source}: face_normals_idx has {mesh.face_normals_idx.shape[0]} rows for "
                            f"{mesh.num_faces} faces")
        _check_indices("face normal", mesh.face_normals_idx, mesh.normals.shape[0], "normals", source)
    if mesh.texture is not None and (mesh.texture.dim() != 3 or mesh.texture.shape[0] != 3):
        raise LoadError(f"{source}: texture must have shape (3, H, W), got {tuple(mesh.texture.shape)}")
    _check_materials(mesh, source)
    return mesh


def _check_materials(mesh: Mesh, source: str) -> None:
    """``materials`` a list of :class:`PBRMaterial` with well-shaped fields; ``material_assignments (F,)``
    integers in ``[-1, M)``; neither without the other."""
    if (mesh.materials is None) != (mesh.material_assignments is None):
        raise LoadError(f"{source}: materials and material_assignments must be given together")
    if mesh.materials is None:
        return
    if not isinstance(mesh.materials, (list, tuple)):
        raise LoadError(f"{source}: materials must be a list of PBRMaterial, got {type(mesh.materials).__name__}")
    for index, material in enumerate(mesh.materials):
        where = f"material {index}"
        if not isinstance(material, PBRMaterial):
            raise LoadError(f"{source}: {where} is a {type(material).__name__}, not a PBRMaterial")
        where = f"material {index} ({material.material_name!r})" if material.material_name else where
        for name, size in PBRMaterial.VALUE_SIZES.items():
            value = getattr(material, name)
            if value is not None:
                if value.shape != (size,):
                    raise LoadError(f"{source}: {where}: {name} must have shape ({size},), got {tuple(value.shape)}")
                _check_finite(f"{where} {name}", value, source)
        for name, channels in PBRMaterial.TEXTURE_CHANNELS.items():
            value = getattr(material, name)
            if value is not None and (value.dim() != 3 or value.shape[0] != channels or 0 in value.shape):
                raise LoadError(f"{source}: {where}: {name} must have shape ({channels}, H, W) with H, W > 0, "
                                f"got {tuple(value.shape)}")
    assignments = mesh.material_assignments
    if assignments.dim() != 1 or assignments.shape[0] != mesh.num_faces:
        raise LoadError(f"{source}: material_assignments must have shape ({mesh.num_faces},) (one per face), "
                        f"got {tuple(assignments.shape)}")
    if assignments.is_floating_point() or assignments.dtype == torch.bool:
        raise LoadError(f"{source}: material_assignments must be integers, got {assignments.dtype}")
    if assignments.numel() and (int(assignments.min()) < -1 or int(assignments.max()) >= len(mesh.materials)):
        raise LoadError(f"{source}: material_assignments out of range [{int(assignments.min())}, "
                        f"{int(assignments.max())}] for {len(mesh.materials)} materials (-1 = none)")


def validate_pointcloud(cloud: PointCloud, source: str) -> PointCloud:
    """Return ``cloud`` unchanged if it is well formed, else raise :class:`LoadError`."""
    _check_rows("points", cloud.points, 3, source)
    if cloud.points.shape[0] == 0:
        raise LoadError(f"{source}: point cloud has no points")
    _check_finite("points", cloud.points, source)
    _check_per_item_fields(cloud, ("normals", "colors"), cloud.num_points, "points", source)
    return cloud


def validate_voxelgrid(grid: VoxelGrid, source: str) -> VoxelGrid:
    """Return ``grid`` unchanged if it is a cubic (R, R, R) grid with a finite box, else raise :class:`LoadError`."""
    occ = grid.occupancy
    if occ.dim() != 3 or len(set(occ.shape)) != 1 or occ.shape[0] == 0:
        raise LoadError(f"{source}: voxel grid must have shape (R, R, R) with R > 0, got {tuple(occ.shape)}")
    _check_finite("origin", grid.origin.reshape(1, -1), source)
    if not (grid.size > 0 and torch.isfinite(torch.tensor(float(grid.size)))):
        raise LoadError(f"{source}: voxel grid size must be a positive number, got {grid.size}")
    return grid


_VALIDATORS = {Mesh: ("mesh", validate_mesh), PointCloud: ("point cloud", validate_pointcloud),
               VoxelGrid: ("voxel grid", validate_voxelgrid)}


def validate_for_saving(value, kind: type, path) -> None:
    """Check that ``value`` is a valid ``kind`` (:class:`Mesh`, :class:`PointCloud` or :class:`VoxelGrid`) before writing it to ``path``.

    Raises:
        SaveError: ``value`` is not a ``kind``, or fails its ``validate_*`` check
            (the message names ``path`` and what is wrong).
    """
    what, check = _VALIDATORS[kind]
    if not isinstance(value, kind):
        raise SaveError(f"{path}: expected a {kind.__name__} to save, got {type(value).__name__}")
    try:
        check(value, str(path))
    except LoadError as exc:
        raise SaveError(f"cannot save an invalid {what}: {exc}") from exc
