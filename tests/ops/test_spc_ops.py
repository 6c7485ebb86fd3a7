"""kaolin_pipeline.ops.spc against independent references: Python-int bit interleaving, sets of voxels,
brute-force corners, dense torch.nn.functional.conv3d / grid_sample, affine functions, gradcheck."""
import itertools

import pytest
import torch
import torch.nn.functional as F

import kaolin_pipeline.kaolin as kal
from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops import spc


def _morton_int(x, y, z):
    """Bit interleave in Python ints: bit b of x, y, z goes to bits 3b+2, 3b+1, 3b."""
    return sum(((x >> b) & 1) << (3 * b + 2) | ((y >> b) & 1) << (3 * b + 1) | ((z >> b) & 1) << (3 * b)
               for b in range(21))


def _random_cells(n, level, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 2 ** level, (n, 3), generator=g, dtype=torch.int16)


def _octree_of(points, level):
    octree = spc.unbatched_points_to_octree(points, level)
    max_level, pyramids, exsum = spc.scan_octrees(octree, torch.tensor([octree.shape[0]], dtype=torch.int32))
    return octree, pyramids, exsum, spc.generate_points(octree, pyramids, exsum)


def test_morton_codes_match_python_bit_interleaving_both_ways():
    pts = torch.cat([_random_cells(300, 15, 0), torch.tensor([[0, 0, 0], [0, 0, 2], [32767, 0, 1]],
                                                             dtype=torch.int16)])
    expected = torch.tensor([_morton_int(*p) for p in pts.tolist()])
    assert torch.equal(spc.points_to_morton(pts), expected)
    assert torch.equal(spc.morton_to_points(expected), pts)
    assert spc.points_to_morton(pts.reshape(3, -1, 3)).shape == (3, 101)


def test_bits_round_trip_and_counts():
    b = torch.arange(256, dtype=torch.uint8)
    bits = spc.uint8_to_bits(b)
    assert bits.shape == (256, 8) and bits.dtype == torch.bool
    assert bits[5].tolist() == [True, False, True] + [False] * 5  # 5 = 0b101, least significant first
    assert torch.equal(spc.bits_to_uint8(bits), b)
    assert spc.uint8_bits_sum(b).tolist() == [bin(i).count("1") for i in range(256)]


def test_quantize_points_clamps_into_the_grid():
    x = torch.tensor([[-1.5, -1.0, 0.0], [0.99, 1.0, 2.0], [-0.76, -0.49, 0.26]])
    assert spc.quantize_points(x, 2).tolist() == [[0, 0, 2], [3, 3, 3], [0, 1, 2]]


def test_hand_built_octree_scan_and_points():
    # cells (0,0,0) and (3,3,3) of level 2: the root has children 0 and 7 (bits 0 and 7), each one child
    octree, pyramids, exsum, points = _octree_of(torch.tensor([[3, 3, 3], [0, 0, 0], [3, 3, 3]],
                                                              dtype=torch.int16), 2)
    assert octree.tolist() == [129, 1, 128]
    assert pyramids.tolist() == [[[1, 2, 2, 0], [0, 1, 3, 5]]] and pyramids.dtype == torch.int32
    assert exsum.tolist() == [2, 3, 4] and exsum.dtype == torch.int32
    assert points.tolist() == [[0, 0, 0], [0, 0, 0], [1, 1, 1], [0, 0, 0], [3, 3, 3]]
    assert points.dtype == torch.int16


@pytest.mark.parametrize("level", [1, 4])
def test_octree_levels_are_the_voxel_sets_of_the_points(level):
    cells = _random_cells(60, level, level)
    octree, pyramids, exsum, points = _octree_of(cells, level)
    for lvl in range(level + 1):
        expected = sorted({tuple(c >> (level - lvl) for c in p) for p in cells.tolist()},
                          key=lambda p: _morton_int(*p))
        got = spc.unbatched_get_level_points(points, pyramids[0], lvl).tolist()
        assert [tuple(p) for p in got] == expected
        assert pyramids[0, 0, lvl] == len(expected)


