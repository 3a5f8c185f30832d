"""The teaching scenarios: each a complete preset of data, model and training choices.

A scenario turns ``Settings`` into a ready ``Trainer``. Everything a person
leaves unset takes the scenario's default, which is what the tutorial behind
it uses.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .catalog import CATALOG
from .choices import make_choice, parse_choice
from .data.dataset import BINARY, MULTICLASS, OBJECTIVE, REGRESSION, TASK_NAMES, Dataset
from .data.resources import resource_path
from .engine.activations import MicrogradTanhOverflow
from .engine.initializers import INITIALIZERS, Article
from .engine.losses import LOSSES
from .engine.models import MLP, Linear, Model, Polynomial, Scalar, check_size, hidden_sizes
from .engine.optimizers import OPTIMIZERS
from .engine.trainer import Trainer
from .errors import GdsimError
from .settings import Settings


@dataclass(frozen=True)
class ModelChoice:
    """One model a scenario offers, with the defaults that suit it.

    ``build(data, n_outputs, *args)`` makes the model; ``args`` come from a choice written
    ``NAME:ARGS`` (``mlp:32,16``) and only models that say so (``takes_args``) accept them.
    """

    name: str
    summary: str
    build: Callable[..., Model]
    defaults: dict = field(default_factory=dict)  # loss, init, optimizer, lr overrides
    takes_args: bool = False


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    summary: str  # one line, for `gdsim list`
    lesson: str  # what to try, for the app
    load_data: Callable[[], Dataset]
    models: tuple[ModelChoice, ...]
    loss: str
    init: str
    optimizer: str
    lr: float
    steps: int
    batch_size: int | None = None
    metric: str | None = None
    seed: int = 0  # the draw of initial weights the lesson is told with
    view: str = "scatter"  # how predictions are drawn: scatter, curve, classes, parabola
    x_label: str = "input"
    y_label: str = "target"
    # The article's starting weights, in the model's order (init "article"): its printed numbers.
    article_weights: tuple[float, ...] | None = None
    watch: Callable[[], object] | None = None  # makes the lesson's Trainer.watch, if it has one

    @property
    def model_names(self) -> list[str]:
        return [m.name for m in self.models]

    def model_choice(self, spec: str | None) -> tuple[ModelChoice, tuple[float, ...]]:
        """The model a choice names, and its arguments (``mlp:32,16`` -> mlp, (32, 16))."""
        if spec is None:
            return self.models[0], ()
        name, args = parse_choice(spec)
        for m in self.models:
            if m.name == name:
                if args and not m.takes_args:
                    raise GdsimError(f"model {name!r} takes no arguments: {spec!r}")
                return m, args
        raise GdsimError(f"scenario {self.name!r} has no model {name!r}; choose from {', '.join(self.model_names)}")

    @functools.cached_property
    def data(self) -> Dataset:
        return self.load_data()

    def resolve(self, settings: Settings) -> Settings:
        """``settings`` with every unset choice replaced by this scenario's default."""
        settings.validate()
        choice, _ = self.model_choice(settings.model)
        d = choice.defaults
        steps = settings.steps if settings.steps is not None else self.steps
        batch = settings.batch_size if settings.batch_size is not None else d.get("batch_size", self.batch_size)
        if batch is not None and batch >= self.data.n_train:
            batch = None  # one batch of everything, as a DataLoader would give
        def pick(field: str, default):
            value = getattr(settings, field)
            return d.get(field, default) if value is None else value

        return settings.replace(
            scenario=self.name,
            model=settings.model if settings.model is not None else choice.name,
            loss=pick("loss", self.loss),
            init=pick("init", self.init),
            optimizer=pick("optimizer", self.optimizer),
            lr=settings.lr if settings.lr is not None else d.get("lr", self.lr),
            steps=steps,
            batch_size=batch,
            seed=settings.seed if settings.seed is not None else self.seed,
        )

    def build(self, settings: Settings | None = None, **trainer_options) -> Trainer:
        """A trainer on fresh weights drawn from ``settings.seed``."""
        s = self.resolve(settings or Settings(scenario=self.name))
        loss = make_choice("loss", LOSSES, s.loss)
        init = self.initializer(s.init)
        optimizer = make_choice("optimizer", OPTIMIZERS, s.optimizer)
        data = self.data_for_loss(loss.target_kind)
        # Cross-entropy takes one logit per class (two for binary data, as PyTorch would).
        n_out = self.data.n_classes if loss.target_kind == MULTICLASS else self.n_outputs
        choice, args = self.model_choice(s.model)
        model = choice.build(data, n_out, *args)
        # The predictions the views and the summary make see every training (or validation) row at once.
        check_size(model, max(data.n_train, len(data.x_val) if data.has_validation else 0))
        trainer = Trainer(
            model, loss, optimizer, data,
            lr=s.lr, initializer=init, seed=s.seed, batch_size=s.batch_size,
            zero_grad=s.zero_grad, metric=self.metric, l1=s.l1, l2=s.l2,
            max_steps=s.steps or None, until_loss=s.until_loss, patience=s.patience, settings=s,
            watch=self.watch() if self.watch is not None else None, **trainer_options,
        )
        return trainer

    def initializer(self, text: str):
        """The initializer ``text`` names, as this scenario builds it (its article's weights for 'article')."""
        init = make_choice("initializer", INITIALIZERS, text)
        if isinstance(init, Article):
            if self.article_weights is None:
                raise GdsimError(f"scenario {self.name!r} has no article's weights (init 'article' is "
                                 f"for {', '.join(n for n, s in SCENARIOS.items() if s.article_weights)})")
            init = Article(*self.article_weights)
        return init

    @property
    def init_names(self) -> list[str]:
        """The initializers this scenario offers: the article's weights only where it has them."""
        return [name for name in INITIALIZERS if name != Article.name or self.article_weights is not None]

    @property
    def n_outputs(self) -> int:
        y = self.data.y
        return int(y.shape[1]) if y.ndim == 2 else 1

    def fits_loss(self, target_kind: str) -> bool:
        """Regression losses fit numeric targets; the classification losses need 0/1 targets.
        Classes numbered 0 to k-1 are no quantities: only cross-entropy fits them. A scenario
        without targets (an expression) minimises its output as it is, with the ``value`` loss,
        and that loss fits no other scenario."""
        if OBJECTIVE in (target_kind, self.data.task):
            return target_kind == self.data.task
        if self.data.task == MULTICLASS:
            return target_kind == MULTICLASS
        return target_kind == REGRESSION or self.data.task == BINARY

    @property
    def loss_names(self) -> list[str]:
        """The losses this scenario accepts, in the registry's order (what the app offers)."""
        return [name for name, cls in LOSSES.items() if self.fits_loss(cls.target_kind)]

    def data_for_loss(self, target_kind: str) -> Dataset:
        """The data with targets in the form the loss needs (class indices for cross-entropy)."""
        if not self.fits_loss(target_kind):
            raise GdsimError(self._misfit(target_kind))
        return _with_class_targets(self.data) if target_kind == MULTICLASS else self.data

    def _misfit(self, target_kind: str) -> str:
        if self.data.task == OBJECTIVE:
            return f"scenario {self.name!r} has no targets: it minimises its expression's value itself (loss value)"
        if target_kind == OBJECTIVE:
            return (f"the loss 'value' minimises a model's output itself; scenario {self.name!r} has targets "
                    f"to compare predictions with")
        if self.data.task == MULTICLASS:
            return (f"scenario {self.name!r} has {self.data.n_classes} classes; only cross-entropy "
                    f"(cross_entropy) trains a model to choose among them")
        loss_kind = "binary (0/1)" if target_kind == BINARY else "class"
        return (f"scenario {self.name!r} is a regression; a {loss_kind} loss needs a classification "
                f"scenario (use mse, sse, mae or huber)")


