"""What a comparison draws of a run: its loss, gradient norms and followed weight against the
step, and its predictions at its last step. Copies, safe to hand to a view or to save.

``gdsim run --vs --plot-out`` draws these of each run; the window pins them beside a live run and
keeps them in a session file.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..settings import Settings

MOST_POINTS = 4000  # a pinned run's curves, at the most: it is drawn beside a live one
CURVE_POINTS = 200  # a fitted curve (the quadratic's) is drawn through this many inputs


@dataclass(frozen=True)
class RunCurves:
    """What a comparison draws of one run."""

    name: str
    steps: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    weight: str  # the followed weight's label, "" when the run kept no trace of it
    weight_steps: np.ndarray
    weight_values: np.ndarray
    settings: Settings
    tensor_norms: np.ndarray | None = None  # each tensor's gradient norm at each step, where recorded
    predictions: np.ndarray | None = None  # at the run's last step, as Snapshot.predictions
    curve_predictions: np.ndarray | None = None  # at RunInfo.curve_x, as Snapshot.curve_predictions


def run_curves(name: str, trainer, weight: int, label: str) -> RunCurves:
    """``trainer``'s history, and weight number ``weight`` (labelled ``label``) from its trace."""
    h = trainer.history
    steps, values, found = np.empty(0), np.empty(0), False
    trace = trainer.trace
    if trace is not None:
        hits = np.flatnonzero(trace.indices == weight)
        if hits.size:
            steps, values, found = trace.steps.astype(np.float64), trace.values[:, hits[0]].copy(), True
    return RunCurves(name=name, steps=h.steps.astype(np.float64), loss=h.loss.copy(), grad_norm=h.grad_norm.copy(),
                     weight=label if found else "", weight_steps=steps, weight_values=values,
                     settings=trainer.settings, tensor_norms=h.tensor_grad_norms if h.track_tensor_norms else None)


def thinned(curves: RunCurves, most: int = MOST_POINTS) -> RunCurves:
    """At most about ``most`` points a curve: a pinned run is drawn beside a live one."""
    def every(n: int) -> int:
        return max(1, -(-n // most))

    k, j = every(len(curves.steps)), every(len(curves.weight_steps))
    norms = None if curves.tensor_norms is None else curves.tensor_norms[::k]
    return dataclasses.replace(curves, steps=curves.steps[::k], loss=curves.loss[::k], tensor_norms=norms,
                               grad_norm=curves.grad_norm[::k], weight_steps=curves.weight_steps[::j],
                               weight_values=curves.weight_values[::j])
