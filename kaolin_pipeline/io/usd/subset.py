"""GeomSubsets: named sets of element indices (faces of a mesh, points of a point cloud, instancer or
Gaussian splat) under a prim, grouped by a family name (``'part'``, ``'materialBind'``, ...)."""
from __future__ import annotations

import numpy as np
import torch
from pxr import Usd, UsdGeom, Vt

from kaolin_pipeline.errors import LoadError
from kaolin_pipeline.io.usd.scene import PrimArg, StageArg, is_path, prim_of, stage_of

_POINT_TYPES = (UsdGeom.Points, UsdGeom.PointInstancer)


def _element_type(prim: Usd.Prim) -> str:
    """What a subset of ``prim`` indexes: faces of a Mesh, points of point-like prims, else unspecified."""
    if prim.IsA(UsdGeom.Mesh):
        return UsdGeom.Tokens.face
    if any(prim.IsA(kind) for kind in _POINT_TYPES) or prim.GetTypeName() == "ParticleField3DGaussianSplat":
        return UsdGeom.Tokens.point
    return ""


def add_subset(file_path_or_stage: StageArg, prim_or_path: PrimArg, name: str, indices: torch.Tensor,
               family_name: str = "part", overwrite: bool = False) -> Usd.Prim:
    """Author a GeomSubset ``name`` of ``indices (K,)`` under the prim; returns the subset's prim. With
    ``overwrite``, an existing subset of that name gets the new indices and family. A file path is saved
    afterwards; a stage is not.

    Raises:
        LoadError: no prim at ``prim_or_path``, or the subset exists and ``overwrite`` is False.
    """
    stage = stage_of(file_path_or_stage)
    prim = prim_of(stage, prim_or_path)
    values = Vt.IntArray.FromNumpy(np.ascontiguousarray(torch.as_tensor(indices).detach().to("cpu").numpy(),
                                                        dtype=np.int32).reshape(-1))
    existing = stage.GetPrimAtPath(prim.GetPath().AppendChild(name))
    if existing:
        if not overwrite:
            raise LoadError(f"Subset '{name}' already exists at '{existing.GetPath()}'; "
                            "use overwrite=True to replace it")
        subset = UsdGeom.Subset(existing)
        subset.GetIndicesAttr().Set(values)
        subset.GetFamilyNameAttr().Set(family_name)
    else:
        subset = UsdGeom.Subset.CreateGeomSubset(UsdGeom.Imageable(prim), name, _element_type(prim), values,
                                                 family_name)
    if is_path(file_path_or_stage):
        stage.Save()
    return subset.GetPrim()


def import_subsets(file_path_or_stage: StageArg, prim_or_path: PrimArg, family_name: str = None) -> dict:
    """The GeomSubsets under the prim (only those of ``family_name`` if given), as
    ``{subset path: {'indices': (K,) long tensor, 'family_name': str}}``.

    Raises:
        LoadError: no prim at ``prim_or_path``.
    """
    stage = stage_of(file_path_or_stage)  # kept alive while its prims are read
    prim = prim_of(stage, prim_or_path)
    subsets = UsdGeom.Subset.GetGeomSubsets(UsdGeom.Imageable(prim), familyName=family_name or "")
    return {str(subset.GetPath()): {
        "indices": torch.from_numpy(np.asarray(subset.GetIndicesAttr().Get() or [], dtype=np.int64)),
        "family_name": subset.GetFamilyNameAttr().Get()} for subset in subsets}
