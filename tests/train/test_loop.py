"""The training loop on a toy model: logging, checkpoints, exact resume, NaN stop, signals."""
import math
import os
import signal

import pytest
import torch
from torch import nn

from kaolin_pipeline.errors import TrainingError
from kaolin_pipeline.export.checkpoint import latest_checkpoint, load_checkpoint
from kaolin_pipeline.train.loop import Trainer
from kaolin_pipeline.train.metrics_log import read_metrics

STEPS = 12


def _toy_trainer(run_dir, *, fail_at=None, bad_gradient_at=None, signal_at=None, **options):
    """A dropout MLP regressing a fixed function on random batches drawn from the global RNG."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 16), nn.Dropout(0.2), nn.ReLU(), nn.Linear(16, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=4, gamma=0.5)

    def loss_fn(step):
        inputs = torch.randn(8, 3)
        loss = (model(inputs)[:, 0] - inputs.sum(dim=1)).pow(2).mean()
        if step == fail_at:
            loss = loss * float("nan")
        if step == bad_gradient_at:  # finite value (0), NaN gradient (0 * inf)
            loss = loss + torch.sqrt(0.0 * model[0].weight.sum())
        if step == signal_at:
            os.kill(os.getpid(), signal.SIGINT)
        return {"loss": loss, "half": 0.5 * loss}

    trainer = Trainer(run_dir, model, optimizer, scheduler, loss_fn, steps=STEPS, config={"seed": 0},
                      progress=False, **options)
    return trainer, model


def test_logs_checkpoints_and_hooks(tmp_path):
    calls = []
    trainer, _ = _toy_trainer(tmp_path, log_every=5, checkpoint_every=5, hooks=[(4, calls.append)])
    history = trainer.run()
    assert [row["step"] for row in history] == list(range(1, STEPS + 1))
    assert all(row["half"] == pytest.approx(0.5 * row["loss"]) for row in history)
    rows = read_metrics(tmp_path)
    assert [row["step"] for row in rows] == [5, 10, 12]
    assert (tmp_path / "metrics.csv").read_text().startswith("step,")
    assert rows[0]["loss"] == pytest.approx(history[4]["loss"])
    # StepLR(4, 0.5): after 12 updates the lr is 0.05 / 8
    assert rows[-1]["lr"] == pytest.approx(0.05 / 8)
    names = sorted(p.name for p in (tmp_path / "checkpoints").glob("step_*.pt"))
    assert names == ["step_000005.pt", "step_000010.pt", "step_000012.pt"]
    assert calls == [4, 8, 12]
    state = load_checkpoint(latest_checkpoint(tmp_path / "checkpoints"))
    assert state["step"] == STEPS and state["config"] == {"seed": 0}


def test_interrupted_then_resumed_run_repeats_the_uninterrupted_losses(tmp_path):
    full, _ = _toy_trainer(tmp_path / "full", log_every=1)
    reference = full.run()

    first, _ = _toy_trainer(tmp_path / "split", log_every=1, checkpoint_every=100)
    part = first.run(max_steps=5)
    torch.manual_seed(1234)  # disturb the global RNG: resume must restore it
    second, _ = _toy_trainer(tmp_path / "split", log_every=1)
    rest = second.run(resume=True)
    assert [r["step"] for r in part + rest] == list(range(1, STEPS + 1))
    assert [r["loss"] for r in part + rest] == [r["loss"] for r in reference]
    # the resumed metrics.csv reads as the uninterrupted one
    assert read_metrics(tmp_path / "split") == read_metrics(tmp_path / "full")


def test_non_finite_loss_names_the_step_and_keeps_the_last_good_checkpoint(tmp_path):
    trainer, model = _toy_trainer(tmp_path, checkpoint_every=3, fail_at=8)
    with pytest.raises(TrainingError, match=r"step 8 .*loss=nan.*step_000006\.pt"):
        trainer.run()
    assert trainer.step == 7  # the bad update was never applied
    assert all(torch.isfinite(p).all() for p in model.parameters())
    latest = latest_checkpoint(tmp_path / "checkpoints")
    assert latest.name == "step_000006.pt"
    state = load_checkpoint(latest)
    assert state["step"] == 6 and all(torch.isfinite(v).all() for v in state["model"].values())


def test_non_finite_gradient_stops_before_the_update(tmp_path):
    trainer, model = _toy_trainer(tmp_path, checkpoint_every=2, bad_gradient_at=5)
    with pytest.raises(TrainingError, match=r"non-finite gradient at step 5 .*step_000004\.pt"):
        trainer.run()
    assert trainer.step == 4 and all(torch.isfinite(p).all() for p in model.parameters())


def test_sigint_saves_a_checkpoint_and_the_run_resumes(tmp_path):
    trainer, _ = _toy_trainer(tmp_path, signal_at=4, checkpoint_every=100)
    # the handler found before the run (SIG_IGN when the test process was started as a background job)
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt, match="step 4"):
        trainer.run()
    assert latest_checkpoint(tmp_path / "checkpoints").name == "step_000004.pt"
    # the run's handler is removed afterwards
    assert signal.getsignal(signal.SIGINT) is before
    resumed, _ = _toy_trainer(tmp_path)
    rest = resumed.run(resume=True)
    assert rest[0]["step"] == 5 and rest[-1]["step"] == STEPS and math.isfinite(rest[-1]["loss"])


def test_resume_without_checkpoint_is_refused(tmp_path):
    trainer, _ = _toy_trainer(tmp_path)
    with pytest.raises(TrainingError, match="no checkpoint"):
        trainer.run(resume=True)
