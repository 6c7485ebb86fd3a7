"""Large-steps smoothing of a per-vertex field with a sparse Cholesky solve (Nicolet et al. 2021).

``smooth(u) = (I + λ L)⁻¹ u`` with the symmetric normalised graph Laplacian
``L = I - D^-1/2 A D^-1/2`` of the mesh (``D`` the vertex degrees, ``A`` the adjacency). On a mesh
whose vertices all have the same degree, ``L`` is minus the umbrella Laplacian of
:func:`~kaolin_pipeline.ops.uniform_laplacian`, so λ means what it meant in the dense
``(I - λ L_umbrella)⁻¹`` that ``fit`` used before; unlike the umbrella Laplacian it is symmetric,
as a Cholesky factorisation needs (the ``largesteps`` package uses ``D - A``, whose λ grows with
the degree). The matrix is sparse and positive definite, so ``cholespy`` factorises it once and
every call costs two triangular solves (the backward pass is the same solve, the matrix being
symmetric): memory grows with the number of edges, not V².
"""
from __future__ import annotations

import torch

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops.mesh import adjacency_matrix


def large_steps_matrix(num_vertices: int, faces: torch.Tensor, weight: float) -> torch.Tensor:
    """``I + weight * (I - D^-1/2 A D^-1/2)`` as a coalesced sparse (V, V) float32 COO tensor on ``faces.device``.

    Args:
        num_vertices: V.
        faces: (F, 3) long vertex indices.
        weight: λ ≥ 0.
    """
    if not weight >= 0:
        raise PipelineError(f"weight must be non-negative, got {weight!r}")
    adjacency = adjacency_matrix(num_vertices, faces).coalesce()
    pairs = adjacency.indices()
    degree = torch.bincount(pairs[0], minlength=num_vertices).to(torch.float32)
    scale = degree.clamp(min=1).rsqrt()
    diagonal = torch.arange(num_vertices, device=faces.device).expand(2, -1)
    indices = torch.cat([pairs, diagonal], dim=1)
    values = torch.cat([-float(weight) * scale[pairs[0]] * scale[pairs[1]],
                        1.0 + weight * (degree > 0).to(torch.float32)])
    return torch.sparse_coo_tensor(indices, values, (num_vertices, num_vertices), check_invariants=True).coalesce()


class _Solve(torch.autograd.Function):
    """``x = M⁻¹ b`` for a symmetric ``M`` factorised by cholespy; the gradient is ``M⁻¹ grad``."""

    @staticmethod
    def forward(ctx, solver, right_hand_side):
        ctx.solver = solver
        return _solve(solver, right_hand_side)

    @staticmethod
    def backward(ctx, grad):
        return None, _solve(ctx.solver, grad)


def _solve(solver, right_hand_side: torch.Tensor) -> torch.Tensor:
    solution = torch.zeros_like(right_hand_side)
    solver.solve(right_hand_side.detach().contiguous(), solution)
    return solution


class LargeSteps:
    """``(I + λ L)⁻¹`` applied to (V, C) fields, differentiably (the solve's adjoint is the same solve).

    Args:
        num_vertices: V.
        faces: (F, 3) long vertex indices.
        weight: λ; 0 is the identity.
    """

    def __init__(self, num_vertices: int, faces: torch.Tensor, weight: float):
        self.weight = float(weight)
        self.matrix = large_steps_matrix(num_vertices, faces, weight)
        self._solver = None

    def _factorised(self):
        if self._solver is None:
            from cholespy import CholeskySolverF, MatrixType
            indices = self.matrix.indices()
            self._solver = CholeskySolverF(self.matrix.shape[0], indices[0], indices[1], self.matrix.values(),
                                           MatrixType.COO)
        return self._solver

    def __call__(self, field: torch.Tensor) -> torch.Tensor:
        """(V, C) field → (V, C) smoothed field of the same dtype."""
        if self.weight == 0:
            return field
        if field.device != self.matrix.device:
            raise PipelineError(f"field is on {field.device}, the smoothing matrix on {self.matrix.device}")
        return _Solve.apply(self._factorised(), field.float()).to(field.dtype)
