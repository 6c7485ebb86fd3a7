"""The training loop shared by the recipes.

:class:`Trainer` owns what every run needs around a recipe's loss function:
progress bar, ``metrics.csv``, checkpoints at a cadence / at the end / on SIGINT or
SIGTERM, exact resume, a guard against non-finite losses and gradients, and periodic hooks
(Timelapse). Step ``s`` means "after ``s`` optimiser updates"; the recipe's
``loss_fn(step)`` must derive any randomness from ``step`` (or from the global
RNGs, which checkpoints capture) so that a resumed run repeats an uninterrupted one.
"""
from __future__ import annotations

import contextlib
import math
import signal
import threading
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence

import torch
from torch import nn
from tqdm import tqdm

from kaolin_pipeline.errors import CheckpointError, TrainingError
from kaolin_pipeline.export.checkpoint import (
    capture_rng_state,
    checkpoint_name,
    latest_checkpoint,
    load_checkpoint,
    mesh_state,
    restore_rng_state,
    save_checkpoint,
)
from kaolin_pipeline.export.rundir import RunDir
from kaolin_pipeline.structures import Mesh
from kaolin_pipeline.train.distributed import DistContext, global_mean, unwrap_model
from kaolin_pipeline.train.metrics_log import MetricsLog

LossFn = Callable[[int], Mapping[str, torch.Tensor]]
Hook = Callable[[int], None]


