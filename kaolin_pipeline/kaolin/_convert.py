"""What the Kaolin layer converts, in one place: the UV convention, our ``Mesh`` to ``SurfaceMesh``, and the
refusal of Kaolin arguments this project does not support.

UVs: the project stores texture coordinates as files do (origin at the texture's bottom-left, ``v`` up; what
``texture_mapping`` samples). Kaolin's importers (``kaolin.io.obj.import_mesh``, ``kaolin.io.usd.import_mesh``)
return ``v' = 1 - v`` and its USD exporter flips back; :func:`flip_v` is that change, applied here only.
"""
from __future__ import annotations

from typing import Any, Optional

import torch

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.kaolin.rep.surface_mesh import SurfaceMesh
from kaolin_pipeline.structures import Mesh


def flip_v(uvs: Optional[torch.Tensor]) -> Optional[torch.Tensor]:
    """(..., 2) UVs with ``v`` replaced by ``1 - v``: the project's convention to Kaolin's importers' and back."""
    if uvs is None:
        return None
    return torch.stack([uvs[..., 0], 1 - uvs[..., 1]], dim=-1)


def refuse_unsupported(function: str, **arguments: tuple[Any, Any]) -> None:
    """Raise :class:`PipelineError` naming each argument given a value other than the one supported.

    ``arguments`` maps a Kaolin argument name to ``(value given, the only value supported)``.
    """
    bad = [f"{name}={value!r}" for name, (value, supported) in arguments.items()
           if value is not supported and value != supported]
    if bad:
        raise PipelineError(f"{function}: {', '.join(bad)} not supported by kaolin-pipeline "
                            f"(supported: {', '.join(f'{n}={s!r}' for n, (_, s) in arguments.items())})")


def surface_mesh(mesh: Mesh, with_uvs: bool, with_normals: bool, with_materials: bool) -> SurfaceMesh:
    """The unbatched :class:`SurfaceMesh` of a loaded :class:`Mesh`, with Kaolin's UV convention.

    Normals become ``normals`` with ``face_normals_idx = faces`` (our loaders keep one normal per vertex).
    """
    keep_uvs = with_uvs and mesh.uvs is not None
    keep_normals = with_normals and mesh.vertex_normals is not None
    return SurfaceMesh(
        vertices=mesh.vertices, faces=mesh.faces,
        uvs=flip_v(mesh.uvs) if keep_uvs else None,
        face_uvs_idx=mesh.face_uvs_idx if keep_uvs else None,
        normals=mesh.vertex_normals if keep_normals else None,
        face_normals_idx=mesh.faces if keep_normals else None,
    )
