"""Update rules, with PyTorch's ``torch.optim`` semantics and default settings.

Each optimizer updates the flat vector of all parameter values in place from
the flat vector of gradients; its state (momentum buffers, running averages)
is a dict of flat arrays so it can be saved and restored exactly.
"""

from __future__ import annotations

import math

import numpy as np


def _check_eps(eps: float) -> float:
    eps = float(eps)
    if not (math.isfinite(eps) and eps > 0):
        raise ValueError(f"eps (added to the denominator) must be a finite number > 0, not {eps:g}")
    return eps


class Optimizer:
    name = "optimizer"
    title = "optimizer"
    # What the app and the command line say of it (gdsim.core.choices reads these): the label in
    # the app's list (None: typed with its arguments instead), one line of help, how it is written.
    label: str | None = None
    help = ""
    syntax: str | None = None  # "huber:DELTA"; None: its name alone
    offer: str | None = None  # the choice its list entry stands for; None: its name

    def __init__(self):
        self.state: dict[str, np.ndarray | int] = {}

    def reset(self, size: int, dtype=np.float64) -> None:
        """Forget everything learned about past gradients (a new run)."""
        self.state = {}

    def update(self, values: np.ndarray, grads: np.ndarray, lr: float) -> None:
        raise NotImplementedError

    def backup(self) -> None:
        """Remember the state, so that a step that diverges can be undone exactly."""
        saved = getattr(self, "_saved", None)
        if saved is None or saved.keys() != self.state.keys():
            self._saved = {k: np.array(v, copy=True) for k, v in self.state.items()}
            return
        for key, value in self.state.items():
            np.copyto(saved[key], value)

    def restore(self) -> None:
        for key, value in self._saved.items():
            np.copyto(self.state[key], value)

    def describe(self) -> str:
        return self.title


class SGD(Optimizer):
    """``p -= lr * grad``: the rule every tutorial writes by hand."""

    name = "sgd"
    label = "SGD"
    help = "plain SGD: p -= lr * grad"
    title = "SGD"

    def reset(self, size, dtype=np.float64):
        self.state = {}
        self._scratch = np.empty(size, dtype=dtype)
        # One weight (the parabola): two NumPy calls on a 1-element array cost about six times the
        # same two IEEE operations on Python floats, and are most of such a step's time.
        self._one = size == 1 and np.dtype(dtype) == np.float64

    def update(self, values, grads, lr):
        if self._one:
            values[0] = values.item() - grads.item() * lr
            return
        np.multiply(grads, lr, out=self._scratch)
        values -= self._scratch


class Momentum(Optimizer):
    """``torch.optim.SGD(momentum=mu)``: buf = mu*buf + grad; p -= lr*buf."""

    name = "momentum"
    label = "momentum"
    help = "SGD with momentum MU (default 0.9)"
    syntax = "momentum:MU"
    title = "SGD with momentum"
    nesterov = False

    def __init__(self, momentum: float = 0.9):
        super().__init__()
        if not (0.0 <= momentum < 1.0):
            raise ValueError(f"momentum must be in [0, 1), not {momentum}")
        self.momentum = float(momentum)

    def reset(self, size, dtype=np.float64):
        # A zero buffer makes the first step buf = grad, as PyTorch's clone does.
        self.state = {"momentum_buffer": np.zeros(size, dtype=dtype)}
        self._scratch = np.empty(size, dtype=dtype)

    def update(self, values, grads, lr):
        buf = self.state["momentum_buffer"]
        buf *= self.momentum
        buf += grads
        if self.nesterov:
            np.multiply(buf, self.momentum, out=self._scratch)
            self._scratch += grads
        else:
            self._scratch[...] = buf
        self._scratch *= lr
        values -= self._scratch

    def describe(self):
        return f"{self.title} ({self.momentum:g})"


class Nesterov(Momentum):
    """``torch.optim.SGD(momentum=mu, nesterov=True)``: buf = mu*buf + grad; p -= lr*(grad + mu*buf).

    PyTorch's form of Nesterov looks ahead along the *updated* buffer, so the first
    step is p -= lr*(1 + mu)*grad, not the plain SGD step some texts show.
    """

    name = "nesterov"
    label = "Nesterov"
    help = "SGD with Nesterov momentum MU (default 0.9)"
    syntax = "nesterov:MU"
    title = "Nesterov momentum"
    nesterov = True


