"""Each kaolin_pipeline.errors class is also the builtin exception Kaolin raises in that situation,
so ``except`` clauses written for Kaolin catch ours; checked on real failures, not only by class."""
import pytest
import torch

from kaolin_pipeline import errors
from kaolin_pipeline.export.checkpoint import load_checkpoint
from kaolin_pipeline.io import load_mesh, save_mesh
from kaolin_pipeline.ops import sample_points
from kaolin_pipeline.render import rasterize
from kaolin_pipeline.structures import Mesh

EXPECTED = {
    errors.PipelineError: ValueError,
    errors.LoadError: ValueError,
    errors.SaveError: OSError,
    errors.ConfigError: ValueError,
    errors.CheckpointError: RuntimeError,
    errors.RenderError: ValueError,
    errors.TrainingError: RuntimeError,
}


@pytest.mark.parametrize("cls,builtin", EXPECTED.items(), ids=lambda v: v.__name__)
def test_each_error_is_also_the_builtin_kaolin_raises(cls, builtin):
    assert issubclass(cls, errors.PipelineError) and issubclass(cls, builtin)
    error = cls("some/file.obj: what went wrong")
    assert str(error) == "some/file.obj: what went wrong"  # OSError keeps a one-argument message as is


def test_a_bad_argument_is_a_value_error():
    with pytest.raises(ValueError, match="num_samples"):
        sample_points(torch.rand(1, 3, 3), torch.tensor([[0, 1, 2]]), 0)


def test_a_bad_file_is_a_value_error(tmp_path):
    bad = tmp_path / "bad.obj"
    bad.write_text("v 0 0 zero\nf 1 2 3\n")
    with pytest.raises(ValueError, match="bad.obj"):
        load_mesh(bad)


def test_a_failed_write_is_an_os_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    mesh = Mesh(torch.rand(3, 3), torch.tensor([[0, 1, 2]]))
    with pytest.raises(OSError, match="file"):
        save_mesh(blocker / "out.obj", mesh)


def test_a_corrupt_checkpoint_is_a_runtime_error(tmp_path):
    path = tmp_path / "step.pt"
    path.write_bytes(b"PK\x03\x04 not really a zip archive")
    with pytest.raises(RuntimeError, match="step.pt"):
        load_checkpoint(path)


def test_a_bad_render_argument_is_a_value_error():
    with pytest.raises(ValueError):
        rasterize(4, 4, torch.rand(1, 2, 3), torch.rand(1, 2, 3, 3), torch.rand(1, 2, 3, 1))
