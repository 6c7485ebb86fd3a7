"""Vertices split along a mesh's creases, so that smooth shading keeps its hard edges.

Smooth shading averages the normals of the faces around each vertex. A mesh whose file gives no
normals (STL, OFF, most PLY) shares one vertex between faces that meet at a sharp edge, so a CAD part
is drawn with its flat sides bent into one another. Viewers draw such files with an angle threshold
(trimesh's ``smooth_shaded``, Blender's auto-smooth): faces meeting at a sharper angle do not share
normals. :func:`split_creases` gives the mesh that our renderer, which always shades with the vertex
normals of the geometry, draws that way: each vertex is split into one copy per fan of faces joined by
smooth edges (or, where the file has normals, per normal it gives the vertex).
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from kaolin_pipeline.ops.mesh import face_normals, index_vertices_by_faces, interior_side_pairs
from kaolin_pipeline.structures import Mesh


def corner_groups(vertices: torch.Tensor, faces: torch.Tensor, angle: float = 30.0) -> torch.Tensor:
    """The smoothing group of every face corner: corners of one vertex share a group when their faces
    are joined, around that vertex, through edges where neighbouring faces meet at less than ``angle``.

    Args:
        vertices: (V, 3).
        faces: (F, 3) long.
        angle: the crease angle in degrees, between face normals (0: every face flat, 180: one group per vertex
            as far as edges join them).

    Returns:
        (F, 3) long group ids in ``[0, G)``; corners of different vertices are never in one group.
    """
    num_faces = faces.shape[0]
    corner_vertex = faces.reshape(-1)  # corner 3f + k is vertex faces[f, k]
    start = torch.arange(3 * num_faces, device=faces.device)  # side 3f + k starts at corner 3f + k ...
    end = (start // 3) * 3 + (start % 3 + 1) % 3  # ... and ends at the next corner of the same face
    lo_first = corner_vertex[start] < corner_vertex[end]
    lo_corner, hi_corner = torch.where(lo_first, start, end), torch.where(lo_first, end, start)
    a, b = interior_side_pairs(faces)  # the two sides of each edge of exactly two faces
    normals = face_normals(index_vertices_by_faces(vertices.unsqueeze(0), faces), unit=True)[0]
    smooth = (normals[a // 3] * normals[b // 3]).sum(-1) >= math.cos(math.radians(angle))
    a, b = a[smooth], b[smooth]
    rows = torch.cat([lo_corner[a], hi_corner[a]]).cpu().numpy()
    cols = torch.cat([lo_corner[b], hi_corner[b]]).cpu().numpy()
    graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(3 * num_faces, 3 * num_faces))
    _, labels = connected_components(graph, directed=False)
    return torch.from_numpy(labels).to(faces.device).reshape(num_faces, 3)


def split_creases(mesh: Mesh, angle: float = 30.0) -> Mesh:
    """``mesh`` with each vertex split into one copy per smoothing group of its corners: the groups the
    file's own normals make (``normals``/``face_normals_idx``: corners of a vertex with the same normal
    index), else :func:`corner_groups` at ``angle`` degrees. Positions, UVs, colours and materials are
    kept, so the mesh looks the same except where smooth shading bent a crease.

    Returns:
        :class:`Mesh` with faces (F, 3) into vertices (V', 3), V' ≥ V (vertices no face uses are dropped),
        and no stored normals.
    """
    if mesh.normals is not None and mesh.face_normals_idx is not None:
        pairs = torch.stack([mesh.faces.reshape(-1), mesh.face_normals_idx.reshape(-1)], dim=1)
        groups = torch.unique(pairs, dim=0, return_inverse=True)[1].reshape(-1, 3)
    else:
        groups = corner_groups(mesh.vertices, mesh.faces, angle)
    labels, faces = torch.unique(groups, return_inverse=True)
    source = torch.zeros(labels.shape[0], dtype=torch.long, device=mesh.faces.device)
    source[faces.reshape(-1)] = mesh.faces.reshape(-1)
    return dataclasses.replace(
        mesh, vertices=mesh.vertices[source], faces=faces.reshape(-1, 3),
        vertex_colors=None if mesh.vertex_colors is None else mesh.vertex_colors[source],
        vertex_tangents=None if mesh.vertex_tangents is None else mesh.vertex_tangents[source],
        vertex_normals=None, normals=None, face_normals_idx=None)
