"""Tests of the folder datasets on tiny fake ShapeNet / ModelNet / generic trees written with trimesh."""
import warnings

import numpy as np
import pytest
import torch
import trimesh

from kaolin_pipeline.datasets.folders import MeshFolder, ModelNet, ShapeNetCore, hash_split
from kaolin_pipeline.datasets.shapenet_synsets import NAME_TO_SYNSET, SYNSET_TO_NAME, synset_id
from kaolin_pipeline.errors import ConfigError, LoadError

CHAIR, TABLE, CAR = "03001627", "04379243", "02958343"


def _write(path, size=1.0):
    path.parent.mkdir(parents=True, exist_ok=True)
    trimesh.creation.box(extents=(size, size, size)).export(path)
    return path


def _shapenet(root, version, models_per_synset=12):
    layout = {1: "model.obj", 2: "models/model_normalized.obj"}[version]
    for synset in (CHAIR, TABLE):
        for m in range(models_per_synset):
            _write(root / synset / f"model{m:03d}" / layout, size=1.0 + m)
    (root / "not_a_synset" / "x").mkdir(parents=True)  # ignored: not a known synset folder
    return root


def test_synset_table_is_a_bijection_with_known_entries():
    assert len(SYNSET_TO_NAME) == 55 and len(NAME_TO_SYNSET) == 55
    assert SYNSET_TO_NAME[CHAIR] == "chair" and SYNSET_TO_NAME[TABLE] == "table" and SYNSET_TO_NAME[CAR] == "car"
    assert synset_id("chair") == CHAIR and synset_id(CHAIR) == CHAIR
    with pytest.raises(ConfigError, match="sofaa"):
        synset_id("sofaa")


@pytest.mark.parametrize("version", [1, 2])
def test_shapenet_items_categories_and_sizes(tmp_path, version):
    root = _shapenet(tmp_path / f"ShapeNetCore.v{version}", version, models_per_synset=3)
    ds = ShapeNetCore(root, version=version)
    assert len(ds) == 6
    assert ds.categories == ["chair"] * 3 + ["table"] * 3
    item = ds[4]
    assert item["category"] == "table" and item["synset"] == TABLE
    assert item["path"].endswith({1: "model001/model.obj", 2: "model001/models/model_normalized.obj"}[version])
    extents = item["vertices"].amax(0) - item["vertices"].amin(0)
    torch.testing.assert_close(extents, torch.full((3,), 2.0))  # model001 is a box of size 2
    assert item["faces"].shape == (12, 3)
    only_chairs = ShapeNetCore(root, version=version, categories=["chair"])
    assert set(only_chairs.categories) == {"chair"}
    assert len(ShapeNetCore(root, version=version, categories=[TABLE])) == 3


def test_shapenet_wrong_version_layout_finds_nothing(tmp_path):
    root = _shapenet(tmp_path / "v1", 1, models_per_synset=2)
    with pytest.raises(LoadError, match="model_normalized.obj"):
        ShapeNetCore(root, version=2)


def test_hash_splits_are_disjoint_complete_deterministic_and_proportioned(tmp_path):
    root = _shapenet(tmp_path / "sn", 1, models_per_synset=12)
    splits = {s: ShapeNetCore(root, split=s) for s in ("train", "val", "test")}  # 24 models: each split has some
    paths = {s: set(map(str, ds.paths)) for s, ds in splits.items()}
    all_paths = set(map(str, ShapeNetCore(root).paths))
    assert set.union(*paths.values()) == all_paths
    names = list(paths)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not paths[a] & paths[b]
    assert set(map(str, ShapeNetCore(root, split="train").paths)) == paths["train"]
    # Proportions on many keys (independent of the tiny tree): close to 70 / 10 / 20 %.
    counts = {s: 0 for s in ("train", "val", "test")}
    for k in range(20000):
        counts[hash_split(f"{k:08d}/model{k}")] += 1
    assert abs(counts["train"] / 20000 - 0.7) < 0.02
    assert abs(counts["val"] / 20000 - 0.1) < 0.02
    assert abs(counts["test"] / 20000 - 0.2) < 0.02


def test_split_csv_overrides_hash(tmp_path):
    root = _shapenet(tmp_path / "sn", 1, models_per_synset=3)
    rows = ["id,synsetId,subSynsetId,modelId,split"]
    rows += [f"{i},{CHAIR},{CHAIR},model{i:03d},{s}" for i, s in enumerate(["train", "val", "test"])]
    rows += [f"9,{TABLE},{TABLE},model000,test"]
    (root / "all.csv").write_text("\n".join(rows) + "\n")
    test = ShapeNetCore(root, split="test")
    assert [p.parent.parent.name + "/" + p.parent.name for p in test.paths] == [f"{CHAIR}/model002", f"{TABLE}/model000"]
    assert [p.parent.name for p in ShapeNetCore(root, split="val").paths] == ["model001"]
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text(f"id,synsetId,subSynsetId,modelId,split\n0,{CHAIR},{CHAIR},model000,holdout\n")
    with pytest.raises(LoadError, match="bad.csv: line 2"):
        ShapeNetCore(root, split="train", split_file=bad_csv)


