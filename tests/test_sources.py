"""datasets.sources: one grammar for every command's shapes, checked against files written here and
against what fit, render, view and train each get from the same string."""
import pytest
import torch

from kaolin_pipeline.datagen import shape_entries
from kaolin_pipeline.datasets import ModelNet, ShapeNetCore, SyntheticShapes, make_shape
from kaolin_pipeline.datasets.sources import open_source
from kaolin_pipeline.errors import ConfigError, LoadError
from kaolin_pipeline.io import save_mesh
from kaolin_pipeline.export.rundir import RunDir
from kaolin_pipeline.train.config import load_config, load_run_config
from kaolin_pipeline.train.fit import prepare_target
from kaolin_pipeline.train.view_data import build_dataset
from kaolin_pipeline.visualize.dataset import open_dataset


def _cube(seed=0):
    return make_shape("cube", torch.Generator().manual_seed(seed))


@pytest.fixture
def modelnet40(tmp_path):
    root = tmp_path / "ModelNet40"
    for split, name in (("train", "airplane_0001"), ("train", "chair_0001"), ("test", "chair_0002")):
        save_mesh(root / name.split("_")[0] / split / f"{name}.off", _cube())
    return tmp_path


def test_single_shapes_are_the_same_mesh_for_every_reader(tmp_path):
    source = open_source("synthetic:torus")
    assert source.kind == "synthetic" and source.single
    expected = make_shape("torus", torch.Generator().manual_seed(7))  # the family's draw from the seed
    assert torch.equal(source.mesh(7).vertices, expected.vertices)
    (entry,) = shape_entries("synthetic:torus", seed=7)  # render
    assert entry.subfolder == "" and torch.equal(entry.load().vertices, expected.vertices)
    save_mesh(tmp_path / "a.obj", expected)
    assert open_source(str(tmp_path / "a.obj")).kind == "file"


def test_a_count_is_a_set_everywhere_and_one_spelling_only(tmp_path):
    source = open_source("synthetic:5")
    assert source.kind == "synthetic_set" and source.count == 5 and not source.single
    viewed = open_dataset("synthetic:5")  # view
    assert isinstance(viewed, SyntheticShapes) and len(viewed) == 5
    entries = shape_entries("synthetic:5", seed=2)  # render: <family>/<index>
    reference = SyntheticShapes(5, seed=2)
    assert [e.subfolder for e in entries] == [f"{reference.family(i)}/{i}" for i in range(5)]
    assert torch.equal(entries[3].load().vertices, reference[3]["vertices"])
    config = load_config("fit", overrides={"target": "synthetic:5", "device": "cpu"})
    with pytest.raises(ConfigError, match="synthetic:5.*set of 5 synthetic shapes.*fit needs one shape"):
        prepare_target(config, torch.device("cpu"))  # fit
    for other in ("synthetic*5", "synthetic5", "synthetic:x5"):
        with pytest.raises(ConfigError, match="synthetic:5"):
            open_source(other)
    for bad, message in (("synthetic:teapot", "unknown synthetic family 'teapot'"), ("synthetic:", "no family"),
                         ("synthetic", "synthetic:<family> or synthetic:N"), ("synthetic:0", "at least one")):
        with pytest.raises(ConfigError, match=message):
            open_source(bad)


def test_shapenet_version_is_detected(tmp_path):
    for version, model_file in ((1, "model.obj"), (2, "models/model_normalized.obj")):
        root = tmp_path / f"v{version}"
        save_mesh(root / "03001627" / "m1" / model_file, _cube())
        source = open_source(f"shapenet:{root}")
        assert source.version == version
        dataset = source.dataset()
        assert isinstance(dataset, ShapeNetCore) and len(dataset) == 1 and dataset.version == version
    (tmp_path / "empty" / "03001627" / "m1").mkdir(parents=True)
    with pytest.raises(LoadError, match="no ShapeNetCore model"):
        open_source(f"shapenet:{tmp_path / 'empty'}")


