"""ops.subdivide.subdivide_vertices (Kaolin's ``_unbatched_subdivide_vertices``) against a recursive
float64 reference written face by face, and a hand-counted grid."""
import pytest
import torch

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops.subdivide import subdivide_vertices


def _reference(vertices, faces, resolution):
    """Split each triangle recursively, one at a time, until its longest squared side is short enough."""
    threshold = ((resolution - 1) / resolution ** 2) ** 2
    points = {tuple(v) for v in vertices.tolist()}

    def split(a, b, c):
        sides = [sum((p - q) ** 2 for p, q in zip(u, w)) for u, w in ((a, b), (b, c), (c, a))]
        if max(sides) <= threshold:
            return
        ab, bc, ca = (tuple((p + q) / 2 for p, q in zip(u, w)) for u, w in ((a, b), (b, c), (c, a)))
        points.update((ab, bc, ca))
        for child in ((a, ab, ca), (ab, b, bc), (ca, bc, c), (ab, bc, ca)):
            split(*child)

    rows = vertices.tolist()
    for face in faces.tolist():
        split(*(tuple(rows[i]) for i in face))
    return torch.tensor(sorted(points), dtype=torch.float64)


def test_a_right_triangle_becomes_a_grid_of_eighths():
    vertices = torch.tensor([[0.0, 0, 0], [1, 0, 0], [0, 0, 1]], dtype=torch.float64)
    out = subdivide_vertices(vertices, torch.tensor([[0, 1, 2]]), 2)
    # squared threshold (1/4)^2: legs of 1/4 leave a diagonal of 2/16 > 1/16, so three halvings, legs of 1/8
    expected = [[i / 8, 0.0, j / 8] for i in range(9) for j in range(9 - i)]
    assert out.tolist() == sorted(expected) and out.dtype == torch.float64


@pytest.mark.parametrize("resolution", [2, 3, 5])
def test_random_faces_match_the_recursive_reference(resolution):
    generator = torch.Generator().manual_seed(resolution)
    vertices = torch.rand(7, 3, generator=generator, dtype=torch.float64)
    faces = torch.randint(0, 7, (5, 3), generator=generator)
    out = subdivide_vertices(vertices, faces, resolution)
    assert torch.equal(out, _reference(vertices, faces, resolution))


def test_small_faces_are_returned_as_given_and_bad_resolution_is_refused():
    vertices = torch.tensor([[0.0, 0, 0], [0.01, 0, 0], [0, 0.01, 0]])
    assert subdivide_vertices(vertices, torch.tensor([[0, 1, 2]]), 4) is vertices
    with pytest.raises(PipelineError, match="resolution"):
        subdivide_vertices(vertices, torch.tensor([[0, 1, 2]]), 1)
