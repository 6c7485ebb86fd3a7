"""ops.voxelgrid against independent references: scipy.ndimage (hole filling, erosion for the surface
shells), NumPy block means, and per-column loops for the orthographic depth maps."""
import numpy as np
import pytest
import torch
from scipy import ndimage

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops.voxelgrid import downsample, extract_odms, extract_surface, fill, project_odms


def _random_grids(seed, batch=3, size=7, density=0.6):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(batch, size, size, size, generator=generator) < density


def test_downsample_is_the_block_mean():
    grids = torch.rand(2, 6, 4, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    out = downsample(grids, [3, 2, 1])
    expected = grids.numpy().reshape(2, 2, 3, 2, 2, 6, 1).mean(axis=(2, 4, 6))
    assert out.dtype == torch.float64 and np.allclose(out.numpy(), expected, rtol=0, atol=1e-12)
    assert downsample(grids > 0.5, 2).dtype == torch.float32
    with pytest.raises(PipelineError, match="at least 1"):
        downsample(grids, [0, 1, 1])


@pytest.mark.parametrize("mode,connectivity", [("wide", 3), ("thin", 1)])
def test_surface_is_what_erosion_removes(mode, connectivity):
    grids = _random_grids(1)
    structure = ndimage.generate_binary_structure(3, connectivity)
    for grid, shell in zip(grids, extract_surface(grids.float(), mode)):
        inner = ndimage.binary_erosion(grid.numpy(), structure=structure, border_value=0)
        assert np.array_equal(shell.numpy(), grid.numpy() & ~inner)


def test_fill_matches_scipy_binary_fill_holes():
    grids = _random_grids(2, batch=4, size=9, density=0.75)
    grids[0] = True
    grids[0, 3:6, 3:6, 3:6] = False  # a closed cavity
    out = fill(grids.double())
    assert out.dtype == torch.bool and out[0].all()
    for grid, filled in zip(grids, out):
        assert np.array_equal(filled.numpy(), ndimage.binary_fill_holes(grid.numpy()))


def _odms_by_loops(grid):
    size = grid.shape[0]
    odms = np.full((6, size, size), size)
    views = [grid, grid.transpose(0, 2, 1), grid.transpose(1, 2, 0)]  # columns along z, y, x, indexed as documented
    for pair, volume in enumerate(views):
        for i in range(size):
            for j in range(size):
                hits = np.nonzero(volume[i, j])[0]
                if len(hits):
                    odms[2 * pair, i, j] = size - 1 - hits[-1]
                    odms[2 * pair + 1, i, j] = hits[0]
    return odms


def test_odms_match_column_loops_and_carve_back_to_a_box():
    grids = _random_grids(3, batch=2, size=5, density=0.3)
    grids[1] = False
    out = extract_odms(grids)
    assert out.dtype == torch.long and out.shape == (2, 6, 5, 5)
    for grid, odms in zip(grids, out):
        assert np.array_equal(odms.numpy(), _odms_by_loops(grid.numpy()))
    box = torch.zeros(1, 6, 6, 6, dtype=torch.bool)
    box[0, 1:4, 2:6, 0:3] = True
    assert torch.equal(project_odms(extract_odms(box)), box)  # a box is its own visual hull


def test_project_odms_counts_votes_per_voxel():
    size = 4
    odms = torch.randint(0, size + 1, (2, 6, size, size), generator=torch.Generator().manual_seed(4))
    votes = np.zeros((2, size, size, size), dtype=int)
    for b in range(2):
        for x in range(size):
            for y in range(size):
                for z in range(size):
                    columns = [(z, x, y), (y, x, z), (x, y, z)]
                    for pair, (k, i, j) in enumerate(columns):
                        votes[b, x, y, z] += (k >= size - odms[b, 2 * pair, i, j].item())
                        votes[b, x, y, z] += (k < odms[b, 2 * pair + 1, i, j].item())
    for needed in (1, 3):
        assert np.array_equal(project_odms(odms, votes=needed).numpy(), votes < needed)
    base = _random_grids(5, batch=2, size=size)
    assert np.array_equal(project_odms(odms, base, votes=2).numpy(), base.numpy() & (votes < 2))
