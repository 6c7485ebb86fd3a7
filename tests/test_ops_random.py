"""``ops.random`` (Kaolin's ``kal.ops.random``): seeding, ranges, and the sphere-area distribution."""
import math
import random

import numpy as np
import pytest
import torch

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.ops import random as kr


def test_seed_and_state_round_trip():
    kr.manual_seed(3)
    first = (torch.rand(2), random.random(), np.random.rand())
    kr.manual_seed(3)
    state = kr.get_state()
    assert torch.equal(torch.rand(2), first[0]) and random.random() == first[1] and np.random.rand() == first[2]
    kr.set_state(*state)
    assert torch.equal(torch.rand(2), first[0]) and random.random() == first[1]


def test_shapes_and_tensors_stay_in_range():
    shapes = kr.random_shape_per_tensor(200, min_shape=(4, 1), max_shape=(6, 2))
    assert shapes.shape == (200, 2) and set(shapes[:, 0].tolist()) == {4, 5, 6} and set(shapes[:, 1].tolist()) == {1, 2}
    values = kr.random_tensor(-2.0, 3.0, (1000,), dtype=torch.float64)
    assert values.dtype == torch.float64 and -2 <= float(values.min()) and float(values.max()) < 3
    assert float(values.min()) < -1.5 and float(values.max()) > 2.5
    assert set(kr.random_tensor(2, 4, (500,), dtype=torch.long).tolist()) == {2, 3, 4}
    assert kr.random_tensor(0, 1, (10,), dtype=torch.bool).dtype == torch.bool
    with pytest.raises(PipelineError, match="bool"):
        kr.random_tensor(0, 2, (3,), dtype=torch.bool)


def test_spherical_coords_are_uniform_over_the_area():
    torch.manual_seed(0)
    azimuth, elevation = kr.sample_spherical_coords((20000,), elevation_low=0.0, elevation_high=math.pi / 2)
    assert azimuth.shape == elevation.shape == (20000,)
    assert 0 <= float(azimuth.min()) and float(azimuth.max()) < 2 * math.pi
    # On the upper hemisphere the area below elevation e is proportional to sin(e): half of it lies below 30°.
    assert float((elevation < math.pi / 6).double().mean()) == pytest.approx(0.5, abs=0.02)
