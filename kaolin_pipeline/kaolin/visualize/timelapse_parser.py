"""Kaolin's ``TimelapseParser`` API over :class:`kaolin_pipeline.export.timelapse.TimelapseReader`."""
from __future__ import annotations

import dataclasses
import os
from typing import Optional

from kaolin_pipeline.export.timelapse import TimelapseReader

__all__ = ["TimelapseParser"]

_KINDS = ("mesh", "pointcloud", "voxelgrid")


class TimelapseParser:
    """Summarise a Timelapse log directory as Kaolin's ``kaolin.visualize.TimelapseParser`` does.

    Attributes:
        logdir: the log directory.
        filepaths: ``{(type, category, id): path}`` of every Timelapse file, ``type`` one of
            ``'mesh'``, ``'pointcloud'``, ``'voxelgrid'``.
        dir_info: ``{type: [{'category', 'ids', 'end_time'}]}`` sorted by category, ``end_time`` the
            last logged iteration of the category.
    """

    @dataclasses.dataclass
    class CategoryInfo:
        """One category of one type: the item ids logged in it and its last logged iteration."""
        category: str
        ids: list = dataclasses.field(default_factory=list)
        end_time: int = 0

        def serializable(self) -> dict:
            """``{'category', 'ids', 'end_time'}``, the form of the entries of ``dir_info``."""
            return {"category": self.category, "ids": list(self.ids), "end_time": self.end_time}

    def __init__(self, log_dir: str | os.PathLike):
        self.logdir = log_dir
        self._reader = TimelapseReader(log_dir)
        self._scan()

    def _scan(self) -> None:
        self.filepaths = {}
        for category in self._reader.categories:
            for kind in _KINDS:
                for item in self._reader.ids(category, kind):
                    self.filepaths[(kind, category, item)] = str(self._reader.path(category, kind, item))
        self.timestamps = {path: os.stat(path).st_mtime_ns for path in self.filepaths.values()}
        info: dict[str, dict[str, TimelapseParser.CategoryInfo]] = {kind: {} for kind in _KINDS}
        for (kind, category, item) in sorted(self.filepaths):
            iterations = self._reader.iterations(category, kind, item)
            entry = info[kind].setdefault(category, self.CategoryInfo(category))
            entry.ids.append(item)
            entry.end_time = max(entry.end_time, iterations[-1] if iterations else 0)
        self.dir_info = {kind: [info[kind][c].serializable() for c in sorted(info[kind])] for kind in _KINDS}

    def get_file_path(self, type: str, category: str, id: int) -> Optional[str]:
        """The file of item ``id`` of ``category`` and ``type``, or None."""
        return self.filepaths.get((type, category, int(id)))

    def check_for_updates(self) -> bool:
        """Rescan the log directory; True if files were added or changed since the last scan."""
        before = self.timestamps
        self._scan()
        return self.timestamps != before

    def _count(self, kind: str) -> int:
        return sum(len(entry["ids"]) for entry in self.dir_info[kind])

    def num_mesh_items(self) -> int:
        return self._count("mesh")

    def num_pointcloud_items(self) -> int:
        return self._count("pointcloud")

    def num_voxelgrid_items(self) -> int:
        return self._count("voxelgrid")

    def num_mesh_categories(self) -> int:
        return len(self.dir_info["mesh"])

    def num_pointcloud_categories(self) -> int:
        return len(self.dir_info["pointcloud"])

    def num_voxelgrid_categories(self) -> int:
        return len(self.dir_info["voxelgrid"])

    def get_category_names_by_type(self, type: str) -> list[str]:
        """Category names holding items of ``type``."""
        return [entry["category"] for entry in self.dir_info.get(type, [])]

    def get_category_info(self, type: str, category: str) -> Optional[dict]:
        """``{'category', 'ids', 'end_time'}`` of one category, or None."""
        return next((entry for entry in self.dir_info.get(type, []) if entry["category"] == category), None)
