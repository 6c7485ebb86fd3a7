"""kal.io.modelnet.ModelNet on a hand-made ModelNet folder."""
import pytest

import kaolin_pipeline.kaolin as kal
from kaolin_pipeline.errors import ConfigError


def test_modelnet_lists_categories_in_order_and_reads_off_files(tmp_path):
    for category, count in (("chair", 2), ("bed", 1)):
        folder = tmp_path / category / "train"
        folder.mkdir(parents=True)
        for i in range(count):
            (folder / f"{category}_{i}.off").write_text(f"OFF\n4 1 0\n0 0 0\n{i + 1} 0 0\n1 1 0\n0 1 0\n"
                                                        "4 0 1 2 3 10 20 30\n")
    (tmp_path / "chair" / "test").mkdir()
    dataset = kal.io.modelnet.ModelNet(tmp_path, categories=["chair", "bed"], output_dict=True)
    assert len(dataset) == 3 and [dataset[i]["label"] for i in range(3)] == ["chair", "chair", "bed"]
    item = dataset[1]
    assert item["name"] == "train/chair_1.off" and item["mesh"].vertices[1].tolist() == [2.0, 0, 0]
    assert item["mesh"].faces.tolist() == [[0, 1, 2, 3]] and item["mesh"].face_colors.tolist() == [[10, 20, 30]]
    with pytest.warns(DeprecationWarning):
        legacy = kal.io.modelnet.ModelNet(tmp_path, split="train")
    assert [legacy[i].attributes["label"] for i in range(3)] == ["bed", "chair", "chair"]  # all, sorted
    assert len(kal.io.modelnet.ModelNet(tmp_path, split="test", output_dict=True)) == 0
    with pytest.raises(ConfigError, match="sofa"):
        kal.io.modelnet.ModelNet(tmp_path, categories=["sofa"], output_dict=True)
