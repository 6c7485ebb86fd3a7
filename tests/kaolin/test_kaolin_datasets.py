"""kal.io.modelnet.ModelNet and kal.io.shrec.SHREC16 on hand-made dataset folders."""
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


def test_shrec16_reads_synset_folders_and_the_unlabelled_test_split(tmp_path):
    triangle = "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"
    for synset in ("02691156", "02958343"):
        (tmp_path / "train" / synset).mkdir(parents=True)
        (tmp_path / "train" / synset / "model.obj").write_text(triangle)
    (tmp_path / "test_allinone").mkdir()
    (tmp_path / "test_allinone" / "query.obj").write_text(triangle.replace("v 1 0 0", "v 2 0 0"))
    dataset = kal.io.shrec.SHREC16(tmp_path, categories=["car", "02691156"], output_dict=True)
    assert [dataset[i]["synset"] for i in range(2)] == ["02958343", "02691156"]
    assert dataset[0]["labels"] == ["car"] and dataset[0]["name"] == "02958343/model.obj"
    assert dataset[1]["mesh"].faces.tolist() == [[0, 1, 2]]
    test = kal.io.shrec.SHREC16(tmp_path, split="test", output_dict=True)
    assert len(test) == 1 and test[0]["synset"] is None and test[0]["mesh"].vertices[1].tolist() == [2.0, 0, 0]
    with pytest.raises(ConfigError, match="val"):
        kal.io.shrec.SHREC16(tmp_path, categories=["car"], split="val", output_dict=True)
