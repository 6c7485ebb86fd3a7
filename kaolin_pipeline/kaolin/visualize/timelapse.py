"""Kaolin's ``Timelapse`` call pattern over :class:`kaolin_pipeline.export.timelapse.Timelapse`; ``TimelapseParser``
also under this module, as in Kaolin."""
from __future__ import annotations

from typing import Optional, Sequence

from kaolin_pipeline.errors import SaveError
from kaolin_pipeline.export import timelapse
from kaolin_pipeline.kaolin._convert import flip_v
from kaolin_pipeline.kaolin.visualize.timelapse_parser import TimelapseParser

__all__ = ["Timelapse", "TimelapseParser"]


class Timelapse(timelapse.Timelapse):
    """:class:`kaolin_pipeline.export.timelapse.Timelapse`, also taking Kaolin's topology-only calls.

    Kaolin code often logs a mesh's topology once, without vertices (``add_mesh_batch(iteration=0,
    faces_list=..., uvs_list=..., face_uvs_idx_list=...)``), then only ``vertices_list`` and materials.
    Such a call is held here and its topology written with the first vertices of each mesh (and reused
    whenever later calls leave it out). ``uvs_list`` is in Kaolin's convention (``v' = 1 - v``, as
    ``kaolin.io.usd.add_mesh`` takes it), so a Kaolin ``io.usd.import_mesh`` of the file reads it back unchanged.
    """

    def __init__(self, log_dir, up_axis: str = "Y"):
        super().__init__(log_dir, up_axis)
        self._topology: dict[tuple[str, int], dict] = {}

    def add_mesh_batch(self, iteration: int = 0, category: str = "", vertices_list: Optional[Sequence] = None,
                       faces_list: Optional[Sequence] = None, uvs_list: Optional[Sequence] = None,
                       face_uvs_idx_list: Optional[Sequence] = None, face_normals_list: Optional[Sequence] = None,
                       materials_list: Optional[Sequence] = None) -> None:
        given = {"faces_list": faces_list, "uvs_list": uvs_list, "face_uvs_idx_list": face_uvs_idx_list}
        if vertices_list is None:
            if faces_list is None or face_normals_list is not None or materials_list is not None:
                raise SaveError(f"{self.logdir}: add_mesh_batch without vertices_list takes only the topology "
                                "(faces_list, uvs_list, face_uvs_idx_list)")
            for name, values in given.items():
                for index, value in enumerate(values or []):
                    self._topology.setdefault((category, index), {})[name] = value
            return
        for name in given:
            if given[name] is None and any(name in self._topology.get((category, i), {})
                                           for i in range(len(vertices_list))):
                given[name] = [self._topology.get((category, i), {}).get(name) for i in range(len(vertices_list))]
        if given["uvs_list"] is not None:
            given["uvs_list"] = [flip_v(uvs) for uvs in given["uvs_list"]]
        super().add_mesh_batch(iteration, category, vertices_list, face_normals_list=face_normals_list,
                               materials_list=materials_list, **given)
