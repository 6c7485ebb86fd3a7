"""kaolin_pipeline.render.spc: ray hits against a float64 slab test on every occupied voxel, hand-computed
depths, and packed scans/reductions against per-pack torch loops."""
import numpy as np
import pytest
import torch

import kaolin_pipeline.kaolin as kal
from kaolin_pipeline.errors import RenderError
from kaolin_pipeline.ops import spc
from kaolin_pipeline.render import spc as render_spc


def _spc_of(cells, level):
    octree = spc.unbatched_points_to_octree(cells, level)
    return spc.Spc(octree, torch.tensor([octree.shape[0]], dtype=torch.int32))


def _brute_force_hits(cells, level, origin, direction):
    """Per ray, the (entry, exit, voxel) of every occupied voxel it crosses in front of the origin, nearest
    first: the slab test in float64 on each voxel."""
    size = 2.0 / 2 ** level
    lo = cells.astype(np.float64) * size - 1
    hi = lo + size
    hits = []
    for o, d in zip(origin, direction):
        with np.errstate(divide="ignore"):
            t1, t2 = (lo - o) / d, (hi - o) / d
        near = np.minimum(t1, t2).max(1)
        far = np.maximum(t1, t2).min(1)
        keep = np.nonzero((far > near) & (near >= 0))[0]
        hits.append(sorted((near[i], far[i], i) for i in keep))
    return hits


def test_raytrace_matches_a_slab_test_on_every_voxel():
    level = 3
    g = torch.Generator().manual_seed(0)
    cells = torch.unique(torch.randint(0, 2 ** level, (120, 3), generator=g, dtype=torch.int16), dim=0)
    s = _spc_of(cells, level)
    n = 300
    target = torch.rand((n, 3), generator=g, dtype=torch.float64) * 1.6 - 0.8
    origin = torch.randn((n, 3), generator=g, dtype=torch.float64)
    origin = origin / origin.norm(dim=1, keepdim=True) * 3
    origin[:40] = torch.rand((40, 3), generator=g, dtype=torch.float64) * 1.8 - 0.9  # rays starting inside
    direction = target - origin
    ridx, pidx, depth = render_spc.unbatched_raytrace(s.octrees, s.point_hierarchies, s.pyramids[0], s.exsum,
                                                      origin, direction, level, with_exit=True)
    assert ridx.dtype == pidx.dtype == torch.int32 and depth.shape == (ridx.shape[0], 2)
    leaves = s.point_hierarchies[int(s.pyramids[0, 1, level]):].numpy()
    expected = _brute_force_hits(leaves, level, origin.numpy(), direction.numpy())
    assert ridx.tolist() == [r for r, h in enumerate(expected) for _ in h]
    assert (pidx - s.pyramids[0, 1, level]).tolist() == [i for h in expected for _, _, i in h]
    assert np.allclose(depth.numpy(), [(a, b) for h in expected for a, b, _ in h])
    coarse = render_spc.unbatched_raytrace(s.octrees, s.point_hierarchies, s.pyramids[0], s.exsum, origin,
                                           direction, 1, return_depth=False)
    parents = spc.unbatched_get_level_points(s.point_hierarchies, s.pyramids[0], 1).numpy()
    assert coarse[0].shape[0] == sum(len(h) for h in _brute_force_hits(parents, 1, origin.numpy(), direction.numpy()))