@contextlib.contextmanager
def _stop_requests():
    """Turn SIGINT/SIGTERM into a flag the loop checks between steps (main thread only)."""
    requested: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield requested
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda number, frame: requested.append(number))
    try:
        yield requested
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class Trainer:
    """Run ``steps`` optimiser updates of ``model`` on the losses ``loss_fn(step)`` returns.

    Args:
        run_dir: the run folder (``checkpoints/``, ``metrics.csv`` go there; rank 0 only).
        model: the module being trained (possibly DistributedDataParallel-wrapped).
        optimizer, scheduler: stepped once per step (the scheduler may be None).
        loss_fn: ``step -> {"loss": total scalar, other named scalars...}``.
        steps: total number of updates of the run.
        config: the resolved config, stored in every checkpoint.
        log_every: write ``metrics.csv`` every this many steps (and at the last step).
        checkpoint_every: checkpoint every this many steps (0: only at the end / on stop).
        hooks: ``(every, fn)`` pairs; ``fn(step)`` runs after every ``every``-th step (and the last).
        mesh_fn: returns the current :class:`Mesh`, stored in checkpoints for ``export``.
        context: the distributed context (single process by default).
        progress: show a tqdm bar.
    """

    def __init__(self, run_dir: Path, model: nn.Module, optimizer: torch.optim.Optimizer,
                 scheduler: Optional[Any], loss_fn: LossFn, *, steps: int, config: Mapping[str, Any],
                 log_every: int = 10, checkpoint_every: int = 0, hooks: Sequence[tuple[int, Hook]] = (),
                 mesh_fn: Optional[Callable[[], Mesh]] = None, context: Optional[DistContext] = None,
                 progress: bool = True):
        if steps < 1:
            raise TrainingError(f"steps must be at least 1, got {steps}")
        self.run_dir = Path(run_dir)
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.loss_fn, self.steps, self.config = loss_fn, steps, dict(config)
        self.log_every, self.checkpoint_every = max(1, log_every), checkpoint_every
        self.hooks, self.mesh_fn = list(hooks), mesh_fn
        self.context = context or DistContext(torch.device("cpu"))
        self.progress = progress and self.context.is_main
        self.step = 0
        self.history: list[dict[str, float]] = []

    @property
    def checkpoint_dir(self) -> Path:
        return RunDir(self.run_dir).checkpoints

    # ------------------------------------------------------------------ checkpoints
    def save(self) -> Optional[Path]:
        """Checkpoint the current step (rank 0 only); return its path."""
        if not self.context.is_main:
            return None
        state = dict(
            step=self.step,
            model=unwrap_model(self.model).state_dict(),
            optimizer=self.optimizer.state_dict(),
            scheduler=self.scheduler.state_dict() if self.scheduler is not None else None,
            rng=capture_rng_state(),
            config=self.config,
        )
        if self.mesh_fn is not None:
            with torch.no_grad():
                state["mesh"] = mesh_state(self.mesh_fn().to("cpu"))
        return save_checkpoint(self.checkpoint_dir / checkpoint_name(self.step), **state)

    def resume(self, path: Optional[Path] = None) -> int:
        """Load ``path`` (default: the run's latest checkpoint) and continue from its step; return the step.

        Raises:
            TrainingError: the run folder has no checkpoint.
        """
        path = path or latest_checkpoint(self.checkpoint_dir)
        if path is None:
            raise TrainingError(f"{self.run_dir}: no checkpoint to resume from in {self.checkpoint_dir}")
        state = load_checkpoint(path, map_location=self.context.device)
        try:
            unwrap_model(self.model).load_state_dict(state["model"])
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()[-1].strip()
            raise CheckpointError(f"{path}: does not fit the model this config builds ({first})") from None
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state.get("scheduler") is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        restore_rng_state(state["rng"])
        self.step = int(state["step"])
        return self.step

    # ------------------------------------------------------------------ loop
    def _update(self) -> dict[str, float]:
        """One optimiser update at ``self.step + 1``; the named losses as floats."""
        step = self.step + 1
        self.model.train()
        self.optimizer.zero_grad(set_to_none=True)
        losses = self.loss_fn(step)
        values = {name: float(global_mean(value.detach(), self.context)) for name, value in losses.items()}
        bad = [name for name, value in values.items() if not math.isfinite(value)]
        if bad:
            self._stop_non_finite(step, "loss", ", ".join(f"{n}={values[n]}" for n in bad))
        losses["loss"].backward()
        parameters = [p for group in self.optimizer.param_groups for p in group["params"] if p.grad is not None]
        values["grad_norm"] = float(torch.nn.utils.clip_grad_norm_(parameters, math.inf)) if parameters else 0.0
        if not math.isfinite(values["grad_norm"]):
            self._stop_non_finite(step, "gradient", f"norm={values['grad_norm']}")
        self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()
        self.step = step
        values["lr"] = float(self.optimizer.param_groups[0]["lr"])
        return values

    def _stop_non_finite(self, step: int, what: str, detail: str) -> None:
        """Raise the :class:`TrainingError` of a non-finite value at ``step`` (parameters are left untouched)."""
        last = latest_checkpoint(self.checkpoint_dir)
        kept = f"last good checkpoint: {last}" if last else "no checkpoint was written yet"
        raise TrainingError(f"non-finite {what} at step {step} ({detail}); stopped, {kept}")

    def run(self, resume: bool = False, max_steps: Optional[int] = None) -> list[dict[str, float]]:
        """Train until ``steps`` (or ``max_steps``, to stop early as an interruption would).

        Returns the losses of every step run in this call (``{"step": s, "loss": ..., ...}``).
        A checkpoint is written at the end and when SIGINT/SIGTERM arrives (then
        :class:`KeyboardInterrupt` is raised after the save).
        """
        if resume:
            self.resume()
        stop_at = min(self.steps, max_steps) if max_steps is not None else self.steps
        log = MetricsLog(self.run_dir, resume_step=self.step) if self.context.is_main else None
        bar = tqdm(total=self.steps, initial=self.step, disable=not self.progress, dynamic_ncols=True, leave=False)
        try:
            with _stop_requests() as stop:
                while self.step < stop_at:
                    values = self._update()
                    self.history.append({"step": self.step, **values})
                    self._after_step(values, log, bar, last=self.step == self.steps)
                    if stop:
                        self.save()
                        raise KeyboardInterrupt(f"stopped by signal {stop[0]} at step {self.step}; "
                                                f"resume with --resume {self.run_dir}")
            if self.checkpoint_every == 0 or self.step % self.checkpoint_every:
                self.save()
        finally:
            bar.close()
            if log is not None:
                log.close()
        return list(self.history)

    def _after_step(self, values: dict[str, float], log: Optional[MetricsLog], bar: tqdm, last: bool) -> None:
        step = self.step
        bar.update(1)
        if step % self.log_every == 0 or last:
            bar.set_postfix({k: f"{v:.4g}" for k, v in values.items() if k != "lr"}, refresh=False)
            if log is not None:
                log.write(step, values)
        if self.checkpoint_every and step % self.checkpoint_every == 0:
            self.save()
        if self.context.is_main:
            for every, hook in self.hooks:
                if every and (step % every == 0 or last):
                    hook(step)