def test_batched_scan_of_octrees_of_different_depths_and_legacy_exsum():
    a = spc.unbatched_points_to_octree(_random_cells(20, 3, 1), 3)
    b = spc.unbatched_points_to_octree(_random_cells(20, 2, 2), 2)
    s = spc.Spc.from_list([a, b])
    assert s.max_level == 3 and s.pyramids.shape == (2, 2, 5)
    assert s.pyramids[1, 0, 3:].tolist() == [0, 0]
    pa, pb = _octree_of(_random_cells(20, 3, 1), 3)[3], _octree_of(_random_cells(20, 2, 2), 2)[3]
    assert torch.equal(s.point_hierarchies, torch.cat([pa, pb]))
    with pytest.warns(DeprecationWarning):
        _, _, legacy = spc.scan_octrees(s.octrees, s.lengths, legacy_exsum=True)
    assert legacy.tolist() == [0] + s.exsum[:a.shape[0]].tolist() + [0] + s.exsum[a.shape[0]:].tolist()
    with pytest.warns(DeprecationWarning):
        assert torch.equal(spc.generate_points(s.octrees, s.pyramids, legacy), s.point_hierarchies)


def test_bad_octrees_raise_naming_the_argument():
    with pytest.raises(PipelineError, match="lengths"):
        spc.scan_octrees(torch.tensor([255], dtype=torch.uint8), torch.tensor([2], dtype=torch.int32))
    with pytest.raises(PipelineError, match="octree 0"):  # root says 8 children, no byte for them
        spc.scan_octrees(torch.tensor([255, 0], dtype=torch.uint8), torch.tensor([2], dtype=torch.int32))
    with pytest.raises(PipelineError, match="octrees must be"):
        spc.Spc(torch.zeros(3), torch.tensor([3], dtype=torch.int32))
    with pytest.raises(ValueError, match="exsum has 5 entries"):
        spc.unbatched_query(torch.tensor([1], dtype=torch.uint8), torch.zeros(5, dtype=torch.int32),
                            torch.zeros((1, 3)), 1)


def test_query_finds_each_cell_and_its_parents():
    level = 4
    cells = _random_cells(40, level, 3)
    octree, pyramids, exsum, points = _octree_of(cells, level)
    index = {tuple(p): i for i, p in enumerate(points.tolist()) if i >= int(pyramids[0, 1, level])}
    queries = torch.cat([cells, _random_cells(40, level, 4), torch.tensor([[16, 0, 0], [-1, 2, 2]],
                                                                          dtype=torch.int16)])
    expected = [index.get(tuple(q), -1) for q in queries.tolist()]
    assert spc.unbatched_query(octree, exsum, queries, level).tolist() == expected
    centres = (queries.double() + 0.5) / 2 ** level * 2 - 1
    assert spc.unbatched_query(octree, exsum, centres, level).tolist() == expected
    chain = spc.unbatched_query(octree, exsum, cells, level, with_parents=True)
    assert chain.shape == (cells.shape[0], level + 1)
    for lvl in range(level + 1):
        assert torch.equal(points[chain[:, lvl]].long(), cells.long() >> (level - lvl))


