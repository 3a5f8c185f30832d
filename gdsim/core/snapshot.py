"""What the views are sent: copies of a trainer's state, never views into it.

A ``RunInfo`` describes a run once (its parameters, its data, its settings);
a ``Snapshot`` carries what changed since the previous snapshot of the same
run: every history row since then (so no point of a curve is lost however
fast training goes), the current weights and gradients, and predictions.
Both are plain NumPy and safe to hand to another thread.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass, replace

import numpy as np

from .engine.losses import apply_link
from .engine.neuron_graph import neuron_graph, neuron_layers
from .engine.trainer import Trainer
from .record.curves import CURVE_POINTS
from .scenarios import Scenario
from .settings import Settings

# Models with at most this many weights get a per-weight view (bars, CSV columns).
SMALL_MODEL_WEIGHTS = 300
# Models with at most this many weights have every weight traced from the first step, so a weight
# a person clicks later shows its whole history (digits' 785 among them). Bigger models trace the
# weight being followed, from the moment it is chosen.
TRACE_EVERY_WEIGHT = 1024
# A model whose pass over all its data (training and validation rows times weights, about its
# multiply-adds) is at most this is evaluated in every snapshot: fruit, micrograd, the quadratic,
# every one-weight objective (whose views pair the weight now with its loss). Bigger ones
# (digits10: 23 million) may be evaluated less often than they are drawn while training runs at
# full speed (``SnapshotTaker.take``; the worker decides from what the pass costs).
SMALL_PASS = 1 << 16


@dataclass(frozen=True)
class RunInfo:
    run_id: int
    scenario: str
    title: str
    lesson: str
    view: str
    x_label: str
    y_label: str
    settings: Settings
    model_text: str
    loss_text: str
    link: str
    metric: str | None
    param_names: tuple[str, ...]
    param_shapes: tuple[tuple[int, ...], ...]
    param_offsets: tuple[int, ...]
    labels: tuple[str, ...]  # one per scalar weight, "weight[0,2]"
    target_names: tuple[str, ...]
    x: np.ndarray  # training inputs as the views draw them
    # Training targets, as the loss takes them: for cross-entropy (multiclass data, or binary data
    # trained as two classes) the class index of each row, ints of shape (n,); else floats of the
    # data's shape (binary: 0.0/1.0 in shape (n, 1)).
    y: np.ndarray
    x_val: np.ndarray | None
    y_val: np.ndarray | None  # as y, for the validation rows
    image_shape: tuple[int, int] | None
    has_validation: bool
    batches_per_epoch: int
    curve_x: np.ndarray | None = None  # dense inputs for drawing a fitted curve
    class_names: tuple[str, str] = ("0", "1")  # (negative, positive) for binary classification
    # The data's task: "regression", "binary", "multiclass" or "objective" (gdsim.core.data.dataset).
    task: str = "regression"
    # The classes in the order of their indices: multiclass data's k names (class i is y == i and
    # column i of Snapshot.predictions); binary data's (negative, positive), i.e. class_names; ()
    # for regression and objectives. A multiclass run's predictions always have len(classes) columns.
    classes: tuple[str, ...] = ()
    models: tuple[tuple[str, str, bool], ...] = ()  # (name, summary, takes sizes) of the models offered
    losses: tuple[str, ...] = ()  # the losses the scenario accepts (its task decides)
    inits: tuple[str, ...] = ()  # the initializers it offers (the article's weights where it has them)
    tracked: int = 0  # the weight the run follows (flat index); the worker decides, views ask
    # What the graph view draws: "expression" (the whole expression), "neuron" (one neuron of an
    # MLP for one example, chosen from neuron_layers: (layer, units)) or None (no graph view).
    graph: str | None = None
    neuron_layers: tuple[tuple[int, int], ...] = ()

    @property
    def n_weights(self) -> int:
        return len(self.labels)

    @property
    def small(self) -> bool:
        return self.n_weights <= SMALL_MODEL_WEIGHTS


@dataclass
class Snapshot:
    run_id: int
    step: int
    epoch: int
    steps: np.ndarray  # the step of each new history row
    loss: np.ndarray
    grad_norm: np.ndarray
    metric_values: np.ndarray | None  # the metric at each new row (RunInfo.metric names it)
    tensor_grad_norms: np.ndarray | None
    val_steps: np.ndarray
    val_loss: np.ndarray
    val_metric: np.ndarray
    values: np.ndarray  # every weight now, flat
    values_before: np.ndarray  # before the last update
    update_grads: np.ndarray  # the gradient the last update used
    grad_buffer: np.ndarray  # what .grad holds now (zero unless gradients accumulate)
    last_lr: float
    optimizer: str
    # Linked outputs on the training inputs, one row per row of RunInfo.x: with cross-entropy
    # (link "softmax") the probability of every class, shape (n, len(RunInfo.classes)), rows adding
    # up to 1; with a sigmoid link (bce, mnist) the probability of the positive class, (n, 1);
    # else the model's outputs as they are.
    predictions: np.ndarray
    val_predictions: np.ndarray | None  # the same on RunInfo.x_val
    trace_restart: bool  # the trace was thinned or restarted: replace, don't append
    trace_steps: np.ndarray
    trace_values: np.ndarray
    trace_grads: np.ndarray
    trace_indices: np.ndarray
    current_loss: float = float("nan")  # loss of the current weights on all training data
    current_metric: float | None = None
    curve_predictions: np.ndarray | None = None  # at RunInfo.curve_x
    landscape: tuple[np.ndarray, np.ndarray] | None = None  # (x, loss(x)) for one-number models
    trace_losses: np.ndarray | None = None  # for one-number models: the loss at each new trace row
    steps_per_second: float = 0.0
    tracked: int = 0  # the weight followed now (it changes when a person picks another)
    notes: tuple = ()  # the run's notes so far (Trainer.notes: step, mark, text)
    graph: dict | None = None  # RunInfo.graph's graph at the current weights, as value.graph_data gives it
    # Going back in time (core.timeline): ``past`` when this is an earlier step of the run than its
    # newest (then it carries no rows: the curves keep the whole run, and the views mark ``step``);
    # ``latest`` is the run's newest step, ``earliest`` the first one that can be gone back to.
    past: bool = False
    latest: int = 0
    earliest: int = 0
    # The step's own loss, gradient norm and metric, as its history row has them (None at step 0):
    # a past snapshot carries no rows, and a snapshot with no new rows still says them.
    step_loss: float | None = None
    step_grad_norm: float | None = None
    step_metric: float | None = None
    # The step whose weights ``predictions``, ``val_predictions``, ``curve_predictions``,
    # ``current_loss`` and ``current_metric`` are of: ``step``, unless this snapshot reused an
    # earlier one's pass over all the data (a big model at full speed). None: ``step``.
    evaluated_step: int | None = None

    @property
    def evaluated(self) -> int:
        return self.step if self.evaluated_step is None else self.evaluated_step

    @property
    def row_metric(self) -> float | None:
        """The metric the status bar and the loss view say beside the step's loss: the step's own
        (its history row, before its update); before any step, the initial weights' on all the data."""
        return self.step_metric if self.step_loss is not None else self.current_metric


