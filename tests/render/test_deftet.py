"""render.deftet.deftet_sparse_render against a float64 brute force written pixel by pixel and face by face
(areas of sub-triangles for the barycentrics), and gradcheck."""
import pytest
import torch

from kaolin_pipeline.errors import RenderError
from kaolin_pipeline.render.deftet import deftet_sparse_render


def _scene(seed, batch_size=2, num_faces=9, num_pixels=40):
    generator = torch.Generator().manual_seed(seed)
    centres = torch.rand(batch_size, num_faces, 1, 2, generator=generator, dtype=torch.float64) * 1.2 - 0.6
    image = centres + 0.5 * torch.randn(batch_size, num_faces, 3, 2, generator=generator, dtype=torch.float64)
    z = -1.0 - 2 * torch.rand(batch_size, num_faces, 3, generator=generator, dtype=torch.float64)
    features = torch.rand(batch_size, num_faces, 3, 2, generator=generator, dtype=torch.float64)
    pixels = torch.rand(batch_size, num_pixels, 2, generator=generator, dtype=torch.float64) * 2 - 1
    ranges = torch.tensor([-2.6, -1.2], dtype=torch.float64).expand(batch_size, num_pixels, 2).clone()
    return pixels, ranges, z, image, features


def _area(p, q, r):
    return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])


def _brute_force(pixels, ranges, z, image, features, valid):
    """Per pixel: [(depth, face, features)] of the faces covering it within range, nearest first."""
    out = []
    for b in range(pixels.shape[0]):
        rows = []
        for pixel, (near, far) in zip(pixels[b].tolist(), ranges[b].tolist()):
            hits = []
            for f, (tri, depths, values) in enumerate(zip(image[b].tolist(), z[b].tolist(), features[b])):
                total = _area(*tri)
                weights = [_area(pixel, tri[1], tri[2]) / total, _area(tri[0], pixel, tri[2]) / total,
                           _area(tri[0], tri[1], pixel) / total]
                depth = sum(w * d for w, d in zip(weights, depths))
                if valid[b, f] and min(weights) >= 0 and near < depth < far:
                    hits.append((-depth, f, sum(w * v for w, v in zip(weights, values))))
            rows.append(sorted(hits, key=lambda hit: hit[:2]))
        out.append(rows)
    return out


@pytest.mark.parametrize("knum", [1, 3, 12])
def test_matches_the_brute_force_nearest_first(knum):
    pixels, ranges, z, image, features = _scene(knum)
    valid = torch.rand(z.shape[:2], generator=torch.Generator().manual_seed(7)) > 0.2
    values, face_idx = deftet_sparse_render(pixels, ranges, z, image, features, knum, valid_faces=valid)
    assert values.shape == (2, 40, knum, 2) and face_idx.shape == (2, 40, knum) and values.dtype == torch.float64
    expected = _brute_force(pixels, ranges, z, image, features, valid)
    assert any(len(hits) > 1 for rows in expected for hits in rows)  # the scene has overlaps
    for b, rows in enumerate(expected):
        for p, hits in enumerate(rows):
            hits = hits[:knum]
            assert face_idx[b, p].tolist() == [f for _, f, _ in hits] + [-1] * (knum - len(hits))
            for k, (_, _, value) in enumerate(hits):
                assert torch.allclose(values[b, p, k], value, rtol=0, atol=1e-7)  # eps=1e-8 in the normalisation
            assert not values[b, p, len(hits):].any()


def test_list_features_split_and_gradients_pass_gradcheck():
    pixels, ranges, z, image, features = _scene(3, batch_size=1, num_faces=4, num_pixels=12)
    (first, second), face_idx = deftet_sparse_render(pixels, ranges, z, image, [features, features[..., :1]], 4)
    assert torch.equal(first[..., :1], second) and (face_idx >= 0).any()
    image.requires_grad_(True)
    features.requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda im, fe: deftet_sparse_render(pixels, ranges, z, im, fe, 4)[0], (image, features))


def test_bad_arguments_name_themselves():
    pixels, ranges, z, image, features = _scene(0)
    with pytest.raises(RenderError, match="render_ranges"):
        deftet_sparse_render(pixels, ranges[:, :3], z, image, features, 2)
    with pytest.raises(RenderError, match="knum"):
        deftet_sparse_render(pixels, ranges, z, image, features, 0)