class AdaGrad(Optimizer):
    """``torch.optim.Adagrad``: sum += grad**2; p -= lr * grad / (sqrt(sum) + eps)."""

    name = "adagrad"
    label = "AdaGrad"
    help = "AdaGrad with EPS (default 1e-10)"
    syntax = "adagrad:EPS"
    title = "AdaGrad"

    def __init__(self, eps: float = 1e-10):
        super().__init__()
        self.eps = _check_eps(eps)

    def reset(self, size, dtype=np.float64):
        self.state = {"sum": np.zeros(size, dtype=dtype)}
        self._scratch = np.empty(size, dtype=dtype)

    def update(self, values, grads, lr):
        s = self.state["sum"]
        s += grads * grads
        np.sqrt(s, out=self._scratch)
        self._scratch += self.eps
        np.divide(grads, self._scratch, out=self._scratch)
        self._scratch *= lr
        values -= self._scratch


class RMSProp(Optimizer):
    """``torch.optim.RMSprop``: v = alpha*v + (1-alpha)*grad**2; p -= lr * grad / (sqrt(v) + eps)."""

    name = "rmsprop"
    label = "RMSProp"
    help = "RMSProp with ALPHA, EPS (default 0.99, 1e-8)"
    syntax = "rmsprop:ALPHA,EPS"
    title = "RMSProp"

    def __init__(self, alpha: float = 0.99, eps: float = 1e-8):
        super().__init__()
        if not (0.0 <= alpha < 1.0):
            raise ValueError(f"alpha must be in [0, 1), not {alpha}")
        self.alpha, self.eps = float(alpha), _check_eps(eps)

    def reset(self, size, dtype=np.float64):
        self.state = {"square_avg": np.zeros(size, dtype=dtype)}
        self._scratch = np.empty(size, dtype=dtype)

    def update(self, values, grads, lr):
        v = self.state["square_avg"]
        v *= self.alpha
        np.multiply(grads, grads, out=self._scratch)
        self._scratch *= 1.0 - self.alpha
        v += self._scratch
        np.sqrt(v, out=self._scratch)
        self._scratch += self.eps
        np.divide(grads, self._scratch, out=self._scratch)
        self._scratch *= lr
        values -= self._scratch


class Adam(Optimizer):
    """``torch.optim.Adam``, betas (0.9, 0.999), eps 1e-8 by default.

    At step t: m = b1*m + (1-b1)*grad; v = b2*v + (1-b2)*grad**2;
    p -= lr/(1-b1**t) * m / (sqrt(v)/sqrt(1-b2**t) + eps).
    eps is added after v is bias-corrected, as PyTorch does; the Adam paper's
    "efficient" form adds it before and so takes slightly larger early steps.
    """

    name = "adam"
    label = "Adam"
    help = "Adam with BETA1, BETA2, EPS (default 0.9, 0.999, 1e-8)"
    syntax = "adam:BETA1,BETA2,EPS"
    title = "Adam"

    def __init__(self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        super().__init__()
        for b in (beta1, beta2):
            if not (0.0 <= b < 1.0):
                raise ValueError(f"Adam betas must be in [0, 1), not {b}")
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), _check_eps(eps)

    def reset(self, size, dtype=np.float64):
        self.state = {
            "step": np.zeros((), dtype=np.int64),
            "exp_avg": np.zeros(size, dtype=dtype),
            "exp_avg_sq": np.zeros(size, dtype=dtype),
        }
        self._scratch = np.empty(size, dtype=dtype)
        self._denom = np.empty(size, dtype=dtype)

    def update(self, values, grads, lr):
        st = self.state
        st["step"] += 1
        t = int(st["step"])
        m, v = st["exp_avg"], st["exp_avg_sq"]
        b1, b2 = self.beta1, self.beta2
        m *= b1
        np.multiply(grads, 1.0 - b1, out=self._scratch)
        m += self._scratch
        v *= b2
        np.multiply(grads, grads, out=self._scratch)
        self._scratch *= 1.0 - b2
        v += self._scratch
        bias1 = 1.0 - b1**t
        bias2 = 1.0 - b2**t
        # Same order of operations as torch.optim.Adam's single-tensor path.
        np.sqrt(v, out=self._denom)
        self._denom /= math.sqrt(bias2)
        self._denom += self.eps
        np.divide(m, self._denom, out=self._scratch)
        self._scratch *= lr / bias1
        values -= self._scratch


OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adam)
}
