"""A run's history as CSV: one row per step, numbers exact to the last bit.

One row per recorded step (every step, unless the history was thinned; then a
``#`` line at the top says so). Columns: ``step,loss,grad_norm``, then the metric, then ``val_loss`` and
``val_<metric>`` (filled on the rows after which validation ran, empty
elsewhere). With a ``Trace``, also ``value:<weight>`` (the weight after the
step) and ``grad:<weight>`` (the gradient the step used) for every traced
weight; when the trace was thinned, rows between recorded steps leave those
cells empty and a ``#`` comment at the top says so.
"""

from __future__ import annotations

import csv

import numpy as np

from .files import atomic_writer


def write_history_csv(path, history, trace=None, labels=None) -> None:
    metric = history.metric
    header = ["step", "loss", "grad_norm"]
    columns = [history.loss, history.grad_norm]
    if metric is not None:
        header.append(metric)
        columns.append(history.metric_values)
    has_val = len(history.val_steps) > 0
    val_rows = {}
    if has_val:
        header += ["val_loss"] + ([f"val_{metric}"] if metric else [])
        for s, vl, vm in zip(history.val_steps, history.val_loss, history.val_metric):
            val_rows[int(s)] = [_fmt(vl)] + ([_fmt(vm)] if metric else [])
    blank_val = [""] * (2 if metric else 1)

    trace_rows = {}
    comments = []
    if history.stride > 1:
        comments.append(f"# the run was long: one row every {history.stride} steps (thinned evenly to stay "
                        f"within memory)")
    if trace is not None and trace.indices.size:
        names = [labels[i] for i in trace.indices] if labels is not None else [f"w{i}" for i in trace.indices]
        header += [f"value:{name}" for name in names] + [f"grad:{name}" for name in names]
        for step, values, grads in zip(trace.steps, trace.values, trace.grads):
            if step >= 1:
                trace_rows[int(step)] = [_fmt(v) for v in values] + [_fmt(g) for g in grads]
        comments.append("# each row is one step: the loss computed before its update, grad:* the gradient "
                        "that update used, value:* the weight after it")
        if trace.stride > 1:
            comments.append(f"# weights recorded every {trace.stride} steps (thinned evenly to stay within "
                            f"memory); rows in between leave them empty")
        blank_trace = [""] * (2 * len(names))

    with atomic_writer(path, "w", newline="") as fh:
        for line in comments:
            fh.write(line + "\n")
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(header)
        with_trace = trace is not None and trace.indices.size > 0
        for i, step in enumerate(history.steps.tolist()):
            row = [str(step)] + [_fmt(c[i]) for c in columns]
            if has_val:
                row += val_rows.get(step, blank_val)
            if with_trace:
                row += trace_rows.get(step, blank_trace)
            out.writerow(row)


def _fmt(x) -> str:
    # repr of a Python float is the shortest text that reads back to the same double.
    return repr(float(x))


def read_history_csv(path) -> dict[str, np.ndarray]:
    """Columns of a history CSV as float arrays (empty cells are NaN); comment lines skipped."""
    with open(path, newline="") as fh:
        rows = [r for r in csv.reader(line for line in fh if not line.startswith("#"))]
    header, body = rows[0], rows[1:]
    return {name: np.array([float(r[j]) if r[j] != "" else np.nan for r in body])
            for j, name in enumerate(header)}