def _with_class_targets(data: Dataset) -> Dataset:
    def classes(y):
        return None if y is None else np.asarray(y).reshape(len(y), -1)[:, 0].astype(np.intp)

    return Dataset(data.x, classes(data.y), data.x_val, classes(data.y_val),
                   data.input_names, data.target_names, data.task, data.notes)


# ----- the data of each scenario -------------------------------------------------------------

def _fruit() -> Dataset:
    x = np.array([[73, 67, 43], [91, 88, 64], [87, 134, 58], [102, 43, 37], [69, 96, 70]], dtype=np.float64)
    y = np.array([[56, 70], [81, 101], [119, 133], [22, 37], [103, 119]], dtype=np.float64)
    return Dataset(x, y, input_names=("temperature (F)", "rainfall (mm)", "humidity (%)"),
                   target_names=("apples", "oranges"))


# The fastai book's speeds (chapter 4), exactly as its code makes them in float32:
#   torch.manual_seed(2021); time = torch.arange(0, 20).float()
#   speed = torch.rand(20)*5 + 0.8*(time-7.5)**2 + 1; torch.randn(3); params = torch.randn(3)
# Written out, not redrawn: NumPy's generator is not PyTorch's, and the lesson is the article's run.
QUADRATIC_SPEED = (
    46.65219497680664, 37.36693572998047, 28.91278648376465, 20.77944564819336, 13.652358055114746,
    6.8263678550720215, 3.021545171737671, 6.013855934143066, 2.6714048385620117, 3.2958528995513916,
    10.047840118408203, 10.884428024291992, 21.311182022094727, 25.820833206176758, 38.544551849365234,
    47.804012298583984, 61.365455627441406, 74.67955780029297, 93.1169662475586, 110.5024185180664,
)
QUADRATIC_PARAMS = (-0.12840519845485687, -1.0042424201965332, 0.5672656297683716)  # a, b, c: that params
# jovian.ai's "PyTorch basics: linear regression" prints these weights (its torch.randn draw); it
# does not print the bias, and these values reproduce its printed predictions to 4 decimals.
FRUIT_WEIGHT = ((-0.9876, -1.2698, 1.1006), (-0.4972, 0.6133, 0.4304))
FRUIT_BIAS = (1.9517, -1.1420)


