"""The public names of kaolin_pipeline.export: the real objects, loaded lazily."""
import subprocess
import sys

import pytest

NAMES = ["Timelapse", "TimelapseReader", "save_checkpoint", "load_checkpoint", "latest_checkpoint",
         "export_assets", "RunDir"]


def test_every_public_name_is_the_object_of_its_module():
    from kaolin_pipeline import export
    from kaolin_pipeline.export import assets, checkpoint, rundir, timelapse

    homes = {"Timelapse": timelapse, "TimelapseReader": timelapse, "save_checkpoint": checkpoint,
             "load_checkpoint": checkpoint, "latest_checkpoint": checkpoint, "export_assets": assets,
             "RunDir": rundir}
    assert sorted(export.__all__) == sorted(NAMES)
    for name, module in homes.items():
        assert getattr(export, name) is getattr(module, name), name
    assert set(NAMES) <= set(dir(export))


def test_the_names_work_through_from_import(tmp_path):
    import torch

    from kaolin_pipeline.export import latest_checkpoint, load_checkpoint, save_checkpoint

    save_checkpoint(tmp_path / "step_000003.pt", step=3, weights=torch.arange(4.0))
    latest = latest_checkpoint(tmp_path)
    assert latest == tmp_path / "step_000003.pt"
    state = load_checkpoint(latest)
    assert state["step"] == 3 and torch.equal(state["weights"], torch.arange(4.0))


def test_an_unknown_name_is_an_attribute_error():
    import kaolin_pipeline.export as export

    with pytest.raises(AttributeError, match="no attribute 'Timelaps'"):
        export.Timelaps  # noqa: B018
    with pytest.raises(ImportError):
        exec("from kaolin_pipeline.export import nothing_here", {})


def test_importing_the_package_loads_neither_pxr_nor_torch():
    script = ("import sys, kaolin_pipeline, kaolin_pipeline.export\n"
              "print(sorted(m for m in ('pxr', 'torch', 'kaolin_pipeline.export.timelapse') if m in sys.modules))\n"
              "from kaolin_pipeline.export import Timelapse\n"
              "print('pxr' in sys.modules, Timelapse.__module__)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["[]", "True kaolin_pipeline.export.timelapse"]
