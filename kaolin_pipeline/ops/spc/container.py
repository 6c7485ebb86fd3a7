"""``Spc``: a packed batch of octrees with its derived structures, computed on first use."""
from __future__ import annotations

import torch

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops.spc.dense import feature_grids_to_spc
from kaolin_pipeline.ops.spc.exsum import ensure_current_exsum
from kaolin_pipeline.ops.spc.octree import SPC_KEYS, create_dense_spc, generate_points, scan_octrees

__all__ = ["Spc"]


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise PipelineError(f"Spc: {message}")


class Spc:
    """A structured point cloud batch (Kaolin's ``kaolin.rep.Spc``).

    Fields: ``octrees`` (uint8 ``(num_bytes,)``, packed), ``lengths`` (int32 ``(B,)``, CPU), ``features``
    (optional, one row per deepest-level cell). ``max_level``, ``pyramids`` (int32 ``(B, 2, max_level + 2)``,
    CPU) and ``exsum`` (int32 ``(num_bytes,)``) come from :func:`scan_octrees`, ``point_hierarchies`` (int16
    ``(num_points, 3)``) from :func:`generate_points`; each is computed once, when first read, unless given.
    ``to_dict()`` gives the fields that SPC functions take as keywords (``conv3d(**spc.to_dict(), ...)``).
    """

    KEYS = SPC_KEYS

    def __init__(self, octrees, lengths, max_level=None, pyramids=None, exsum=None, point_hierarchies=None,
                 features=None):
        _require(isinstance(octrees, torch.Tensor) and octrees.dtype == torch.uint8 and octrees.ndim == 1,
                 "octrees must be a 1D uint8 tensor")
        _require(isinstance(lengths, torch.Tensor) and lengths.dtype == torch.int32 and lengths.ndim == 1,
                 "lengths must be a 1D int32 tensor")
        _require(max_level is None or isinstance(max_level, int), "max_level must be an int")
        if pyramids is not None:
            _require(isinstance(pyramids, torch.Tensor) and pyramids.dtype == torch.int32 and pyramids.ndim == 3
                     and pyramids.shape[:2] == (lengths.shape[0], 2)
                     and (max_level is None or pyramids.shape[2] == max_level + 2),
                     "pyramids must be an int32 tensor of shape (batch_size, 2, max_level + 2)")
            _require(not pyramids.is_cuda, "pyramids must be on the CPU")
        if exsum is not None:
            _require(isinstance(exsum, torch.Tensor) and exsum.dtype == torch.int32 and exsum.ndim == 1
                     and exsum.device == octrees.device, "exsum must be a 1D int32 tensor on octrees' device")
            exsum = ensure_current_exsum(exsum, lengths, "Spc")
        if point_hierarchies is not None:
            _require(isinstance(point_hierarchies, torch.Tensor) and point_hierarchies.dtype == torch.int16
                     and point_hierarchies.ndim == 2 and point_hierarchies.shape[1] == 3
                     and point_hierarchies.device == octrees.device,
                     "point_hierarchies must be an int16 tensor of shape (num_points, 3) on octrees' device")
        if features is not None:
            _require(isinstance(features, torch.Tensor) and features.device == octrees.device,
                     "features must be a tensor on octrees' device")
        self.octrees = octrees
        self.lengths = lengths
        self._max_level = max_level
        self._pyramids = pyramids
        self._exsum = exsum
        self._point_hierarchies = point_hierarchies
        self.features = features

    @classmethod
    def make_dense(cls, level: int, device="cuda") -> "Spc":
        """A single full octree of depth ``level`` (every cell of the ``2^level`` grid occupied)."""
        octree, lengths = create_dense_spc(level, device)
        return cls(octrees=octree, lengths=lengths)

    @classmethod
    def from_features(cls, feature_grids: torch.Tensor, masks: torch.Tensor = None) -> "Spc":
        """The SPC of dense grids ``(B, D, X, Y, Z)`` (see :func:`feature_grids_to_spc`), with ``features``."""
        octrees, lengths, features = feature_grids_to_spc(feature_grids, masks=masks)
        return cls(octrees=octrees, lengths=lengths, features=features)

    @classmethod
    def from_list(cls, octrees_list) -> "Spc":
        """A batch of the octrees of a list of 1D uint8 tensors."""
        lengths = torch.tensor([o.numel() for o in octrees_list], dtype=torch.int32)
        return cls(torch.cat([o.reshape(-1) for o in octrees_list]).contiguous(), lengths)

    def _scan(self) -> None:
        self._max_level, self._pyramids, self._exsum = scan_octrees(self.octrees, self.lengths)

    @property
    def max_level(self) -> int:
        if self._max_level is None:
            self._scan()
        return self._max_level

    @property
    def pyramids(self) -> torch.Tensor:
        if self._pyramids is None:
            self._scan()
        return self._pyramids

    @property
    def exsum(self) -> torch.Tensor:
        if self._exsum is None:
            self._scan()
        return self._exsum

    @property
    def point_hierarchies(self) -> torch.Tensor:
        if self._point_hierarchies is None:
            self._point_hierarchies = generate_points(self.octrees, self.pyramids, self.exsum)
        return self._point_hierarchies

    @property
    def batch_size(self) -> int:
        return self.lengths.shape[0]

    def num_points(self, lod: int) -> torch.Tensor:
        """The number of cells of each octree at level ``lod``, ``(B,)``."""
        return self.pyramids[:, 0, lod]

    def to_dict(self, keys=None) -> dict:
        """``{name: value}`` for ``keys`` (default all of :attr:`KEYS`), computing what is needed."""
        return {k: getattr(self, k) for k in (self.KEYS if keys is None else keys)}

    def to(self, device, non_blocking: bool = False, memory_format=torch.preserve_format) -> "Spc":
        """This SPC on ``device`` (itself if already there); ``pyramids`` and ``lengths`` stay on the CPU."""
        moved = self.octrees.to(device=device, non_blocking=non_blocking, memory_format=memory_format)
        if moved.data_ptr() == self.octrees.data_ptr():
            return self

        def move(t):
            return None if t is None else t.to(device=device, non_blocking=non_blocking, memory_format=memory_format)

        return Spc(moved, self.lengths, self._max_level, self._pyramids, move(self._exsum),
                   move(self._point_hierarchies), move(self.features))

    def cuda(self, device="cuda", non_blocking: bool = False, memory_format=torch.preserve_format) -> "Spc":
        return self.to(device, non_blocking, memory_format)

    def cpu(self, memory_format=torch.preserve_format) -> "Spc":
        return self.to("cpu", memory_format=memory_format)

    def __repr__(self) -> str:
        feats = "None" if self.features is None else f"{tuple(self.features.shape)} {self.features.dtype}"
        return (f"Spc(batch_size={self.batch_size}, octrees={self.octrees.shape[0]} bytes on "
                f"{self.octrees.device}, lengths={self.lengths.tolist()}, features={feats})")