def run_info(run_id: int, scenario: Scenario, trainer: Trainer, settings: Settings,
             tracked: int | None = None) -> RunInfo:
    params = trainer.params
    data = trainer.data
    curve_x = None
    if scenario.view == "curve":
        x = np.asarray(data.x, dtype=np.float64)
        curve_x = np.linspace(x.min(), x.max(), CURVE_POINTS)
    info = RunInfo(
        run_id=run_id, scenario=scenario.name, title=scenario.title, lesson=scenario.lesson,
        view=scenario.view, x_label=scenario.x_label, y_label=scenario.y_label, settings=settings,
        model_text=trainer.model.describe(), loss_text=trainer.loss.describe(), link=trainer.loss.link,
        metric=trainer.metric,
        param_names=tuple(params.names), param_shapes=tuple(p.shape for p in params),
        param_offsets=tuple(int(p.offset) for p in params), labels=tuple(params.labels()),
        target_names=tuple(data.target_names),
        x=np.array(data.x, copy=True), y=np.array(data.y, copy=True),
        x_val=None if data.x_val is None else np.array(data.x_val, copy=True),
        y_val=None if data.y_val is None else np.array(data.y_val, copy=True),
        image_shape=data.notes.get("image_shape"), has_validation=data.has_validation,
        batches_per_epoch=trainer.sampler.batches_per_epoch, curve_x=curve_x,
        class_names=(str(data.notes.get("negative", "0")), str(data.notes.get("positive", "1"))),
        task=data.task, classes=data.class_names,
        models=tuple((m.name, m.summary, m.takes_args) for m in scenario.models),
        losses=tuple(scenario.loss_names),
        inits=tuple(scenario.init_names),
        **graph_kind(trainer.model),
    )
    return replace(info, tracked=resolve_tracked(info, tracked))


