"""3D Gaussian splats in PLY files, in the layout of the 3D Gaussian Splatting paper's training code (Kaolin's
``kaolin.io.ply``).

One ``vertex`` element with one property per value, all ``float`` (written little-endian binary; read in any
PLY encoding through trimesh's parser):

- ``x y z``: positions; ``nx ny nz``: written as zeros, ignored on reading;
- ``f_dc_0..2``: the degree-0 SH coefficient per channel, ``sh_coeff[:, 0, c]``;
- ``f_rest_<i>``: the other ``S - 1`` coefficients channel by channel, ``f_rest_<c (S - 1) + k> =
  sh_coeff[:, 1 + k, c]``;
- ``opacity``: ``logit`` of the opacity; ``scale_<i>``: ``log`` of the scales; ``rot_<i>``: the quaternion
  ``(w, x, y, z)`` as stored (any length);
- any other ``<name>_<int>`` properties: ``features[name]``, a ``(N, K)`` tensor whose columns follow the
  integer suffixes (whatever the order in the file). Properties without an integer suffix are ignored.

Numbered properties are ordered by their suffix, not by their position in the file.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Callable, Dict, List, Optional

import numpy as np
import torch

from kaolin_pipeline.errors import OverwriteRefusedError, PipelineError
from kaolin_pipeline.io._fileutil import PathLike, atomic_path, check_readable, reading, to_numpy
from kaolin_pipeline.splats import GaussianSplatModel

__all__ = ["export_gaussiancloud", "import_gaussiancloud"]

#: Property-name prefixes of the standard layout, which ``features`` may not use.
RESERVED_PREFIXES = ("f_dc", "f_rest", "scale", "rot", "x", "y", "z", "nx", "ny", "nz", "opacity")
_NUMBERED = re.compile(r"^(.*)_(\d+)$")


def _numbered(names: List[str], base: str) -> List[str]:
    """The properties ``<base>_<int>`` of ``names`` in the order of their integer suffix."""
    found = [(int(match.group(2)), name) for name in names
             if (match := _NUMBERED.match(name)) and match.group(1) == base]
    return [name for _, name in sorted(found)]


def import_gaussiancloud(filename: PathLike, apply_activations: bool = True,
                         scale_activation: Callable = torch.exp,
                         rotation_activation: Callable = torch.nn.functional.normalize,
                         density_activation: Callable = torch.sigmoid) -> GaussianSplatModel:
    """The splats of a PLY file (layout in the module docstring) as float32 tensors on the CPU.

    With ``apply_activations`` (the default), the stored values go through ``density_activation`` (opacity,
    default sigmoid), ``scale_activation`` (default exp) and ``rotation_activation`` (default normalisation),
    so the result holds opacities in [0, 1], scales and unit quaternions; without, the stored values.

    Returns:
        (GaussianSplatModel): ``positions (N, 3)``, ``orientations (N, 4)``, ``scales (N, 3)``,
        ``opacities (N,)``, ``sh_coeff (N, S, 3)`` and ``features`` (a dict of ``(N, K)``, or None).

    Raises:
        MissingFileError: the file does not exist. LoadError: not a PLY file, or a property is missing.
    """
    path = check_readable(filename)
    with reading(path, "PLY Gaussian splats"):
        from trimesh.exchange.ply import load_ply

        with open(path, "rb") as handle:
            vertex = load_ply(handle)["metadata"]["_ply_raw"]["vertex"]
        names = list(vertex["properties"])

        def column(name: str) -> torch.Tensor:
            return torch.from_numpy(np.array(vertex["data"][name], dtype=np.float32).reshape(-1))

        def stacked(columns: List[str]) -> torch.Tensor:
            return torch.stack([column(name) for name in columns], dim=1)

        n = vertex["length"]
        rest = _numbered(names, "f_rest")
        if len(rest) % 3:
            raise PipelineError(f"{path}: {len(rest)} f_rest_* properties is not a multiple of 3")
        GaussianSplatModel.compute_sh_degree(len(rest) // 3 + 1)
        dc = stacked(["f_dc_0", "f_dc_1", "f_dc_2"]).unsqueeze(1)
        sh_rest = stacked(rest).reshape(n, 3, len(rest) // 3).transpose(1, 2) if rest else dc[:, :0]
        opacities, scales = column("opacity"), stacked(_numbered(names, "scale"))
        orientations = stacked(_numbered(names, "rot"))
        positions = stacked(["x", "y", "z"])

        consumed = {"x", "y", "z", "nx", "ny", "nz", "opacity", "f_dc_0", "f_dc_1", "f_dc_2"}
        consumed.update(rest, _numbered(names, "scale"), _numbered(names, "rot"))
        bases = dict.fromkeys(match.group(1) for name in names
                              if name not in consumed and (match := _NUMBERED.match(name)))
        features = {base: stacked(_numbered(names, base)) for base in bases} or None
    if apply_activations:
        opacities = density_activation(opacities)
        scales = scale_activation(scales)
        orientations = rotation_activation(orientations)
    return GaussianSplatModel(positions=positions, orientations=orientations, scales=scales, opacities=opacities,
                              sh_coeff=torch.cat([dc, sh_rest], dim=1), features=features)


def _feature_columns(features: Optional[Dict[str, torch.Tensor]], n: int, path: Path) -> Dict[str, np.ndarray]:
    """``{'<name>_<i>': column}`` of ``features`` after checking names, types and shapes."""
    if features is None:
        return {}
    if not isinstance(features, dict):
        raise PipelineError(f"{path}: features must be a dict of (N, K) tensors, got {type(features).__name__}")
    columns = {}
    for name, tensor in features.items():
        if not isinstance(name, str):
            raise PipelineError(f"{path}: features keys must be str, got {type(name).__name__}")
        if name in RESERVED_PREFIXES or name.startswith(tuple(prefix + "_" for prefix in RESERVED_PREFIXES)):
            raise PipelineError(f"{path}: features key {name!r} collides with the standard properties "
                                f"(names equal to or starting with one of {RESERVED_PREFIXES} + '_')")
        if not torch.is_tensor(tensor):
            raise PipelineError(f"{path}: features[{name!r}] must be a torch.Tensor, got {type(tensor).__name__}")
        if tensor.dim() != 2 or tensor.shape[0] != n:
            raise PipelineError(f"{path}: features[{name!r}] must have shape (N={n}, K), got {tuple(tensor.shape)}")
        values = to_numpy(tensor, f"features[{name!r}]", path, np.float32)
        columns.update({f"{name}_{i}": values[:, i] for i in range(values.shape[1])})
    return columns


def export_gaussiancloud(file_path: PathLike, positions: torch.Tensor, orientations: torch.Tensor,
                         scales: torch.Tensor, opacities: torch.Tensor, sh_coeff: torch.Tensor,
                         features: Optional[Dict[str, torch.Tensor]] = None, sh_degree: Optional[int] = None,
                         overwrite: bool = False) -> None:
    """Write splats to a binary PLY (layout in the module docstring), the inverse of :func:`import_gaussiancloud`
    with its default activations: opacities (clamped to [1e-6, 1 - 1e-6]) are stored as logits, scales as logs.

    Args:
        positions (torch.Tensor): ``(N, 3)``. orientations (torch.Tensor): ``(N, 4)`` quaternions ``(w, x, y, z)``.
        scales (torch.Tensor): ``(N, 3)``. opacities (torch.Tensor): ``(N,)`` in [0, 1].
        sh_coeff (torch.Tensor): ``(N, S, 3)``, ``S = (sh_degree + 1) ** 2``.
        features (dict, optional): ``{name: (N, K) tensor}``, written as ``<name>_0 .. <name>_<K-1>``.
        sh_degree (int, optional): checked against ``S`` when given.
        overwrite (bool): replace an existing file.

    Raises:
        OverwriteRefusedError: the file exists and ``overwrite`` is False (a ``RuntimeError``, as Kaolin's).
        PipelineError: ``sh_coeff`` or ``features`` is malformed (a ``ValueError``, as Kaolin's).
    """
    path = Path(file_path)
    if not overwrite and os.path.exists(path):
        raise OverwriteRefusedError(f"{path}: file exists; pass overwrite=True to replace it")
    if sh_coeff.dim() != 3 or sh_coeff.shape[2] != 3:
        raise PipelineError(f"{path}: sh_coeff must have shape (N, S, 3), got {tuple(sh_coeff.shape)}")
    n, num_sh = sh_coeff.shape[:2]
    degree = GaussianSplatModel.compute_sh_degree(num_sh) if sh_degree is None else sh_degree
    if GaussianSplatModel.compute_num_sh_coeff(degree) != num_sh:
        raise PipelineError(f"{path}: sh_coeff has {num_sh} coefficients, sh_degree {degree} needs "
                            f"{GaussianSplatModel.compute_num_sh_coeff(degree)}")
    sh = to_numpy(sh_coeff, "sh_coeff", path, np.float32)
    logits = torch.logit(opacities.detach().float().reshape(n).clamp(1e-6, 1.0 - 1e-6))
    log_scales = torch.log(scales.detach().float().clamp_min(1e-12))
    columns = {name: values for name, values in zip("xyz", to_numpy(positions, "positions", path, np.float32).T)}
    columns.update({name: np.zeros(n, np.float32) for name in ("nx", "ny", "nz")})
    columns.update({f"f_dc_{c}": sh[:, 0, c] for c in range(3)})
    rest = sh[:, 1:, :].transpose(0, 2, 1).reshape(n, -1)
    columns.update({f"f_rest_{i}": rest[:, i] for i in range(rest.shape[1])})
    columns["opacity"] = to_numpy(logits, "opacities", path, np.float32)
    for prefix, name, value in (("scale", "scales", log_scales), ("rot", "orientations", orientations)):
        columns.update({f"{prefix}_{i}": values for i, values in enumerate(to_numpy(value, name, path, np.float32).T)})
    columns.update(_feature_columns(features, n, path))

    table = np.empty(n, dtype=[(name, "<f4") for name in columns])
    for name, values in columns.items():
        table[name] = values
    header = "".join(["ply\nformat binary_little_endian 1.0\n", f"element vertex {n}\n",
                      *(f"property float {name}\n" for name in columns), "end_header\n"])
    with atomic_path(path) as temporary:
        temporary.write_bytes(header.encode("ascii") + table.tobytes())