def test_shapenet_bad_arguments(tmp_path):
    root = _shapenet(tmp_path / "sn", 1, models_per_synset=1)
    with pytest.raises(ConfigError, match="version"):
        ShapeNetCore(root, version=3)
    with pytest.raises(ConfigError, match="split"):
        ShapeNetCore(root, split="training")
    with pytest.raises(LoadError, match="car"):
        ShapeNetCore(root, categories=["car"])
    with pytest.raises(LoadError, match="does not exist"):
        ShapeNetCore(tmp_path / "nowhere")


def test_modelnet_layout_variants_and_splits(tmp_path):
    root = tmp_path / "data"
    for cls, n_train, n_test in (("chair", 2, 1), ("airplane", 1, 1), ("toilet", 1, 2)):
        for split, n in (("train", n_train), ("test", n_test)):
            for k in range(n):
                _write(root / "ModelNet40" / cls / split / f"{cls}_{k + 1:04d}.off")
    forty = ModelNet(root, variant=40, split="train")
    assert forty.categories == ["airplane", "chair", "chair", "toilet"]
    item = forty[1]
    assert item["category"] == "chair" and item["path"].endswith("chair/train/chair_0001.off")
    assert item["vertices"].shape == (8, 3) and item["faces"].shape == (12, 3)
    ten = ModelNet(root / "ModelNet40", variant=10, split="test")  # the 10-class subset of a ModelNet40 folder
    assert ten.categories == ["chair", "toilet", "toilet"]
    assert ModelNet(root, variant=40, split="test", categories=["toilet"]).categories == ["toilet", "toilet"]
    with pytest.raises(ConfigError, match="airplane"):
        ModelNet(root / "ModelNet40", variant=10, categories=["airplane"])
    with pytest.raises(ConfigError, match="split"):
        ModelNet(root, variant=40, split="val")
    with pytest.raises(ConfigError, match="variant"):
        ModelNet(root, variant=20)


def test_mesh_folder_categories_extensions_and_recursion(tmp_path):
    _write(tmp_path / "cubes" / "a.obj")
    _write(tmp_path / "cubes" / "deep" / "b.ply", size=3.0)
    _write(tmp_path / "rocks" / "c.stl")
    _write(tmp_path / "top.off")
    (tmp_path / "notes.txt").write_text("not a mesh")
    ds = MeshFolder(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in ds.paths] == ["cubes/a.obj", "cubes/deep/b.ply", "rocks/c.stl", "top.off"]
    assert ds.categories == ["cubes", "cubes", "rocks", ""]
    big = ds[1]["vertices"]
    np.testing.assert_allclose((big.amax(0) - big.amin(0)).numpy(), [3.0, 3.0, 3.0])
    assert MeshFolder(tmp_path, extensions=["ply", ".STL"]).categories == ["cubes", "rocks"]
    with pytest.raises(ConfigError, match="docx"):
        MeshFolder(tmp_path, extensions=["docx"])
    with pytest.raises(LoadError, match="no mesh files"):
        MeshFolder(tmp_path / "cubes" / "deep", extensions=["obj"])


def test_bad_file_is_skipped_with_a_warning_or_raised_in_strict_mode(tmp_path):
    _write(tmp_path / "a" / "1.obj")
    (tmp_path / "a" / "2.obj").write_text("v 0 0 0\nv 1 0 0\nf 1 2 7\n")  # face index out of range
    _write(tmp_path / "a" / "3.obj", size=2.0)
    ds = MeshFolder(tmp_path)
    with pytest.warns(RuntimeWarning, match=r"2\.obj"):
        item = ds[1]
    assert item["path"].endswith("3.obj")  # the next loadable file stands in
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the bad file is remembered: no second warning
        assert ds[1]["path"].endswith("3.obj")
        assert [ds[i]["path"][-5:] for i in range(3)] == ["1.obj", "3.obj", "3.obj"]
    with pytest.raises(LoadError, match=r"2\.obj"):
        MeshFolder(tmp_path, strict=True)[1]


def test_layout_manifests_agree_with_the_code():
    import pathlib

    import yaml

    from kaolin_pipeline.datasets.folders import MODELNET10_CLASSES, MODELNET40_CLASSES, SPLIT_FRACTIONS
    from kaolin_pipeline.datasets.synthetic import FAMILIES

    manifests = pathlib.Path(__file__).resolve().parents[2] / "datasets" / "manifests"
    modelnet = yaml.safe_load((manifests / "modelnet.yaml").read_text())
    assert tuple(modelnet["variants"][10]["classes"]) == MODELNET10_CLASSES
    assert tuple(modelnet["variants"][40]["classes"]) == MODELNET40_CLASSES
    shapenet = yaml.safe_load((manifests / "shapenet.yaml").read_text())
    assert tuple(shapenet["splits"]["hash"]["fractions"].values()) == SPLIT_FRACTIONS
    assert shapenet["synset_table"].endswith("shapenet_synsets.SYNSET_TO_NAME")
    assert tuple(yaml.safe_load((manifests / "synthetic.yaml").read_text())["families"]) == FAMILIES
