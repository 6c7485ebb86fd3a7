"""Quality measures of a run: image metrics on held-out views and 3D metrics against a known mesh."""
from __future__ import annotations

import torch
from scipy.spatial import cKDTree

from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.ops.conversions import mesh_to_voxelgrid
from kaolin_pipeline.ops.mesh import face_normals, index_vertices_by_faces
from kaolin_pipeline.ops.metrics import chamfer_distance, f_score, iou, mask_iou_score
from kaolin_pipeline.ops.sampling import sample_points
from kaolin_pipeline.ops.metrics import psnr, psnr_foreground


def image_metrics(images: torch.Tensor, masks: torch.Tensor, target_images: torch.Tensor,
                  target_masks: torch.Tensor) -> dict[str, float]:
    """Mean mask IoU, PSNR (dB, whole image) and foreground PSNR (dB, inside the union of the masks) over views.

    Args:
        images, target_images: (N, H, W, 3) in [0, 1].
        masks, target_masks: (N, H, W) silhouettes in {0, 1}.
    """
    return {"mask_iou": float(mask_iou_score(masks, target_masks).mean()),
            "psnr": float(psnr(images.clamp(0, 1), target_images).mean()),
            "psnr_foreground": float(psnr_foreground(images.clamp(0, 1), target_images, masks, target_masks).mean())}


def _shared_box(*meshes: Mesh, resolution: int) -> tuple[torch.Tensor, float]:
    """Origin and size of a cube holding every mesh, with one voxel of margin on each side."""
    points = torch.cat([m.vertices for m in meshes])
    low, high = points.min(dim=0).values, points.max(dim=0).values
    size = float((high - low).max()) * resolution / (resolution - 2)
    return (low + high) / 2 - size / 2, size


def voxel_iou_of_meshes(prediction: Mesh, target: Mesh, resolution: int = 32) -> float:
    """IoU of the solid voxelisations of two closed meshes in one shared cube (R^3 voxels)."""
    origin, size = _shared_box(prediction, target, resolution=resolution)
    grids = [mesh_to_voxelgrid(m.vertices, m.faces, resolution, origin=origin, size=size, mode="solid").occupancy
             for m in (prediction, target)]
    return float(iou(grids[0].unsqueeze(0), grids[1].unsqueeze(0))[0])


def mesh_metrics(prediction: Mesh, target: Mesh, num_points: int = 20000, voxel_resolution: int = 32,
                 seed: int = 0) -> dict[str, float]:
    """3D agreement of a predicted mesh with the target.

    Returns:
        ``chamfer`` (Kaolin's squared-distance chamfer between ``num_points`` surface
        samples of each), ``f_score_1`` / ``f_score_2`` (F-score at 1% / 2% of the target's
        bounding-box diagonal) and ``voxel_iou`` (solid voxels at ``voxel_resolution``^3).
    """
    generator = torch.Generator(device=target.vertices.device).manual_seed(seed)
    pred_points = sample_points(prediction.vertices.unsqueeze(0), prediction.faces, num_points, generator=generator)[0]
    gt_points = sample_points(target.vertices.unsqueeze(0), target.faces, num_points, generator=generator)[0]
    diagonal = float((target.vertices.max(dim=0).values - target.vertices.min(dim=0).values).norm())
    return {
        "chamfer": float(chamfer_distance(pred_points, gt_points)[0]),
        "f_score_1": float(f_score(gt_points, pred_points, radius=0.01 * diagonal)[0]),
        "f_score_2": float(f_score(gt_points, pred_points, radius=0.02 * diagonal)[0]),
        "voxel_iou": voxel_iou_of_meshes(prediction, target, voxel_resolution),
    }


