"""ops.conversions.sdf: the coarse-to-fine lattice equals a dense evaluation at the final resolution (written
here with NumPy), while calling the SDF on fewer points."""
import numpy as np
import pytest
import torch

from kaolin_pipeline.errors import ArgumentTypeError
from kaolin_pipeline.ops.conversions.sdf import sdf_to_voxelgrids


def _dense(function, resolution, center, dim):
    axis = (np.arange(resolution + 1) / resolution - 0.5) * dim + center
    points = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), -1).reshape(-1, 3)
    return (function(torch.from_numpy(points).float()) <= 0).reshape((resolution + 1,) * 3).float()


@pytest.mark.parametrize("init_res,steps", [(4, 0), (6, 2), (8, 3)])
def test_refined_grid_equals_dense_sampling(init_res, steps):
    calls = []

    def box(points):  # an off-centre box, by its L-infinity distance
        calls.append(points.shape[0])
        return ((points - torch.tensor([0.3, -0.1, 0.2])).abs() - torch.tensor([0.6, 0.35, 0.5])).amax(-1)

    def ball(points):
        return (points - 0.2).norm(dim=-1) - 0.7

    out = sdf_to_voxelgrids([box, ball], bbox_center=0.25, bbox_dim=2.0, init_res=init_res, upsampling_steps=steps)
    resolution = init_res * 2 ** steps
    assert out.shape == (2, resolution + 1, resolution + 1, resolution + 1) and out.dtype == torch.float32
    assert torch.equal(out[0], _dense(box, resolution, 0.25, 2.0))
    assert torch.equal(out[1], _dense(ball, resolution, 0.25, 2.0))
    if steps >= 2:
        assert sum(calls[:-1]) < (resolution + 1) ** 3 / 2  # the refinement skipped most of the lattice


def test_argument_types_are_named():
    with pytest.raises(ArgumentTypeError, match=r"sdf\[0\] to be callable"):
        sdf_to_voxelgrids([0])
    with pytest.raises(ArgumentTypeError, match="init_res"):
        sdf_to_voxelgrids([abs], init_res=2.0)
