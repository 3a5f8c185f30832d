"""A run's history as CSV: one row per step, numbers exact to the last bit.

The first line is always the header; every other line is one recorded step (every step,
unless a long run's history was thinned). Columns:

- with several runs in one file (``gdsim run --vs``), first ``run``: the run's name (``base``,
  ``zero-grad=off``), its rows together and in its own order;
- ``step,loss,grad_norm``, then the metric, then ``val_loss`` and ``val_<metric>`` (filled on
  the rows after which validation ran, empty elsewhere);
- with a ``Trace``: ``value:<weight>`` (the weight after the step) and ``grad:<weight>`` (the
  gradient the step used) for every traced weight, empty on rows between recorded steps;
- ``steps_per_row``: 1, or 2, 4, ... once the history was thinned to stay within memory
  (then only every such step has a row); with a trace, ``steps_per_weights_row`` likewise;
- with the run's ``Settings``: ``scenario, model, loss_function, init, optimizer, lr,
  batch_size, seed, zero_grad, l1, l2, until_loss, patience``, the same on every row (as they
  were when the file was written), so that rows of several runs put together stay apart;
- for multi-class data, ``classes``: what the class numbers of the run mean,
  ``0=setosa; 1=versicolor; 2=virginica`` (the same on every row).
"""

from __future__ import annotations

import csv

import numpy as np

from ..data.dataset import MULTICLASS
from ..errors import GdsimError
from .atomic import atomic_writer

# Settings field -> column (the loss column is the loss's value).
SETTINGS_COLUMNS = {"scenario": "scenario", "model": "model", "loss": "loss_function", "init": "init",
                    "optimizer": "optimizer", "lr": "lr", "batch_size": "batch_size", "seed": "seed",
                    "zero_grad": "zero_grad", "l1": "l1", "l2": "l2", "until_loss": "until_loss",
                    "patience": "patience"}


def write_csv(path, header, rows) -> None:
    """A CSV file of ``header`` and ``rows`` (lists of cells), written atomically, lines ending in
    \\n: the one way gdsim writes a table (histories, a range test, a stability map)."""
    with atomic_writer(path, "w", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(header)
        out.writerows(rows)


def write_history_csv(path, history, trace=None, labels=None, settings=None, classes=()) -> None:
    write_csv(path, *history_table(history, trace, labels, settings, classes))


def write_runs_history_csv(path, runs) -> None:
    """Several runs in one file (``gdsim run --vs``): a first column ``run`` naming each run, then
    each run's rows exactly as its own history file would hold them. ``runs``: (name, history,
    settings, classes) of runs with the same columns (one scenario, so one metric and one split)."""
    validation = any(len(history.val_steps) for _, history, _, _ in runs)  # a run may end before its first
    tables = [(name, *history_table(history, settings=settings, classes=classes, validation=validation))
              for name, history, settings, classes in runs]
    header = tables[0][1]
    for name, other, _ in tables[1:]:
        if other != header:
            raise GdsimError(f"cannot write the runs into one history file: run {name!r} has other columns "
                             f"than run {tables[0][0]!r}")
    write_csv(path, ["run"] + header, ([name] + row for name, _, rows in tables for row in rows))


def history_table(history, trace=None, labels=None, settings=None, classes=(), validation=None):
    """(header, rows): the columns above, each row a list of text cells (rows made as they are read).
    ``validation``: whether to have the validation columns (by default, if validation ran)."""
    metric = history.metric
    header = ["step", "loss", "grad_norm"]
    columns = [history.loss, history.grad_norm]
    if metric is not None:
        header.append(metric)
        columns.append(history.metric_values)
    has_val = len(history.val_steps) > 0 if validation is None else validation
    val_rows = {}
    if has_val:
        header += ["val_loss"] + ([f"val_{metric}"] if metric else [])
        for s, vl, vm in zip(history.val_steps, history.val_loss, history.val_metric):
            val_rows[int(s)] = [_fmt(vl)] + ([_fmt(vm)] if metric else [])
    blank_val = [""] * (2 if metric else 1)

    with_trace = trace is not None and trace.indices.size > 0
    trace_rows = {}
    blank_trace = []
    if with_trace:
        names = [labels[i] for i in trace.indices] if labels is not None else [f"w{i}" for i in trace.indices]
        header += [f"value:{name}" for name in names] + [f"grad:{name}" for name in names]
        for step, values, grads in zip(trace.steps, trace.values, trace.grads):
            if step >= 1:
                trace_rows[int(step)] = [_fmt(v) for v in values] + [_fmt(g) for g in grads]
        blank_trace = [""] * (2 * len(names))
    header.append("steps_per_row")
    constant = [str(history.stride)]
    if with_trace:
        header.append("steps_per_weights_row")
        constant.append(str(trace.stride))
    if settings is not None:
        header += list(SETTINGS_COLUMNS.values())
        constant += [_setting(getattr(settings, field)) for field in SETTINGS_COLUMNS]
    if classes:
        header.append("classes")
        constant.append(classes_text(classes))

    def rows():
        for i, step in enumerate(history.steps.tolist()):
            row = [str(step)] + [_fmt(c[i]) for c in columns]
            if has_val:
                row += val_rows.get(step, blank_val)
            if with_trace:
                row += trace_rows.get(step, blank_trace)
            yield row + constant

    return header, rows()


def history_classes(data) -> tuple[str, ...]:
    """The ``classes`` a run's history names: a multi-class dataset's class names, else none."""
    return data.class_names if data.task == MULTICLASS else ()


def classes_text(classes) -> str:
    """'0=setosa; 1=versicolor; 2=virginica': the class numbers and their names."""
    return "; ".join(f"{i}={name}" for i, name in enumerate(classes))


def _fmt(x) -> str:
    # repr of a Python float is the shortest text that reads back to the same double.
    return repr(float(x))


def _setting(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _fmt(value) if isinstance(value, float) else str(value)


def read_history_csv(path) -> dict[str, np.ndarray]:
    """Columns of a history CSV: numbers as float arrays (empty cells are NaN), the settings'
    names (``optimizer``, ``zero_grad``, ...) as arrays of text."""
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    return {name: _column([r[j] for r in body]) for j, name in enumerate(header)}


def _column(cells: list[str]) -> np.ndarray:
    try:
        return np.array([float(c) if c != "" else np.nan for c in cells])
    except ValueError:
        return np.array(cells)
