"""What a triangle mesh is made of: connected parts, open boundary, genus, extent (trimesh's graph code)."""
from __future__ import annotations

import dataclasses

import numpy as np
import torch


@dataclasses.dataclass(frozen=True)
class MeshTopology:
    """Topology of a triangle mesh, counted after merging vertices at equal positions.

    Attributes:
        faces: F.
        parts: connected parts (faces sharing an edge).
        closed_parts: parts whose every edge is shared by exactly two of their faces.
        boundary_edges: edges used by one face only (an open boundary).
        nonmanifold_edges: edges used by more than two faces.
        genus: sum of the genera of the closed parts (``1 - χ/2`` each), None when no part is closed.
        largest_part: fraction of the surface area in the largest part.
        extent: (3,) size of the axis-aligned bounding box, in the mesh's units.
    """

    faces: int
    parts: int
    closed_parts: int
    boundary_edges: int
    nonmanifold_edges: int
    genus: int | None
    largest_part: float
    extent: tuple[float, float, float]

    @property
    def soup(self) -> bool:
        """Most parts hold at most two faces: a triangle soup (faces not joined into a surface)."""
        return self.parts >= max(8, self.faces // 3)

    def describe(self) -> str:
        """One line for a user, e.g. ``3476 faces, 1 part (closed), genus 9, extent 1 x 2 x 0.5``."""
        size = " x ".join(f"{value:.4g}" for value in self.extent)
        parts = f"{self.parts} part{'s' if self.parts != 1 else ''}"
        if self.parts > 1:
            parts += f" ({self.closed_parts} closed; the largest holds {self.largest_part:.0%} of the area)"
        elif self.closed_parts:
            parts += " (closed)"
        text = f"{self.faces} faces, {parts}"
        if self.boundary_edges:
            text += f", {self.boundary_edges} open boundary edges"
        if self.nonmanifold_edges:
            text += f", {self.nonmanifold_edges} edges shared by more than two faces"
        if self.genus is not None:
            text += f", genus {self.genus}" + (" (closed parts)" if self.closed_parts < self.parts else "")
        return text + f", extent {size} (file units)"


def mesh_topology(vertices: torch.Tensor, faces: torch.Tensor) -> MeshTopology:
    """Count the parts, open edges and genus of a mesh given as vertices (V, 3) and faces (F, 3) long."""
    import trimesh
    from trimesh.graph import connected_component_labels

    mesh = trimesh.Trimesh(vertices.detach().cpu().double().numpy(), faces.cpu().numpy(), process=True, validate=False)
    labels = connected_component_labels(mesh.face_adjacency, node_count=len(mesh.faces))
    count = int(labels.max()) + 1 if len(labels) else 0
    edges = mesh.edges_sorted  # (3F, 2), edge k of face k // 3
    keyed = np.concatenate([np.repeat(labels, 3)[:, None], edges], axis=1)
    unique_edges, uses = np.unique(keyed, axis=0, return_counts=True)
    closed = np.ones(count, dtype=bool)
    closed[unique_edges[uses != 2, 0]] = False
    genus = None
    if closed.any():
        # Per closed part: χ = V - E + F over its own vertices, edges and faces.
        part_faces = np.bincount(labels, minlength=count)
        part_edges = np.bincount(unique_edges[:, 0], minlength=count)
        corners = np.unique(np.stack([np.repeat(labels, 3), mesh.faces.reshape(-1)], axis=1), axis=0)
        part_vertices = np.bincount(corners[:, 0], minlength=count)
        euler = part_vertices - part_edges + part_faces
        genus = int((1 - euler[closed] // 2).sum())
    areas = np.bincount(labels, weights=mesh.area_faces, minlength=count)
    return MeshTopology(
        faces=len(mesh.faces), parts=count, closed_parts=int(closed.sum()),
        boundary_edges=int((uses == 1).sum()), nonmanifold_edges=int((uses > 2).sum()), genus=genus,
        largest_part=float(areas.max() / max(areas.sum(), 1e-30)) if count else 0.0,
        extent=tuple(float(x) for x in mesh.extents) if len(mesh.vertices) else (0.0, 0.0, 0.0))
