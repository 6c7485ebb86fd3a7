"""TensorContainerBase (kal.rep) on a small subclass, and the logging helpers (kal.utils.log)."""
import argparse
import logging

import pytest
import torch

import kaolin_pipeline.kaolin as kal
from kaolin_pipeline.tensor_container import TensorContainerBase


class _Points(TensorContainerBase):
    @classmethod
    def class_tensor_attributes(cls):
        return ["points", "features"]

    @classmethod
    def class_other_attributes(cls):
        return ["name"]

    def __init__(self, points, features=None, name="p"):
        self.points, self.features, self.name = points, features, name

    def check_other_attribute(self, attr, log_error=False):
        return isinstance(self.name, str)


def test_container_moves_every_tensor_and_checks_its_attributes(caplog):
    points = torch.ones(4, 3, requires_grad=True)
    container = _Points(points, {"w": torch.arange(4), "c": torch.zeros(4, 2)})
    assert container.get_attributes() == ["points", "features", "name"]
    assert kal.rep.TensorContainerBase is TensorContainerBase
    doubled = container.to(torch.float64, attributes=["points"])
    assert doubled.points.dtype == torch.float64 and doubled.features["c"].dtype == torch.float32
    assert container.points.dtype == torch.float32 and doubled.name == "p"  # the original is untouched
    detached = container.detach()
    assert not detached.points.requires_grad and detached.features["w"].tolist() == [0, 1, 2, 3]
    assert "features[w]" in container.describe_attribute("features") and "_Points" in str(container)
    assert set(_Points(torch.ones(2, 3)).as_dict()) == {"points", "name"}
    assert container.check_sanity()
    container.name = 3
    with caplog.at_level(logging.ERROR):
        assert not container.check_sanity(log_error=True)
    assert "'name' is invalid" in caplog.text
    with pytest.raises(AttributeError, match="colors"):
        container.assert_supported("colors")


def test_log_helpers(capsys):
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        kal.utils.log.default_log_setup(logging.DEBUG)
        logging.getLogger("some.module").debug("a debug line")
        assert "a debug line" in capsys.readouterr().out
        assert logging.getLogger("PIL").level == logging.INFO
    finally:
        for handler in root.handlers[:]:
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
    parser = argparse.ArgumentParser()
    kal.utils.log.add_log_level_flag(parser)
    assert parser.parse_args([]).log_level == 20 and parser.parse_args(["--log_level", "10"]).log_level == 10
    kal.utils.log.print_tensor(torch.tensor([1.0, 5.0]), "vec", print_stats=True)
    out = capsys.readouterr().out
    assert "vec" in out and "5" in out
