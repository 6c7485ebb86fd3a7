"""Per-step scalars of a run: ``metrics.csv`` (column ``step`` first) and TensorBoard when installed."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Mapping, Optional

from kaolin_pipeline.atomic import atomic_open
from kaolin_pipeline.export.rundir import RunDir


def _tensorboard_writer(log_dir: Path):
    """A ``SummaryWriter`` when TensorBoard is importable, else ``None`` (it is optional)."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter(log_dir=str(log_dir))


class MetricsLog:
    """Appends one row per logged step to ``RUN_DIR/metrics.csv``.

    On resume (``resume_step`` given) rows after that step are dropped first (the file is
    rewritten atomically), so a resumed run's file reads as if the run had never stopped. The columns are fixed
    by the first row written (``step`` first, then the other keys in order).
    """

    def __init__(self, run_dir: Path, resume_step: Optional[int] = None):
        run = RunDir(run_dir)
        self.path = run.metrics_csv
        run.create()
        self.columns: Optional[list[str]] = None
        kept: list[dict] = []
        if resume_step is not None and self.path.is_file():
            with open(self.path, newline="") as handle:
                reader = csv.DictReader(handle)
                self.columns = reader.fieldnames
                kept = [row for row in reader if int(row["step"]) <= resume_step]
        with atomic_open(self.path, "w", newline="") as handle:
            if self.columns:
                writer = csv.DictWriter(handle, self.columns)
                writer.writeheader()
                writer.writerows(kept)
        self.tensorboard = _tensorboard_writer(run.tensorboard)

    def write(self, step: int, values: Mapping[str, float]) -> None:
        """Append the row ``step, *values`` (and the same scalars to TensorBoard)."""
        row = {"step": step, **values}
        new_file = self.columns is None
        if new_file:
            self.columns = list(row)
        with open(self.path, "a", newline="") as handle:
            writer = csv.DictWriter(handle, self.columns, extrasaction="ignore")
            if new_file:
                writer.writeheader()
            writer.writerow(row)
        if self.tensorboard is not None:
            for name, value in values.items():
                self.tensorboard.add_scalar(name, value, step)

    def close(self) -> None:
        if self.tensorboard is not None:
            self.tensorboard.close()


def read_metrics(run_dir: Path) -> list[dict[str, float]]:
    """The rows of ``RUN_DIR/metrics.csv`` as dicts of floats (``step`` as int)."""
    with open(RunDir(run_dir).metrics_csv, newline="") as handle:
        return [{key: (int(value) if key == "step" else float(value)) for key, value in row.items()}
                for row in csv.DictReader(handle)]