def graph_kind(model) -> dict:
    """RunInfo's ``graph`` and ``neuron_layers`` for ``model``."""
    if callable(getattr(model, "graph", None)):  # ExpressionModel, without importing the Value engine
        return {"graph": "expression", "neuron_layers": ()}
    layers = neuron_layers(model)
    return {"graph": "neuron" if layers else None, "neuron_layers": layers}


def default_neuron(info: RunInfo) -> tuple[int, int, int]:
    """(layer, unit, example) the neuron graph shows until a person picks another: the neuron the
    tracked weight belongs to in the micrograd lesson (the first of the second layer), example 0."""
    layers = dict(info.neuron_layers)
    return (1 if 1 in layers else min(layers, default=0), 0, 0)


def resolve_neuron(info: RunInfo, choice) -> tuple[int, int, int]:
    """The neuron to draw: ``choice`` if this run has it, else the default."""
    layers = dict(info.neuron_layers)
    if choice is not None and len(choice) == 3:
        layer, unit, example = (int(c) for c in choice)
        if 0 <= unit < layers.get(layer, 0) and 0 <= example < len(info.x):
            return layer, unit, example
    return default_neuron(info)


def default_tracked(info: RunInfo) -> int:
    """The weight a run follows until a person clicks another (flat index)."""
    # The micrograd lesson follows the first neuron of the second layer.
    if "layers.1.weight" in info.param_names and info.small:
        return info.param_offsets[info.param_names.index("layers.1.weight")]
    if info.image_shape is not None and not info.small:
        h, w = info.image_shape  # a pixel in the middle, where the digits are drawn
        return (h // 2) * w + w // 2
    return 0


def resolve_tracked(info: RunInfo, tracked: int | None) -> int:
    """The weight to follow: the one asked for if the model has it, else the lesson's default."""
    if tracked is None or not 0 <= tracked < info.n_weights:
        return default_tracked(info)
    return int(tracked)


def trace_indices(info: RunInfo, tracked: int | None = None) -> list[int]:
    """Which weights to trace: every weight of a model up to TRACE_EVERY_WEIGHT, else the one followed."""
    if info.n_weights <= TRACE_EVERY_WEIGHT:
        return list(range(info.n_weights))
    return [resolve_tracked(info, tracked)]


def landscape_grid(reach: float) -> np.ndarray:
    """Points for drawing a one-weight loss over [-reach, reach]: evenly spaced near 0, and
    geometrically beyond 4, so the curve is right on a linear scale and on a log scale alike
    (a diverging run reaches 1e154)."""
    near = np.linspace(-4.0, 4.0, 201)
    if reach <= 4.0:
        return near
    far = np.geomspace(4.0, reach, 120)[1:]
    return np.concatenate([-far[::-1], near, far])


def losses_at(trainer: Trainer, xs: np.ndarray) -> np.ndarray:
    """A one-weight model's loss with its weight at each of ``xs`` (its output is the weight):
    the loss's elementwise form at once where it has one (a frame can bring thousands of
    points: one by one they cost 4 us each), else one by one."""
    target = trainer.data.y
    with np.errstate(all="ignore"):
        each = trainer.loss.each(np.asarray(xs, dtype=np.float64), target)
        if each is not None:
            return np.asarray(each, dtype=np.float64)
        return np.array([trainer.loss.forward(np.asarray(x), target) for x in xs])


class SnapshotTaker:
    """Remembers what the last snapshot of a run carried, so the next carries only news."""

    def __init__(self, run_id: int, info: RunInfo | None = None):
        self.run_id = run_id
        self.info = info
        self._landscape_key = None
        self._landscape = None
        self.last_step = 0
        self.last_val_step = 0
        self.trace_row = 0
        self.trace_stride = 1
        self.trace_id = None
        self.tracked = info.tracked if info is not None else 0  # the weight followed; the worker moves it
        self.neuron = default_neuron(info) if info is not None else (0, 0, 0)  # the worker moves it too
        self._evaluation = None  # (weak reference to the trainer, step, fields) of the last pass over all the data
        self.evaluation_seconds = 0.0  # what that pass took

    @property
    def small_pass(self) -> bool:
        """The model's pass over all its data costs little: every snapshot makes it."""
        info = self.info
        if info is None:
            return True
        rows = len(info.x) + (0 if info.x_val is None else len(info.x_val))
        return rows * info.n_weights <= SMALL_PASS

    def take(self, trainer: Trainer, steps_per_second: float = 0.0, evaluate: bool = True) -> Snapshot:
        """What changed since the last snapshot. With ``evaluate`` False, a big model's snapshot
        may reuse the last one's predictions, loss and metric on all the data (``evaluated_step``
        says which step they are of): its pass over the data can cost more than the frame."""
        news = self._history_news(trainer.history)
        trace = self._trace_news(trainer.trace)
        return Snapshot(**news, **trace, **self._state(trainer, trace["trace_values"], evaluate),
                        steps_per_second=steps_per_second, notes=tuple(trainer.notes))

    def take_past(self, trainer: Trainer, run: Trainer) -> Snapshot:
        """An earlier step of ``run``: ``trainer`` rebuilt at it (``Timeline.rebuild``). It carries
        no rows (the views keep the run's curves; its trace's weights, so they keep its rows too)
        and the run's notes up to the step, and leaves what the next ``take`` sends as it was."""
        empty = np.empty(0)
        h = trainer.history
        indices = np.empty(0, dtype=np.intp) if run.trace is None else run.trace.indices.copy()
        no_trace = np.empty((0, indices.size))
        return Snapshot(
            steps=np.empty(0, dtype=np.int64), loss=empty, grad_norm=empty,
            metric_values=empty if h.metric is not None else None,
            tensor_grad_norms=np.empty((0, len(h.tensor_names))) if h.track_tensor_norms else None,
            val_steps=np.empty(0, dtype=np.int64), val_loss=empty, val_metric=empty,
            trace_restart=False, trace_steps=np.empty(0, dtype=np.int64), trace_values=no_trace, trace_grads=no_trace,
            trace_indices=indices, **self._state(trainer, np.empty((0, 1))),
            notes=tuple(n for n in run.notes if n.step <= trainer.step_count),
            past=True,
        )

    def _state(self, trainer: Trainer, new_trace_values: np.ndarray, evaluate: bool = True) -> dict:
        """A snapshot's fields of the trainer's state now: step, weights, the last update, the
        loss and predictions at these weights (or, for a big model not evaluated this time, at the
        last step that was), the graph."""
        return dict(
            run_id=self.run_id, step=trainer.step_count, epoch=trainer.epoch_count,
            values=trainer.params.values.copy(), values_before=trainer.values_before.copy(),
            update_grads=trainer.update_grads.copy(), grad_buffer=trainer.params.grads.copy(),
            last_lr=trainer.last_lr, optimizer=trainer.optimizer.name,
            **self._evaluated(trainer, evaluate), **self._one_weight(trainer, new_trace_values),
            tracked=self.tracked, graph=self._graph(trainer),
            step_loss=trainer.last_loss, step_grad_norm=trainer.last_grad_norm, step_metric=trainer.last_metric,
        )

    def _evaluated(self, trainer: Trainer, evaluate: bool) -> dict:
        """The loss, metric and predictions of the weights now, from one pass over all the data;
        or the last pass's again, when asked not to evaluate a big model whose last pass was of
        this trainer at an earlier step (the fields are never changed after: sharing them is safe)."""
        last = self._evaluation
        if not evaluate and not self.small_pass and last is not None and last[0]() is trainer \
                and last[1] <= trainer.step_count:
            return last[2]
        started = time.perf_counter()
        outputs = trainer.predict()  # once: the loss and the predictions both need them
        current_loss, current_metric = trainer.evaluate("train", outputs)
        fields = dict(current_loss=current_loss, current_metric=current_metric,
                      **self._predictions(trainer, outputs), evaluated_step=trainer.step_count)
        self.evaluation_seconds = time.perf_counter() - started
        self._evaluation = (weakref.ref(trainer), trainer.step_count, fields)
        return fields

    def _graph(self, trainer: Trainer) -> dict | None:
        """Plain data made afresh on each call: nothing in it is shared with the engine."""
        kind = self.info.graph if self.info is not None else None
        if kind == "expression":
            return trainer.model.graph()
        if kind == "neuron":
            layer, unit, example = self.neuron
            return neuron_graph(trainer.model, trainer.loss, trainer.data.x, trainer.data.y, layer, unit, example)
        return None

    def _history_news(self, h) -> dict:
        """Copies of the history rows after the last step sent (the history may have been thinned
        since: steps, not rows, say where to go on), and likewise for validation."""
        first = int(np.searchsorted(h.steps, self.last_step, side="right"))
        vfirst = int(np.searchsorted(h.val_steps, self.last_val_step, side="right"))
        news = dict(
            steps=h.steps[first:].copy(), loss=h.loss[first:].copy(), grad_norm=h.grad_norm[first:].copy(),
            metric_values=h.metric_values[first:].copy() if h.metric is not None else None,
            tensor_grad_norms=np.sqrt(h.tensor_grad_sq_norms[first:]) if h.track_tensor_norms else None,
            val_steps=h.val_steps[vfirst:].copy(), val_loss=h.val_loss[vfirst:].copy(),
            val_metric=h.val_metric[vfirst:].copy(),
        )
        if len(h):
            self.last_step = int(h.steps[-1])
        if len(h.val_steps):
            self.last_val_step = int(h.val_steps[-1])
        return news

    def _trace_news(self, trace) -> dict:
        """The trace's rows since the last snapshot, or all of them when it was thinned or replaced."""
        if trace is None:
            restart = self.trace_id is not None
            self.trace_id = None
            return dict(trace_restart=restart, trace_steps=np.empty(0, dtype=np.int64),
                        trace_values=np.empty((0, 0)), trace_grads=np.empty((0, 0)),
                        trace_indices=np.empty(0, dtype=np.intp))
        restart = self.trace_id != id(trace) or trace.stride != self.trace_stride or self.trace_row > trace.n
        if restart:
            self.trace_row = 0
        steps, values, grads = trace.rows_since(self.trace_row)
        self.trace_id, self.trace_stride, self.trace_row = id(trace), trace.stride, trace.n
        return dict(trace_restart=restart, trace_steps=steps, trace_values=values, trace_grads=grads,
                    trace_indices=trace.indices.copy())

    def _predictions(self, trainer: Trainer, outputs: np.ndarray) -> dict:
        """What the prediction view draws: outputs on the training (and validation) inputs, and
        the fitted curve."""
        link = trainer.loss.link
        curve = None
        if self.info is not None and self.info.curve_x is not None:
            curve = apply_link(link, trainer.predict(self.info.curve_x)).copy()
        val_predictions = None
        if trainer.data.has_validation:
            val_predictions = np.asarray(apply_link(link, trainer.predict(trainer.data.x_val))).copy()
        return dict(predictions=np.asarray(apply_link(link, outputs), dtype=np.float64).copy(),
                    val_predictions=val_predictions, curve_predictions=curve)

    def _one_weight(self, trainer: Trainer, new_trace_values: np.ndarray) -> dict:
        """For a one-weight model: the loss curve, and the loss at each new trace row."""
        if self.info is None or self.info.view != "parabola":
            return dict(landscape=None, trace_losses=None)
        return dict(landscape=self._landscape_for(trainer, new_trace_values),
                    trace_losses=losses_at(trainer, new_trace_values[:, 0]))

    def _landscape_for(self, trainer: Trainer, new_values: np.ndarray):
        """Loss against the one weight, over a range that covers every value it has taken."""
        seen = [float(v) for v in trainer.params.values] + ([float(new_values.min()), float(new_values.max())]
                                                            if new_values.size else [])
        reach = max([4.0] + [abs(v) for v in seen if np.isfinite(v)])
        # Round the reach up to a power of 2 so the curve is recomputed rarely (below float64's
        # largest number, where the rounding would overflow).
        reach = float(2.0 ** np.ceil(np.log2(min(reach * 1.1, 1e300))))
        if self._landscape_key != reach:
            xs = landscape_grid(reach)
            fs = losses_at(trainer, xs)
            finite = np.isfinite(fs)  # far out, x**2 overflows: the curve is drawn where it has a value
            self._landscape_key, self._landscape = reach, (xs[finite], fs[finite])
        return self._landscape