def test_modelnet_variant_and_split(modelnet40):
    both = open_source(f"modelnet:{modelnet40}")
    assert both.variant == 40 and both.split is None
    names = [p.stem for p in both.dataset().paths]
    assert names == ["airplane_0001", "chair_0001", "chair_0002"]  # train split, then test split
    assert [p.stem for p in open_source(f"modelnet:{modelnet40}#test").dataset().paths] == ["chair_0002"]
    assert isinstance(open_dataset(f"modelnet:{modelnet40}#train"), ModelNet)
    assert [e.subfolder for e in shape_entries(f"modelnet:{modelnet40}")] == [
        "airplane/train/airplane_0001", "chair/train/chair_0001", "chair/test/chair_0002"]
    with pytest.raises(ConfigError, match="#test split, but the train split"):
        open_source(f"modelnet:{modelnet40}#test").dataset(split="train")
    with pytest.raises(ConfigError, match="train or test, got 'val'"):
        open_source(f"modelnet:{modelnet40}#val")
    assert open_source(f"modelnet:{modelnet40 / 'ModelNet40'}").variant == 40


def test_train_reads_the_same_string_and_splits_it(modelnet40, tmp_path):
    config = load_config("reconstruct", overrides={"data.source": f"modelnet:{modelnet40}", "views.num_views": 2,
                                                   "views.supervise": 1, "views.image_size": 8})
    train = build_dataset(config, "train", tmp_path / "cache")
    test = build_dataset(config, "test", tmp_path / "cache")
    assert [p.stem for p in train.paths] == ["airplane_0001", "chair_0001"] and [p.stem for p in test.paths] == [
        "chair_0002"]
    config = load_config("reconstruct", overrides={"data.source": "synthetic:blob"})
    with pytest.raises(ConfigError, match="data.source: synthetic:blob is one blob shape; train needs a set"):
        build_dataset(config, "train", tmp_path / "cache")


def test_view_folders_and_bad_paths(tmp_path):
    (tmp_path / "views").mkdir()
    (tmp_path / "views" / "0_rgb.png").write_bytes(b"")
    assert open_source(str(tmp_path / "views")).kind == "views"
    with pytest.raises(ConfigError, match="a folder of views, not a set"):
        open_source(str(tmp_path / "views")).dataset()
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(LoadError, match="not a mesh file"):
        open_source(str(tmp_path / "notes.txt"))
    with pytest.raises(LoadError, match="no such file or folder"):
        open_source(str(tmp_path / "nowhere"))
    with pytest.raises(ConfigError, match="expected shapenet:ROOT"):
        open_source("shapenet:")
    with pytest.raises(LoadError, match="is not a folder"):
        open_source(f"modelnet:{tmp_path / 'nowhere'}")


@pytest.mark.parametrize("old, new", [
    ({"data": {"source": "synthetic", "root": "", "num_train": 7, "shapenet_version": 1, "modelnet_variant": 10}},
     "synthetic:7"),
    ({"data": {"source": "shapenet", "root": "/data/ShapeNetCore.v2", "shapenet_version": 2}},
     "shapenet:/data/ShapeNetCore.v2"),
    ({"data": {"source": "modelnet", "root": "/data/mn"}}, "modelnet:/data/mn"),
    ({"data": {"source": "folder", "root": "/data/meshes"}}, "/data/meshes"),
    ({"data": {"source": "synthetic"}}, "synthetic:512"),
    ({"data": {"num_train": 9}}, "synthetic:9"),
])
def test_old_configs_keep_their_data_source(tmp_path, old, new):
    saved = RunDir(tmp_path).write_config(old)
    assert load_run_config("reconstruct", saved)["data"]["source"] == new
    assert load_config("reconstruct", saved)["data"]["source"] == new


def test_old_overrides_on_top_of_a_new_source():
    config = load_config("reconstruct", overrides=["data.source=shapenet:/a", "data.root=/b"])
    assert config["data"]["source"] == "shapenet:/b"
    assert load_config("reconstruct", overrides=["data.num_train=3"])["data"]["source"] == "synthetic:3"
    with pytest.raises(ConfigError, match="data.source = shapenet needs a data.root"):
        load_config("reconstruct", overrides=["data.source=shapenet"])
    with pytest.raises(ConfigError, match="unknown config key 'data.root'"):
        load_config("fit", overrides=["data.root=/x"])