def test_raytrace_hand_values_axis_rays_and_misses():
    s = spc.Spc.make_dense(1, device="cpu")
    origin = torch.tensor([[-0.5, -0.5, 3.0], [0.5, 0.5, -3.0], [0.5, 3.0, 0.5], [0.5, 0.5, 0.5]])
    direction = torch.tensor([[0.0, 0.0, -1.0], [0.0, 0.0, 2.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    ridx, pidx, depth = render_spc.unbatched_raytrace(s.octrees, s.point_hierarchies, s.pyramids[0], s.exsum,
                                                      origin, direction, 1, with_exit=True)
    # ray 0 meets cell (0,0,1) (point 2) over t in [2, 3], then (0,0,0) (point 1) over [3, 4];
    # ray 1 (direction of length 2) meets (1,1,0) (point 7) over [1, 1.5], then (1,1,1) (point 8) over [1.5, 2];
    # ray 2 passes beside the box; ray 3 starts inside (1,1,1) and leaves the box: nothing in front
    assert ridx.tolist() == [0, 0, 1, 1]
    assert pidx.tolist() == [2, 1, 7, 8]
    assert depth.tolist() == [[2.0, 3.0], [3.0, 4.0], [1.0, 1.5], [1.5, 2.0]]
    empty = render_spc.unbatched_raytrace(s.octrees, s.point_hierarchies, s.pyramids[0], s.exsum,
                                          origin[2:3], direction[2:3], 1)
    assert empty[0].shape == (0,) and empty[2].shape == (0, 1)
    with pytest.raises(RenderError, match="level 3"):
        render_spc.unbatched_raytrace(s.octrees, s.point_hierarchies, s.pyramids[0], s.exsum, origin, direction, 3)


def _packs(seed, n=200, dim=2):
    g = torch.Generator().manual_seed(seed)
    feats = torch.rand((n, dim), generator=g, dtype=torch.float64) + 0.1
    boundaries = torch.rand(n, generator=g) < 0.2
    boundaries[0] = True
    starts = torch.nonzero(boundaries)[:, 0].tolist() + [n]
    return feats, boundaries, list(zip(starts[:-1], starts[1:]))


def _per_pack(feats, packs, fn):
    return torch.cat([fn(feats[a:b]) for a, b in packs])


@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_packed_scans_equal_per_pack_torch_scans(exclusive, reverse):
    feats, boundaries, packs = _packs(1)

    def scan(torch_scan, fill):
        def one(x):
            x = x.flip(0) if reverse else x
            if exclusive:
                x = torch.cat([torch.full_like(x[:1], fill), x[:-1]])
            out = torch_scan(x, 0)
            return out.flip(0) if reverse else out
        return one

    assert torch.equal(render_spc.cumsum(feats, boundaries, exclusive, reverse),
                       _per_pack(feats, packs, scan(torch.cumsum, 0.0)))
    a = feats.clone().requires_grad_(True)
    b = feats.clone().requires_grad_(True)
    got = render_spc.cumprod(a, boundaries, exclusive, reverse)
    expected = _per_pack(b, packs, scan(torch.cumprod, 1.0))
    assert torch.allclose(got, expected)
    weight = torch.rand_like(got)
    (got * weight).sum().backward()
    (expected * weight).sum().backward()
    assert torch.allclose(a.grad, b.grad)


def test_packed_reductions_diff_and_integration():
    feats, boundaries, packs = _packs(2)
    assert torch.allclose(render_spc.sum_reduce(feats, boundaries), torch.stack([feats[a:b].sum(0) for a, b in packs]))
    assert torch.allclose(render_spc.prod_reduce(feats, boundaries), torch.stack([feats[a:b].prod(0) for a, b in packs]))
    expected_diff = _per_pack(feats, packs, lambda x: torch.cat([x[1:] - x[:-1], torch.zeros_like(x[:1])]))
    assert torch.equal(render_spc.diff(feats, boundaries), expected_diff)
    tau = feats[:, :1]
    colour, weights = render_spc.exponential_integration(feats, tau, boundaries)
    for p, (a, b) in enumerate(packs):
        transmittance = torch.exp(-torch.cat([torch.zeros(1, dtype=tau.dtype), tau[a:b - 1, 0].cumsum(0)]))
        w = transmittance * (1 - torch.exp(-tau[a:b, 0]))
        assert torch.allclose(weights[a:b, 0], w)
        assert torch.allclose(colour[p], (w[:, None] * feats[a:b]).sum(0))
    ids = torch.tensor([4, 4, 7, 7, 7, 9])
    assert render_spc.mark_pack_boundaries(ids).tolist() == [True, False, True, False, False, True]
    with pytest.warns(DeprecationWarning):
        render_spc.mark_first_hit(ids)
    with pytest.raises(RenderError, match="boundaries"):
        render_spc.sum_reduce(feats, boundaries[:-1])


def test_kaolin_paths_map_to_render_spc():
    assert kal.render.spc.unbatched_raytrace is render_spc.unbatched_raytrace
    assert kal.render.spc.raytrace.cumprod is render_spc.cumprod
