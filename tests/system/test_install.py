"""Installing: the shipped data folders have one source, and a built wheel works outside the checkout."""
import filecmp
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kaolin_pipeline.resources import SHIPPED_FOLDERS, shipped_path

ROOT = Path(__file__).resolve().parents[2]


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


@pytest.mark.parametrize("folder", sorted(SHIPPED_FOLDERS))
def test_top_level_folder_is_a_link_to_the_shipped_copy(folder):
    top, shipped = ROOT / folder, ROOT / "kaolin_pipeline" / "data" / folder
    assert top.is_symlink(), f"{top} must be a symlink to {shipped} (one source of truth), not a copy"
    assert top.resolve() == shipped.resolve()
    assert shipped_path(folder).resolve() == shipped.resolve()
    names = _files(shipped)
    assert names and names == _files(top)
    match, mismatch, errors = filecmp.cmpfiles(top, shipped, names, shallow=False)
    assert (mismatch, errors) == ([], [])


def test_shipped_path_refuses_an_unknown_folder():
    with pytest.raises(ValueError, match="configs"):
        shipped_path("config")


@pytest.fixture(scope="module")
def built_wheel(tmp_path_factory) -> Path:
    """A wheel built by pip from a copy of the project files a wheel is made of (the checkout stays clean)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "kaolin_pipeline", source / "kaolin_pipeline",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                             "-w", str(work / "dist"), str(source)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    (wheel,) = (work / "dist").glob("kaolin_pipeline-*.whl")
    return wheel


def test_wheel_carries_every_shipped_file(built_wheel):
    names = set(zipfile.ZipFile(built_wheel).namelist())
    data = ROOT / "kaolin_pipeline" / "data"
    expected = {f"kaolin_pipeline/data/{folder}/{name}" for folder in SHIPPED_FOLDERS for name in _files(data / folder)}
    assert expected <= names, sorted(expected - names)
    assert "kaolin_pipeline/resources.py" in names


def test_installed_wheel_finds_its_data_from_another_directory(built_wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(built_wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = (
        "import kaolin_pipeline\n"
        "from kaolin_pipeline.train.config import default_config\n"
        "from kaolin_pipeline.render.presets import load_preset\n"
        "from kaolin_pipeline.io import load_mesh\n"
        "from kaolin_pipeline.resources import shipped_path\n"
        "print(kaolin_pipeline.__file__)\n"
        "print(default_config('demo')['name'], default_config('reconstruct')['name'])\n"
        "print(len(load_preset('turntable')['views']['turntable']['azimuth']))\n"
        "print(load_mesh(shipped_path('datasets', 'samples', 'cube.obj')).faces.shape[0])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run([sys.executable, "-c", script], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    module_file, names, views, faces = result.stdout.split("\n")[:4]
    assert Path(module_file).is_relative_to(site)
    assert names == "demo reconstruct" and views == "36" and faces == "12"