def _oriented_target(target: Mesh) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The target wound consistently, its own winding not trusted (trimesh).

    Duplicate positions are merged, faces are wound consistently within each connected part, and
    each closed part (every edge shared by two of its faces) is turned outward (positive volume).

    Returns:
        vertices (V', 3), faces (F, 3) long, the part of each face (F,) long, and whether each
        part is closed (P,) bool.
    """
    import numpy as np
    import trimesh
    from trimesh.graph import connected_component_labels

    mesh = trimesh.Trimesh(target.vertices.detach().cpu().double().numpy(), target.faces.cpu().numpy(),
                           process=True, validate=False)
    trimesh.repair.fix_winding(mesh)
    trimesh.repair.fix_inversion(mesh, multibody=True)
    parts = connected_component_labels(mesh.face_adjacency, node_count=len(mesh.faces))
    edges = mesh.edges_sorted.reshape(-1, 3, 2)
    keyed = np.concatenate([np.repeat(parts, 3)[:, None], edges.reshape(-1, 2)], axis=1)
    unique_edges, counts = np.unique(keyed, axis=0, return_counts=True)
    closed = np.ones(parts.max() + 1, dtype=bool)
    closed[unique_edges[counts != 2, 0]] = False
    return (torch.as_tensor(mesh.vertices, dtype=target.vertices.dtype), torch.as_tensor(mesh.faces, dtype=torch.long),
            torch.as_tensor(parts, dtype=torch.long), torch.as_tensor(closed))


def folded_faces(prediction: Mesh, target: Mesh, tolerance: float = 0.01, num_points: int = 100000,
                 neighbours: int = 64, seed: int = 0) -> int:
    """How many faces of ``prediction`` face the wrong way: their normal points against the
    target surface next to them (a fold, a crease, an inside-out patch).

    The target's winding is not trusted: its faces are first wound consistently within each
    connected part; a closed part is turned outward, an open one (a sheet, a scan with holes) to
    the side most of the predicted faces nearest to it face (a vote). So a target and its flipped
    twin (or one whose faces wind inward, or every which way) give the same count, while a
    prediction turned inside out against a closed target still counts every face. The target surface is represented by its face centres
    plus ``num_points`` area-weighted samples, each carrying the unit normal of its face. A
    predicted face counts when its unit normal has a negative dot product with the normal of the
    sample nearest its centre and with every other sample no more than ``tolerance`` × the
    target's bounding-box diagonal farther away (among the ``neighbours`` nearest). The tolerance
    keeps a rounded copy of a sharp edge whose two sides meet at more than 90° (a cone's rim) from
    counting: one side agrees with it. Degenerate (zero-area) predicted faces do not count.

    Args:
        prediction: a mesh with consistently oriented faces (outward normals for a closed mesh).
        target: a mesh, wound any way.
        tolerance: fraction of the target's bounding-box diagonal.
        num_points: samples on the target surface besides its face centres.
        neighbours: how many nearest samples are compared at most.
        seed: seed of the samples.
    """
    target_vertices, target_faces, parts, closed = _oriented_target(target)
    pred_corners = index_vertices_by_faces(prediction.vertices.unsqueeze(0), prediction.faces)[0]  # (F, 3, 3)
    pred_normals = face_normals(pred_corners.unsqueeze(0))[0].cpu().double()
    target_corners = index_vertices_by_faces(target_vertices.unsqueeze(0), target_faces)[0]
    target_normals = face_normals(target_corners.unsqueeze(0), unit=True)[0]
    generator = torch.Generator().manual_seed(seed)
    samples, sample_faces = sample_points(target_vertices.unsqueeze(0), target_faces, num_points, generator=generator)
    reference = torch.cat([target_corners.mean(dim=1), samples[0]]).double()
    reference_faces = torch.cat([torch.arange(len(target_faces)), sample_faces[0]])
    reference_normals = target_normals[reference_faces].double()
    diagonal = float((target_vertices.max(dim=0).values - target_vertices.min(dim=0).values).norm())
    k = min(neighbours, len(reference))
    distances, index = cKDTree(reference.numpy()).query(pred_corners.mean(dim=1).cpu().double().numpy(), k=k)
    distances, index = torch.as_tensor(distances).reshape(-1, k), torch.as_tensor(index).reshape(-1, k)
    nearest_part = parts[reference_faces[index[:, 0]]]
    nearest_cosine = (pred_normals * reference_normals[index[:, 0]]).sum(dim=-1)
    vote = torch.zeros(int(parts.max()) + 1, dtype=torch.float64).index_add_(0, nearest_part, nearest_cosine.sign())
    side = torch.where((vote < 0) & ~closed, -1.0, 1.0).to(torch.float64)[parts[reference_faces]]
    reference_normals = reference_normals * side.unsqueeze(-1)
    near = distances <= distances[:, :1] + tolerance * diagonal
    cosine = (pred_normals.unsqueeze(1) * reference_normals[index]).sum(dim=-1)
    agrees = ((cosine >= 0) & near).any(dim=1)
    return int((~agrees & (pred_normals.norm(dim=-1) > 0)).sum())
