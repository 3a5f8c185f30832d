"""Initial weights, drawn from a seeded ``numpy.random.Generator``.

Each initializer fills every parameter in turn, in the model's declared order,
so the same seed always gives the same weights. Xavier and He scale by a
tensor's fan-in and fan-out; they leave biases at zero, the usual practice
(PyTorch cannot compute a fan for a 1-D tensor either).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import GdsimError
from .parameter import ParameterSet, ParameterSpec


class Initializer:
    name = "init"
    title = "initializer"
    # What the app and the command line say of it (gdsim.core.choices reads these): the label in
    # the app's list (None: typed with its arguments instead), one line of help, how it is written.
    label: str | None = None
    help = ""
    syntax: str | None = None  # "huber:DELTA"; None: its name alone
    offer: str | None = None  # the choice its list entry stands for; None: its name
    biases_zero = False

    def sample(self, spec: ParameterSpec, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def fill(self, params: ParameterSet, rng: np.random.Generator) -> None:
        for p in params:
            if self.biases_zero and p.spec.role == "bias":
                p.value[...] = 0.0
            else:
                p.value[...] = self.sample(p.spec, rng)

    def describe(self) -> str:
        return self.title


class Normal(Initializer):
    name = "normal"
    label = "normal"
    help = "normal with MEAN, STD (default 0, 1)"
    syntax = "normal:MEAN,STD"

    def __init__(self, mean: float = 0.0, std: float = 1.0):
        if not (math.isfinite(mean) and math.isfinite(std)) or std < 0:
            raise ValueError(f"normal needs a finite mean and a std >= 0, not ({mean}, {std})")
        self.mean, self.std = float(mean), float(std)

    def sample(self, spec, rng):
        return rng.normal(self.mean, self.std, size=spec.shape)

    def describe(self):
        if self.mean == 0 and self.std == 1:
            return "standard normal"
        return f"normal(mean {self.mean:g}, std {self.std:g})"


class Uniform(Initializer):
    name = "uniform"
    label = "uniform:-1,1"
    offer = "uniform:-1,1"  # the list offers micrograd's range, written as one would type it
    help = "uniform between LOW and HIGH (default -1, 1)"
    syntax = "uniform:LOW,HIGH"

    def __init__(self, low: float = -1.0, high: float = 1.0):
        if not (math.isfinite(low) and math.isfinite(high)) or low > high:
            raise ValueError(f"uniform needs finite bounds with low <= high, not ({low}, {high})")
        if not math.isfinite(high - low):
            raise ValueError(f"uniform's range {high:g} - ({low:g}) is too wide for a float64")
        self.low, self.high = float(low), float(high)

    def sample(self, spec, rng):
        return rng.uniform(self.low, self.high, size=spec.shape)

    def describe(self):
        return f"uniform({self.low:g}, {self.high:g})"


class Constant(Initializer):
    name = "constant"
    label = None  # not in the app's list: typed with its arguments (custom...)
    help = "every weight VALUE"
    syntax = "constant:VALUE"

    def __init__(self, value: float = 0.0):
        if not math.isfinite(value):
            raise ValueError(f"constant needs a finite value, not {value}")
        self.value = float(value)

    def sample(self, spec, rng):
        return np.full(spec.shape, self.value)

    def describe(self):
        return f"constant {self.value:g}"


class Zeros(Constant):
    name = "zeros"
    label = "zeros"
    help = "every weight 0"

    def __init__(self):
        super().__init__(0.0)

    def describe(self):
        return "zeros"


class Ones(Constant):
    name = "ones"
    label = "ones"
    help = "every weight 1"

    def __init__(self):
        super().__init__(1.0)

    def describe(self):
        return "ones"


class Values(Initializer):
    """Given numbers, one per weight in the model's order (``values:2,-3,10,-2``): a lesson's
    starting point written out, the same whatever the seed."""

    name = "values"
    label = None  # not in the app's list: typed with its arguments (custom...)
    help = "one number per weight, in the model's order"
    syntax = "values:V1,V2,..."

    def __init__(self, *numbers: float):
        if not numbers:
            raise ValueError("values needs one number per weight, e.g. values:2,-3,10,-2")
        if not all(math.isfinite(x) for x in numbers):
            raise ValueError(f"values needs finite numbers, not {numbers}")
        self.numbers = tuple(float(x) for x in numbers)

    def fill(self, params, rng):
        if len(self.numbers) != params.size:
            labels = params.labels()
            which = f" ({', '.join(labels)})" if len(labels) <= 10 else ""
            raise GdsimError(f"values gives {len(self.numbers)} number{'s' if len(self.numbers) != 1 else ''}; "
                             f"this model has {params.size} weight{'s' if params.size != 1 else ''}{which}")
        params.values[...] = self.numbers

    def describe(self):
        return "the values " + ", ".join(f"{x:g}" for x in self.numbers)


class Article(Values):
    """The weights a lesson's source article starts from, written out in the scenario
    (``Scenario.article_weights``), so the lesson shows the article's own numbers step for step.
    ``Scenario.build`` hands them over; a scenario without an article's weights refuses it."""

    name = "article"
    label = "the article's weights"
    help = "the weights the lesson's article starts from (fruit, quadratic)"
    syntax = None
    # New weights draws fresh ones: as the articles drew theirs, from a standard normal (torch.randn).
    redraw = "normal"

    def __init__(self, *numbers: float):
        if numbers:
            super().__init__(*numbers)
        else:
            self.numbers = ()

    def fill(self, params, rng):
        if not self.numbers:
            raise GdsimError("the initializer 'article' needs a scenario built from an article (fruit, quadratic)")
        super().fill(params, rng)

    def describe(self):
        return "the article's weights"


class XavierNormal(Initializer):
    name = "xavier_normal"
    label = "xavier_normal"
    help = "Glorot normal, std sqrt(2/(fan_in+fan_out)); biases 0"
    title = "Xavier (Glorot) normal"
    biases_zero = True

    def sample(self, spec, rng):
        return rng.normal(0.0, math.sqrt(2.0 / (spec.fan_in + spec.fan_out)), size=spec.shape)


class XavierUniform(Initializer):
    name = "xavier_uniform"
    label = "xavier_uniform"
    help = "Glorot uniform, bound sqrt(6/(fan_in+fan_out)); biases 0"
    title = "Xavier (Glorot) uniform"
    biases_zero = True

    def sample(self, spec, rng):
        a = math.sqrt(6.0 / (spec.fan_in + spec.fan_out))
        return rng.uniform(-a, a, size=spec.shape)


class HeNormal(Initializer):
    name = "he_normal"
    label = "he_normal"
    help = "He normal, std sqrt(2/fan_in); biases 0"
    title = "He (Kaiming) normal"
    biases_zero = True

    def sample(self, spec, rng):
        return rng.normal(0.0, math.sqrt(2.0 / spec.fan_in), size=spec.shape)


class HeUniform(Initializer):
    name = "he_uniform"
    label = "he_uniform"
    help = "He uniform, bound sqrt(6/fan_in); biases 0"
    title = "He (Kaiming) uniform"
    biases_zero = True

    def sample(self, spec, rng):
        a = math.sqrt(6.0 / spec.fan_in)
        return rng.uniform(-a, a, size=spec.shape)


INITIALIZERS: dict[str, type[Initializer]] = {
    cls.name: cls
    for cls in (Article, Normal, Uniform, Zeros, Ones, Constant, Values, XavierNormal, XavierUniform, HeNormal, HeUniform)
}
