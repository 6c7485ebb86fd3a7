"""Loss terms against NumPy brute force, hand-computed cases and finite differences."""
import math

import numpy as np
import pytest
import torch

from kaolin_pipeline.ops.mesh import edge_adjacent_faces, mesh_edges, uniform_laplacian
from kaolin_pipeline.ops.metrics import psnr, psnr_foreground
from kaolin_pipeline.ops.regularizers import edge_length_loss, flatten_loss, laplacian_loss

# A unit square split in two triangles, and a tetrahedron.
SQUARE_FACES = torch.tensor([[0, 1, 2], [0, 2, 3]])
TETRA_FACES = torch.tensor([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])


def _numpy_laplacian_energy(points: np.ndarray, faces: np.ndarray) -> float:
    neighbours = [set() for _ in range(len(points))]
    for a, b, c in faces:
        for i, j in ((a, b), (b, c), (c, a)):
            neighbours[i].add(j)
            neighbours[j].add(i)
    total = 0.0
    for i, near in enumerate(neighbours):
        delta = np.mean([points[j] for j in near], axis=0) - points[i]
        total += float(delta @ delta)
    return total


def test_laplacian_loss_matches_brute_force():
    generator = torch.Generator().manual_seed(0)
    offsets = torch.randn(2, 4, 3, generator=generator, dtype=torch.float64)
    lap = uniform_laplacian(4, TETRA_FACES, dtype=torch.float64)
    expected = np.mean([_numpy_laplacian_energy(o.numpy(), TETRA_FACES.numpy()) for o in offsets])
    assert laplacian_loss(offsets, lap).item() == pytest.approx(expected, rel=1e-12)
    # a rigid translation has no Laplacian energy
    assert laplacian_loss(torch.ones(1, 4, 3, dtype=torch.float64), lap).item() == pytest.approx(0.0, abs=1e-12)


def test_flatten_loss_flat_and_folded():
    flat = torch.tensor([[[0.0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]]])
    adjacent = edge_adjacent_faces(SQUARE_FACES)
    assert adjacent.shape == (1, 2)
    assert flatten_loss(flat, SQUARE_FACES, adjacent).item() == pytest.approx(0.0, abs=1e-7)
    # fold the second triangle by 90 degrees about the diagonal: normals become orthogonal
    folded = flat.clone()
    folded[0, 3] = torch.tensor([0.5, 0.5, 0.0]) + torch.tensor([0.0, 0.0, math.sqrt(0.5)])
    assert flatten_loss(folded, SQUARE_FACES, adjacent).item() == pytest.approx(1.0, abs=1e-6)


def test_flatten_loss_of_a_regular_tetrahedron():
    # dihedral angle of a regular tetrahedron: cos(theta) = 1/3, so each edge costs (1 + 1/3) ** 2
    vertices = torch.tensor([[[1.0, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]], dtype=torch.float64)
    adjacent = edge_adjacent_faces(TETRA_FACES)
    assert adjacent.shape == (6, 2)
    assert flatten_loss(vertices, TETRA_FACES, adjacent).item() == pytest.approx(6 * (4 / 3) ** 2, rel=1e-10)


def test_regularisers_gradients_match_finite_differences():
    generator = torch.Generator().manual_seed(1)
    vertices = torch.tensor([[[1.0, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]], dtype=torch.float64)
    vertices = (vertices + 0.1 * torch.randn(vertices.shape, generator=generator, dtype=torch.float64))
    vertices.requires_grad_(True)
    adjacent, edges = edge_adjacent_faces(TETRA_FACES), mesh_edges(TETRA_FACES)
    lap = uniform_laplacian(4, TETRA_FACES, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda v: flatten_loss(v, TETRA_FACES, adjacent), (vertices,))
    assert torch.autograd.gradcheck(lambda v: edge_length_loss(v, edges), (vertices,))
    assert torch.autograd.gradcheck(lambda v: laplacian_loss(v, lap), (vertices,))


def test_edge_length_loss_is_the_variance_of_lengths():
    vertices = torch.tensor([[[0.0, 0, 0], [2, 0, 0], [2, 1, 0], [0, 1, 0]]])
    lengths = np.array([2.0, 1.0, math.sqrt(5.0), 1.0, 2.0])  # edges of the split rectangle
    assert mesh_edges(SQUARE_FACES).shape == (5, 2)
    assert edge_length_loss(vertices, mesh_edges(SQUARE_FACES)).item() == pytest.approx(lengths.var(), rel=1e-6)


def test_psnr_by_hand():
    target = torch.zeros(2, 3, 4, 4)
    prediction = target.clone()
    prediction[0] += 0.1  # MSE 0.01 -> 20 dB
    prediction[1, 0, 0, 0] = 1.0  # MSE 1/48
    values = psnr(prediction, target)
    assert values[0].item() == pytest.approx(20.0, rel=1e-5)
    assert values[1].item() == pytest.approx(10 * math.log10(48.0), rel=1e-5)
    assert torch.isinf(psnr(target, target)).all()


def test_psnr_foreground_counts_only_the_union_of_the_masks():
    target = torch.zeros(1, 4, 4, 3)
    prediction = target.clone()
    prediction[0, 0, 0] = 0.5  # one pixel wrong by 0.5 in every channel
    pred_mask = torch.zeros(1, 4, 4)
    target_mask = torch.zeros(1, 4, 4)
    pred_mask[0, 0, :2] = 1  # union: pixels (0,0), (0,1), (1,0) -> MSE 0.25 / 3
    target_mask[0, :2, 0] = 1
    expected = 10 * math.log10(3 / 0.25)
    assert psnr_foreground(prediction, target, pred_mask, target_mask).item() == pytest.approx(expected, rel=1e-5)
    # The whole-image PSNR is higher: 16 pixels dilute the same error.
    assert psnr(prediction, target).item() == pytest.approx(10 * math.log10(16 / 0.25), rel=1e-5)