def test_dual_octree_and_trinkets_against_brute_force_corners():
    level = 3
    cells = _random_cells(25, level, 5)
    _, pyramids, _, points = _octree_of(cells, level)
    pyramid = pyramids[0]
    dual, dual_pyramid = spc.unbatched_make_dual(points, pyramid)
    trinkets, parents = spc.unbatched_make_trinkets(points, pyramid, dual, dual_pyramid)
    assert trinkets.shape == (points.shape[0], 8) and trinkets.dtype == torch.int32
    for lvl in range(level + 1):
        lvl_points = spc.unbatched_get_level_points(points, pyramid, lvl).tolist()
        corners = {(x + i, y + j, z + k) for x, y, z in lvl_points for i, j, k in itertools.product((0, 1), repeat=3)}
        got = spc.unbatched_get_level_points(dual, dual_pyramid, lvl).tolist()
        assert [tuple(p) for p in got] == sorted(corners, key=lambda p: _morton_int(*p))
        lvl_trinkets = spc.unbatched_get_level_points(trinkets, pyramid, lvl)
        for p, t in zip(lvl_points, lvl_trinkets.tolist()):
            assert [tuple(got[i]) for i in t] == [(p[0] + i, p[1] + j, p[2] + k)
                                                  for i, j, k in itertools.product((0, 1), repeat=3)]
    assert parents[0] == -1
    assert torch.equal(points[parents[1:].long()].long(), points[1:].long() // 2)


def _dense_dual(level):
    s = spc.Spc.make_dense(level, device="cpu")
    dual, dual_pyramid = spc.unbatched_make_dual(s.point_hierarchies, s.pyramids[0])
    trinkets, _ = spc.unbatched_make_trinkets(s.point_hierarchies, s.pyramids[0], dual, dual_pyramid)
    return s, spc.unbatched_get_level_points(dual, dual_pyramid, level), trinkets


def test_trilinear_interpolation_matches_grid_sample_and_is_exact_on_affine_functions():
    level = 2
    s, corners, trinkets = _dense_dual(level)
    g = torch.Generator().manual_seed(0)
    coords = torch.rand((50, 3), generator=g, dtype=torch.float64) * 2 - 1
    pidx = spc.unbatched_query(s.octrees, s.exsum, coords, level)
    corner_pos = corners.double() / 2 ** level * 2 - 1
    feats = torch.cat([corner_pos @ torch.tensor([[0.5], [-2.0], [3.0]], dtype=torch.float64) + 0.25,
                       torch.rand((corners.shape[0], 2), generator=g, dtype=torch.float64)], 1)
    out = spc.unbatched_interpolate_trilinear(coords[:, None], pidx.int(), s.point_hierarchies, trinkets, feats, level)
    assert out.shape == (50, 1, 3) and out.dtype == torch.float64
    affine = coords @ torch.tensor([0.5, -2.0, 3.0], dtype=torch.float64) + 0.25
    assert torch.allclose(out[:, 0, 0], affine)
    n = 2 ** level + 1
    volume = torch.zeros((2, n, n, n), dtype=torch.float64)
    volume[:, corners[:, 0].long(), corners[:, 1].long(), corners[:, 2].long()] = feats[:, 1:].T
    reference = F.grid_sample(volume[None], coords.flip(-1)[None, :, None, None], align_corners=True)
    assert torch.allclose(out[:, 0, 1:], reference[0, :, :, 0, 0].T)
    coeffs = spc.coords_to_trilinear_coeffs(coords, s.point_hierarchies[pidx], level)
    assert coeffs.shape == (50, 8) and torch.allclose(coeffs.sum(-1), torch.ones(50, dtype=torch.float64))
    with pytest.raises(PipelineError, match="coords \\(50, 3\\) and points \\(5, 3\\)"):
        spc.coords_to_trilinear_coeffs(coords, s.point_hierarchies[pidx][:5], level)


def test_trilinear_interpolation_gradients_and_misses():
    level = 1
    s, corners, trinkets = _dense_dual(level)
    coords = torch.tensor([[[-0.3, 0.2, 0.7]], [[0.4, -0.9, 0.1]], [[0.5, 0.5, 0.5]]], dtype=torch.float64,
                          requires_grad=True)
    pidx = spc.unbatched_query(s.octrees, s.exsum, coords[:, 0].detach(), level).int()
    pidx[2] = -1
    feats = torch.rand((corners.shape[0], 2), dtype=torch.float64, requires_grad=True)
    out = spc.unbatched_interpolate_trilinear(coords, pidx, s.point_hierarchies, trinkets, feats, level)
    assert torch.equal(out[2], torch.zeros_like(out[2]))
    assert torch.autograd.gradcheck(
        lambda c, f: spc.unbatched_interpolate_trilinear(c, pidx, s.point_hierarchies, trinkets, f, level),
        (coords, feats), fast_mode=True)


def test_dense_grids_round_trip_with_gradient():
    g = torch.Generator().manual_seed(1)
    grids = torch.rand((2, 3, 5, 7, 6), generator=g) * (torch.rand((2, 1, 5, 7, 6), generator=g) > 0.6)
    octrees, lengths, features = spc.feature_grids_to_spc(grids)
    s = spc.Spc(octrees, lengths)
    assert s.max_level == 3 and features.shape == (int((grids != 0).any(1).sum()), 3)
    features.requires_grad_(True)
    dense = spc.to_dense(**s.to_dict(), input=features)
    expected = torch.zeros((2, 3, 8, 8, 8))
    expected[:, :, :5, :7, :6] = grids
    assert torch.equal(dense, expected)
    weight = torch.rand_like(dense)
    (dense * weight).sum().backward()
    first = 0
    for b in range(2):  # the gradient of each cell is the weight at its place in the grid
        start = int(s.pyramids[:b, 1, -1].sum() + s.pyramids[b, 1, 3])
        cells = s.point_hierarchies[start:start + int(s.pyramids[b, 0, 3])].long()
        grad = features.grad[first:first + cells.shape[0]]
        assert torch.equal(grad, weight[b, :, cells[:, 0], cells[:, 1], cells[:, 2]].T)
        first += cells.shape[0]
    with pytest.raises(TypeError, match="unexpected keyword argument inputs"):
        spc.to_dense(s.point_hierarchies, s.pyramids, features, inputs=1)
    empty_octrees, empty_lengths, empty_features = spc.feature_grids_to_spc(torch.zeros((2, 1, 2, 2, 2)))
    assert empty_octrees.tolist() == [0, 0] and empty_lengths.tolist() == [1, 1] and empty_features.shape == (0, 1)


def _dense_conv_setup(level, channels_in, seed):
    g = torch.Generator().manual_seed(seed)
    s = spc.Spc.make_dense(level, device="cpu")
    features = torch.rand((8 ** level, channels_in), generator=g, dtype=torch.float64)
    return s, features, spc.to_dense(**s.to_dict(), input=features, level=level), g


@pytest.mark.parametrize("jump,size,offset", [(0, 3, 1), (1, 2, 0), (1, 3, 1), (2, 4, 0)])
def test_conv3d_on_a_full_spc_equals_dense_conv3d(jump, size, offset):
    level = 3
    s, features, dense, g = _dense_conv_setup(level, 2, jump)
    vectors = torch.tensor(list(itertools.product(range(-offset, size - offset), repeat=3)), dtype=torch.int16)
    dense_weight = torch.rand((4, 2, size, size, size), generator=g, dtype=torch.float64)
    weight = dense_weight.reshape(4, 2, -1).permute(2, 1, 0)  # (K, in, out)
    bias = torch.rand(4, generator=g, dtype=torch.float64)
    out, out_level = spc.conv3d(**s.to_dict(), level=level, input=features, weight=weight, kernel_vectors=vectors,
                                jump=jump, bias=bias)
    assert out_level == level - jump
    padded = F.pad(dense, (offset, size - 1 - offset) * 3)
    expected = F.conv3d(padded, dense_weight, bias=bias, stride=2 ** jump)
    assert torch.allclose(spc.to_dense(**s.to_dict(), input=out, level=out_level), expected)


@pytest.mark.parametrize("jump,size,offset", [(0, 3, 1), (1, 2, 0), (1, 3, 1)])
def test_conv_transpose3d_on_a_full_spc_equals_dense_conv_transpose3d(jump, size, offset):
    level = 3
    s, features, dense, g = _dense_conv_setup(level - jump, 2, 10 + jump)
    vectors = torch.tensor(list(itertools.product(range(-offset, size - offset), repeat=3)), dtype=torch.int16)
    dense_weight = torch.rand((4, 2, size, size, size), generator=g, dtype=torch.float64)
    weight = dense_weight.reshape(4, 2, -1).permute(2, 1, 0)
    full = spc.Spc.make_dense(level, device="cpu")
    out, out_level = spc.conv_transpose3d(**full.to_dict(), level=level - jump, input=features, weight=weight,
                                          kernel_vectors=vectors, jump=jump)
    assert out_level == level
    res = 2 ** level
    expected = F.conv_transpose3d(dense, dense_weight.transpose(0, 1), stride=2 ** jump,
                                  output_padding=2 ** jump - 1)[..., offset:offset + res, offset:offset + res,
                                                                offset:offset + res]
    assert torch.allclose(spc.to_dense(**full.to_dict(), input=out, level=level), expected)


def test_conv_modules_gradcheck_on_a_sparse_spc():
    cells = _random_cells(12, 2, 7)
    octree, pyramids, exsum, points = _octree_of(cells, 2)
    vectors = torch.tensor(list(itertools.product((-1, 0, 1), repeat=3)), dtype=torch.int16)
    conv = spc.Conv3d(2, 3, vectors, jump=1).double()
    assert repr(conv) == "Conv3d(in=2, out=3, kernel_vector_size=27)"
    assert conv.weight.shape == (27, 2, 3) and dict(conv.named_buffers())["kernel_vectors"] is conv.kernel_vectors
    x = torch.rand((int(pyramids[0, 0, 2]), 2), dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, w: spc.conv3d(octree, points, 2, pyramids, exsum, x, w, vectors, 1)[0],
                                    (x, conv.weight), fast_mode=True)
    up = spc.ConvTranspose3d(3, 2, vectors, jump=1, bias=False).double()
    assert up.bias is None and len(list(up.parameters())) == 1
    y, level = conv(octree, points, 2, pyramids, exsum, x)
    back, back_level = up(octree, points, level, pyramids, exsum, y)
    assert back.shape == x.shape and back_level == 2
    with pytest.raises(PipelineError, match="weight must be"):
        spc.conv3d(octree, points, 2, pyramids, exsum, x, conv.weight[:3], vectors)


def test_pointcloud_to_spc_averages_features_per_cell():
    pts = torch.tensor([[-1.0, -1.0, -1.0], [-0.9, -0.95, -1.0], [1.0, 1.0, 1.0], [0.1, -0.1, 0.3]])
    feats = torch.tensor([[1.0, 10.0], [3.0, 20.0], [5.0, 30.0], [7.0, 40.0]])
    s = kal.ops.conversions.pointcloud.unbatched_pointcloud_to_spc(pointcloud=pts, level=3, features=feats)
    assert isinstance(s, kal.rep.Spc) and s.batch_size == 1 and s.max_level == 3
    leaves = spc.unbatched_get_level_points(s.point_hierarchies, s.pyramids[0], 3).tolist()
    assert leaves == [[0, 0, 0], [4, 3, 5], [7, 7, 7]]  # morton order of the three cells
    assert s.features.tolist() == [[2.0, 15.0], [7.0, 40.0], [5.0, 30.0]]
    ints = spc.unbatched_pointcloud_to_spc(pts, 3, torch.tensor([[1], [2], [5], [7]])).features
    assert ints.tolist() == [[2], [7], [5]] and ints.dtype == torch.int64  # 1.5 rounds to 2


def test_spc_container_is_lazy_and_moves():
    s = spc.Spc.make_dense(2, device="cpu")
    assert s._pyramids is None and s._point_hierarchies is None
    assert s.num_points(2).tolist() == [64] and s._point_hierarchies is None
    assert s.point_hierarchies.shape == (73, 3)
    assert s.to("cpu") is s
    assert set(s.to_dict()) == spc.Spc.KEYS and s.to_dict(["max_level"]) == {"max_level": 2}
    assert "batch_size=1" in repr(s)
    assert kal.ops.random.random_spc_octrees(2, 3)[1].dtype == torch.int32


def test_kaolin_paths_map_to_ops_spc():
    assert kal.ops.spc.scan_octrees is spc.scan_octrees
    assert kal.ops.spc.spc.unbatched_query is spc.unbatched_query
    assert kal.ops.spc.points.points_to_morton is spc.points_to_morton
    assert kal.ops.spc.uint8.bits_to_uint8 is spc.bits_to_uint8
    assert kal.ops.spc.exsum_compat.ensure_current_exsum is spc.ensure_current_exsum
    assert kal.ops.spc.Conv3d is spc.Conv3d and kal.rep.spc.Spc is spc.Spc
