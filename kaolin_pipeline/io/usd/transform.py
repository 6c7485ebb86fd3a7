"""A prim's local-to-world transform as a ``(4, 4)`` matrix for column vectors (``p_world = M @ [p, 1]``),
Kaolin's convention: the transpose of USD's row-vector matrices."""
from __future__ import annotations

from typing import Optional

import numpy as np
import torch
from pxr import Gf, UsdGeom

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.io.usd.stage import time_code
from kaolin_pipeline.io.usd.scene import PrimArg, StageArg, is_path, prim_of, stage_of


def get_local_to_world_transform(file_path_or_stage: StageArg, prim_or_path: PrimArg,
                                 time=None) -> Optional[torch.Tensor]:
    """The prim's local-to-world matrix ``(4, 4)`` float64 at ``time`` (USD interpolates between samples;
    None: the default value), or None when it is the identity or the prim is not transformable."""
    stage = stage_of(file_path_or_stage)
    prim = prim_of(stage, prim_or_path)
    xformable = UsdGeom.Xformable(prim)
    if not xformable:
        return None
    matrix = np.array(xformable.ComputeLocalToWorldTransform(time_code(time)), dtype=np.float64)
    return None if np.array_equal(matrix, np.eye(4)) else torch.from_numpy(matrix.T.copy())


def set_local_to_world_transform(file_path_or_stage: StageArg, prim_or_path: PrimArg, local_to_world: torch.Tensor,
                                 time=None) -> None:
    """Give the prim one matrix xform op (at ``time``, or as its default value) so that its local-to-world
    transform becomes ``local_to_world (4, 4)`` (column vectors), whatever its parents' transforms. A file
    path is saved afterwards; a stage is not.

    Raises:
        PipelineError: the prim is not ``UsdGeom.Xformable`` or the matrix is not (4, 4).
    """
    stage = stage_of(file_path_or_stage)
    prim = prim_of(stage, prim_or_path)
    if not prim.IsA(UsdGeom.Xformable):
        raise PipelineError(f"set_local_to_world_transform: prim {prim.GetPath()} is not a UsdGeom.Xformable")
    if tuple(local_to_world.shape) != (4, 4):
        raise PipelineError(f"set_local_to_world_transform: local_to_world must be (4, 4), "
                            f"got {tuple(local_to_world.shape)}")
    code = time_code(time)
    parent_to_world = UsdGeom.XformCache(code).GetParentToWorldTransform(prim)
    wanted = Gf.Matrix4d(local_to_world.detach().to("cpu", torch.float64).T.numpy().tolist())
    UsdGeom.Xformable(prim).MakeMatrixXform().Set(wanted * parent_to_world.GetInverse(), code)
    if is_path(file_path_or_stage):
        stage.Save()