def _quadratic() -> Dataset:
    t = np.arange(20, dtype=np.float64)
    return Dataset(t, np.array(QUADRATIC_SPEED), input_names=("time",), target_names=("speed",))


def _micrograd() -> Dataset:
    x = np.array([[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]])
    y = np.array([[1.0], [-1.0], [-1.0], [1.0]])
    return Dataset(x, y, input_names=("x1", "x2", "x3"), target_names=("y",))


# The first 320 of each digit train, the last 80 of each validate: a fixed, balanced split.
DIGITS_TRAIN_PER_CLASS = 320


def _mnist(name: str) -> tuple[np.ndarray, np.ndarray]:
    """A bundled MNIST file: pixels scaled to [0, 1], each image flattened row-major; its labels."""
    with np.load(resource_path(name), allow_pickle=False) as f:
        images, labels = f["images"], f["labels"]
    return images.reshape(len(images), 28 * 28).astype(np.float64) / 255.0, labels


def _split_per_class(labels: np.ndarray, classes, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the first ``k`` images of each class, then of the rest: a fixed, balanced split."""
    each = [np.flatnonzero(labels == c) for c in classes]
    return np.concatenate([rows[:k] for rows in each]), np.concatenate([rows[k:] for rows in each])


def _digits() -> Dataset:
    x, labels = _mnist("mnist_3_7.npz")
    y = (labels == 3).astype(np.float64).reshape(-1, 1)
    train, val = _split_per_class(labels, (3, 7), DIGITS_TRAIN_PER_CLASS)
    return Dataset(x[train], y[train], x[val], y[val],
                   input_names=("pixel",), target_names=("is a 3",), task=BINARY,
                   notes={"image_shape": (28, 28), "positive": "3", "negative": "7"})


# fastai's chapter 4 carried to all ten digits: the first 240 images of each digit train, the
# last 60 of each validate (300 of each in the file).
DIGITS10_TRAIN_PER_CLASS = 240


def _digits10() -> Dataset:
    x, labels = _mnist("mnist_digits.npz")
    y = labels.astype(np.float64).reshape(-1, 1)  # the digit is its own class index
    train, val = _split_per_class(labels, range(10), DIGITS10_TRAIN_PER_CLASS)
    return Dataset(x[train], y[train], x[val], y[val],
                   input_names=("pixel",), target_names=("digit",), task=MULTICLASS,
                   notes={"image_shape": (28, 28), "class_names": tuple(str(d) for d in range(10))})


def _parabola() -> Dataset:
    return Dataset(np.zeros(1), np.array(0.0), input_names=(), target_names=("0",))


# The chain-rule lesson's expression is imported when that lesson is built: it brings the Value
# engine, which no other scenario (nor a headless run of one) needs to load.
def _chain_rule_data() -> Dataset:
    from .engine.expression import expression_data

    return expression_data("L")


def _chain_rule_model(data: Dataset, n_outputs: int) -> Model:
    from .engine.expression import CHAIN_RULE, ExpressionModel

    return ExpressionModel(CHAIN_RULE)


def _n_inputs(data: Dataset) -> int:
    return int(data.x.shape[1])


SCENARIOS: dict[str, Scenario] = {}


def _built_in(name: str, **fields) -> None:
    """A built-in scenario, registered; its title and summary are the catalog's."""
    SCENARIOS[name] = Scenario(name=name, title=CATALOG[name].title, summary=CATALOG[name].summary, **fields)


def _model(scenario: str, name: str, build, **options) -> ModelChoice:
    """A built-in scenario's model, with the summary the catalog gives it."""
    return ModelChoice(name, CATALOG[scenario].model_summary(name), build, **options)


_built_in(
    "fruit",
    lesson="Fit y = x @ W.T + b to five regions' yields, from the article's weights: the loss is "
           "24,868 at step 1 and 16,869 at step 2, as the article prints (24868.0703, 16868.5664). At "
           "lr 1e-5 it falls to 144 in 100 steps. lr 1e-4 is faster: 13 at step 100, below 1 from step "
           "277. Just past it, at 1.2e-4, every step overshoots more than the last and the loss "
           "explodes (past 1e16 by step 100). Turn gradient zeroing off at 1e-5: the summed gradients "
           "overshoot, and the loss climbs from 486 at step 4 back above 25,000 at step 8 before it "
           "settles.",
    load_data=_fruit,
    models=(_model("fruit", "linear", lambda d, n: Linear(_n_inputs(d), n)),),
    loss="mse", init="article", optimizer="sgd", lr=1e-5, steps=100,
    article_weights=tuple(np.ravel(FRUIT_WEIGHT)) + FRUIT_BIAS,
    x_label="target (tons per hectare)", y_label="prediction (tons per hectare)",
)

_built_in(
    "quadratic",
    lesson="Three numbers a, b, c become a curve through the measured speeds, from the article's "
           "data and starting a, b, c. At lr 1e-5 the RMSE is 74.96, 36.43, 22.69, 19.01, 18.23 at "
           "steps 1 to 5, as the article prints, then hardly moves (18.03 after 100 steps): t**2 "
           "reaches 361, so a learning rate small enough to keep a stable is far too small to move "
           "b and c. Five times larger, lr 5e-5, diverges.",
    load_data=_quadratic,
    models=(_model("quadratic", "polynomial", lambda d, n: Polynomial(2)),),
    loss="mse", init="article", optimizer="sgd", lr=1e-5, steps=100, metric="rmse",
    article_weights=QUADRATIC_PARAMS,
    view="curve", x_label="time", y_label="speed",
)

_built_in(
    "micrograd",
    lesson="Four examples, 41 weights. With gradient zeroing on the loss drops below 0.01 by step "
           "6. Turn zeroing off: the gradients pile up, the tanh units saturate and training "
           "stalls at a loss of 8. At step 10 a tanh input passes 354.9, where micrograd's own tanh "
           "(exp(2x)) overflows: the article's run stopped there with \"OverflowError: math range "
           "error\"; gdsim says so and goes on. At lr 0.4 some other draws of weights saturate even with "
           "zeroing on (New weights: seed 33 stalls at 8); at lr 0.1 every seed from 32 to 41 gets "
           "below 0.01 in 50 steps.",
    load_data=_micrograd,
    models=(_model("micrograd", "mlp", lambda d, n: MLP((_n_inputs(d), 4, 4, n), "tanh")),),
    loss="sse", init="uniform:-1,1", optimizer="sgd", lr=0.4, steps=50, seed=31, watch=MicrogradTanhOverflow,
    x_label="target", y_label="prediction",
)

_built_in(
    "digits",
    lesson="Each image is scored from its 784 pixels and a sigmoid turns the score into the "
           "probability of a 3. Starting from zero weights, the weight image shows where 3s and "
           "7s differ within a few steps; after 120 steps 98.1% of the validation images are "
           "right. fastai starts from random normal weights (Initializer: normal): the picture "
           "then drowns in the starting noise, though 97.5% are right. The MLP (Model: mlp) "
           "reaches 98.8%; its 30 units still look like their random start.",
    load_data=_digits,
    models=(
        _model("digits", "linear", lambda d, n: Linear(784, n)),
        _model("digits", "mlp", lambda d, n: MLP((784, 30, n), ("relu", "identity")),
               defaults={"loss": "bce", "init": "he_uniform", "lr": 0.1}),
    ),
    # Zero weights, not fastai's normal ones: the lesson is the weight image, and random
    # starting weights of std 1 drown it (what 120 steps change is small beside them).
    loss="mnist", init="zeros", optimizer="sgd", lr=1.0, steps=120, batch_size=256, metric="accuracy",
    view="classes", x_label="true label", y_label="predicted probability of a 3",
)

_built_in(
    "digits10",
    lesson="fastai's chapter-4 classifier carried to all ten digits. Each image gets ten scores, one per "
           "digit, from ten rows of 784 weights; softmax turns them into ten probabilities that add up to "
           "1, and cross-entropy is minus the log of the right digit's probability. From zero weights "
           "every digit is equally likely: the loss starts at log(10) = 2.303. After 600 steps 90.2% of "
           "the 600 validation images are right (96.2% of the training images): about as far as one row "
           "of weights per digit goes with 2,400 images. New weights only reorders the batches (zero "
           "weights are zero whatever the seed), and other orders end between 88% and 90%. The 200 3s "
           "and 7s of the digits lesson that this one never trains on come out right 92% of the time, "
           "among ten possible answers. The MLP (Model: mlp) reaches 91.8%.",
    load_data=_digits10,
    models=(
        _model("digits10", "linear", lambda d, n: Linear(784, n)),
        _model("digits10", "mlp", lambda d, n: MLP((784, 30, n), ("relu", "identity")),
               defaults={"init": "he_uniform"}),
    ),
    # Zero weights, as in digits: each digit's row of weights is then its own picture from the first
    # step. A linear model of 2,400 images ends near 90% whatever the batch order (88% to 90% over
    # seeds 0 to 15 at step 600); seed 13's order is one that ends just above it.
    loss="cross_entropy", init="zeros", optimizer="sgd", lr=0.5, steps=600, batch_size=256, metric="accuracy",
    seed=13,
    view="multiclass", x_label="true digit", y_label="predicted probability",
)

_built_in(
    "parabola",
    lesson="The gradient of x**2 is 2x, so each step multiplies x by (1 - 2*lr). lr 0.01 crawls "
           "(x = 2.0 after 20 steps); lr 0.1 moves in steadily (x = 0.035); lr 0.9 overshoots, "
           "flipping sign every step, yet lands as close; lr 1 bounces between 3 and -3 for ever; "
           "above 1 every step throws x further out (lr 1.1: x = 115 after 20 steps). Untick the "
           "step limit at lr 1.5 and x overflows: diverged at step 512.",
    load_data=_parabola,
    models=(_model("parabola", "scalar", lambda d, n: Scalar("x")),),
    loss="sse", init="constant:3", optimizer="sgd", lr=0.1, steps=20,
    view="parabola", x_label="x", y_label="f(x) = x**2",
)

_built_in(
    "chain-rule",
    lesson="e = a*b, d = e + c, L = d*f, from the article's a = 2, b = -3, c = 10, f = -2: L = -8. "
           "Backward, node by node, the chain rule gives the article's gradients: dL/dd = f = -2, "
           "dL/de = dL/dd x dd/de = -2 x 1 = -2, and for the leaves a: 6, b: -4, c: -2, f: 4. Each SGD "
           "step at lr 0.01 moves every leaf against its gradient (a: 2 -> 1.94) and L falls: -8.73 at "
           "step 2, -15.6 at step 10. L has no lowest value: untick the step limit and it runs away, "
           "diverged at step 82. Turn gradient zeroing off: step 2 updates with the sum of two "
           "gradients (a: 6 + 6.04 = 12.04) and L reaches -56.2 at step 10.",
    load_data=_chain_rule_data,
    models=(_model("chain-rule", "expression", _chain_rule_model),),
    # The article's leaves, in the order a, b, c, f.
    loss="value", init="values:2,-3,10,-2", optimizer="sgd", lr=0.01, steps=10,
    view="graph", x_label="step", y_label="L",
)


# ----- your own data --------------------------------------------------------------------------

def _custom_mlp(data: Dataset, n_out: int, *hidden) -> Model:
    sizes = hidden_sizes(hidden)
    return MLP((_n_inputs(data), *sizes, n_out), ["relu"] * len(sizes) + ["identity"])


def custom_scenario(data: Dataset, name: str, title: str, description: str = "") -> Scenario:
    """A scenario around a person's own data (a CSV file): regression, binary or multi-class
    classification."""
    task, n_in = data.task, _n_inputs(data)
    if task == BINARY:
        target = data.target_names[0]
        data.notes.setdefault("positive", f"{target} = 1")
        data.notes.setdefault("negative", f"{target} = 0")
    n_out = data.n_classes if task == MULTICLASS else 1 if task == BINARY else len(data.target_names)
    return Scenario(
        name=name, title=title,
        summary=f"your data: {TASK_NAMES[task]}, {n_in} input{'s' if n_in != 1 else ''}",
        lesson=_custom_lesson(data, title, description), load_data=lambda: data,
        models=(
            ModelChoice("linear", f"linear {n_in} -> {n_out}", lambda d, n: Linear(_n_inputs(d), n)),
            ModelChoice("mlp", "MLP with ReLU hidden layers (mlp:16 by default; mlp:32,16 for two)",
                        _custom_mlp, defaults={"init": "he_uniform"}, takes_args=True),
        ),
        init="xavier_uniform", optimizer="sgd", lr=0.01, steps=200, **_TASK_DEFAULTS[task](data),
    )


# What a task of your own data starts with: its loss and metric, and how its predictions are drawn.
_TASK_DEFAULTS = {
    REGRESSION: lambda d: dict(loss="mse", metric="rmse", view="scatter", x_label="target", y_label="prediction"),
    BINARY: lambda d: dict(loss="bce", metric="accuracy", view="classes", x_label="true class",
                           y_label=f"predicted probability that {d.target_names[0]} = 1"),
    MULTICLASS: lambda d: dict(loss="cross_entropy", metric="accuracy", view="multiclass",
                               x_label=f"true {d.target_names[0]}", y_label="predicted probability"),
}


def _custom_lesson(data: Dataset, title: str, description: str) -> str:
    """What the summary and the window say of your data: the task and why, the classes, the rows
    (and any left out for missing values)."""
    from .data.from_table import dropped_text

    notes = data.notes
    why = notes.get("task_reason")
    task = TASK_NAMES[data.task] + (f" ({'chosen' if why == 'chosen' else 'inferred: ' + why})" if why else "")
    classes = ""
    if data.task == MULTICLASS:
        names = data.class_names
        listed = ", ".join(f"{i} {n}" for i, n in enumerate(names[:10])) + (", ..." if len(names) > 10 else "")
        classes = f" into {len(names)} classes (numbered in sorted order: {listed})"
    rows = f"{data.n_train} training rows" + (f", {len(data.x_val)} validation rows" if data.has_validation else "")
    dropped = ""
    if notes.get("dropped"):
        dropped = "; " + dropped_text(notes["dropped"], notes["rows_read"], notes["dropped_columns"])
    return (f"{title}: {task} of {', '.join(data.target_names)}{classes} from {', '.join(data.input_names)} "
            f"({rows}){dropped}." + (" " + description if description else ""))


def scenario_from_table(table, inputs, targets, *, task: str | None = None, missing: str = "drop",
                        standardize: bool = False, val_fraction: float = 0.0) -> Scenario:
    """A scenario of chosen columns of a CSV ``Table`` (see ``gdsim.core.data``); ``task`` None infers it."""
    from pathlib import Path

    from .data.from_table import make_dataset

    data, standardization = make_dataset(table, inputs, targets, task=task, missing=missing,
                                         standardize=standardize, val_fraction=val_fraction)
    name = Path(table.path).name
    description = standardization.describe() if standardization is not None else "Inputs as in the file."
    return custom_scenario(data, f"csv:{Path(table.path).stem}", name, description)


def get_scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise GdsimError(f"unknown scenario {name!r}; choose from {', '.join(SCENARIOS)}") from None


def build_trainer(settings: Settings, **trainer_options) -> Trainer:
    return get_scenario(settings.scenario).build(settings, **trainer_options)

