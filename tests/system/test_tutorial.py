"""examples/dibr_tutorial.ipynb runs top to bottom (tiny setting) and reports its held-out IoU."""
import importlib.util
import re
from pathlib import Path

import pytest

from kaolin_pipeline.io.render import view_indices

RUNNER = Path(__file__).resolve().parents[2] / "examples" / "run_tutorial.py"


def _runner():
    spec = importlib.util.spec_from_file_location("run_tutorial", RUNNER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_tutorial_notebook_runs_and_reports_heldout_iou(tmp_path):
    runner = _runner()
    executed = runner.run(tmp_path, fast=True, timeout=900)  # raises CellExecutionError on any failing cell
    lines = runner.printed_lines(executed)
    before = [float(m.group(1)) for line in lines
              if (m := re.fullmatch(r"held-out mask IoU before training: ([\d.]+)", line))]
    after = [float(m.group(1)) for line in lines if (m := re.fullmatch(r"held-out mask IoU: ([\d.]+)", line))]
    assert len(before) == 1 and len(after) == 1
    # The untrained sphere (radius 0.75) overlaps the shape (radius 0.7) but is not it; 20 steps move it closer
    # (0.67 -> 0.70 here; `make tutorial`'s full setting reaches 0.96).
    assert 0.3 < before[0] < 0.9 and before[0] + 0.01 < after[0] <= 1
    assert view_indices(tmp_path / "views") == list(range(10))
    assert (tmp_path / "fitted.obj").is_file()
    assert any(output.get("output_type") == "display_data" for cell in executed.cells
               for output in cell.get("outputs", []))  # the figure was drawn
