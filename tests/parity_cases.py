"""The runs gdsim is compared with PyTorch on: every scenario, with and without zeroing, every
optimizer, every loss, the penalties.

Each case is a gdsim ``Settings`` and the PyTorch loop of ``torch_loops.py`` that trains the
same way. ``test_pytorch_parity.py`` runs both where PyTorch is installed; ``make_golden.py``
stores PyTorch's results in ``golden/pytorch.npz`` and ``test_golden.py`` compares gdsim with
them in every run, PyTorch or not. Nothing here imports torch until a loop is run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gdsim.core.data.dataset import BatchSampler
from gdsim.core.scenarios import build_trainer
from gdsim.core.settings import Settings

RTOL = 1e-6  # relative, with an absolute floor of 1e-12 of the largest value (for numbers near 0)



GOLDEN_DIR = Path(__file__).resolve().parent / "golden"  # PyTorch's results, stored

@dataclass(frozen=True)
class Case:
    id: str
    settings: dict = field(hash=False)
    torch_optim: bool = False  # SGD through torch.optim.SGD rather than by hand (other optimizers always are)

    def trainer(self):
        """gdsim's trainer for this case, on its own first draw of weights, before any step."""
        return build_trainer(Settings(**self.settings))

    def torch_run(self, trainer, initial: dict):
        """PyTorch's (losses, final weights) for this case, from ``initial`` weights."""
        import torch_loops

        s = trainer.settings
        options = dict(zero_grad=s.zero_grad, l1=s.l1, l2=s.l2)
        if s.optimizer != "sgd" or self.torch_optim:
            options["optimizer"] = torch_loops.OPTIMIZERS[s.optimizer]
        if s.scenario in ("digits", "digits10"):
            # digits: 0/1 targets, whatever the loss; digits10: class indices (its loss is cross-entropy).
            data = build_trainer(Settings(scenario=s.scenario)).data
            return torch_loops.digits(initial, data.x, data.y, batch_order(trainer, s.steps), lr=s.lr, loss=s.loss,
                                      **options)
        loop = {"fruit": torch_loops.fruit, "quadratic": torch_loops.quadratic, "micrograd": torch_loops.micrograd,
                "parabola": torch_loops.parabola}[s.scenario]
        if s.loss != {"fruit": "mse", "quadratic": "mse", "micrograd": "sse", "parabola": "sse"}[s.scenario]:
            options["loss"] = s.loss
        return loop(initial, steps=s.steps, lr=s.lr, **options)


def batch_order(trainer, steps):
    """The rows each step of ``trainer`` trains on: a fresh sampler with the trainer's seed."""
    sampler = BatchSampler(trainer.data.n_train, trainer.sampler.batch_size if not trainer.sampler.full else None,
                           np.random.SeedSequence([trainer.seed, 1]))
    return [sampler.next()[0] if not sampler.full else np.arange(trainer.data.n_train) for _ in range(steps)]


def _cases():
    cases = []

    def add(id, torch_optim=False, zeroing=(True, False), **settings):
        for zero in zeroing:
            cases.append(Case(f"{id}-{'zeroing' if zero else 'no-zeroing'}", dict(settings, zero_grad=zero),
                              torch_optim))

    # Every scenario as the tutorial trains it (plain SGD, by hand).
    add("fruit", scenario="fruit")
    add("quadratic", scenario="quadratic")
    add("micrograd", scenario="micrograd")
    add("digits-linear", scenario="digits")
    add("digits-mlp-bce", scenario="digits", model="mlp")
    for lr in (0.1, 0.9, 1.0):
        add(f"parabola-lr{lr}", scenario="parabola", lr=lr)
    # The optimizers against torch.optim.
    for name, lr in {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adagrad": 0.1, "rmsprop": 0.01,
                     "adam": 0.01}.items():
        add(f"micrograd-{name}", torch_optim=True, scenario="micrograd", optimizer=name, lr=lr, steps=40)
    for name in ("momentum", "nesterov", "adagrad", "rmsprop", "adam"):
        lr = 0.1 if name in ("momentum", "nesterov") else 0.01
        add(f"digits-{name}", scenario="digits", optimizer=name, lr=lr, steps=24)
    add("quadratic-momentum", scenario="quadratic", optimizer="momentum", lr=1e-5, steps=50)
    add("quadratic-adam", scenario="quadratic", optimizer="adam", lr=0.1, steps=50)
    # The losses against torch.nn.functional.
    for loss, lr in (("mnist", 1.0), ("bce", 0.5), ("mse", 0.1), ("mae", 0.1), ("huber", 0.1), ("huber:0.5", 0.1),
                     ("cross_entropy", 0.5)):
        add(f"digits-loss-{loss}", scenario="digits", loss=loss, lr=lr, steps=15)
    for loss in ("mae", "huber:20"):
        add(f"fruit-loss-{loss}", scenario="fruit", loss=loss, lr=1e-3, steps=30)
    add("digits-mlp-cross-entropy", zeroing=(True,), scenario="digits", model="mlp", loss="cross_entropy", steps=12)
    # Ten classes: softmax cross-entropy on 10 logits against F.cross_entropy, from zero and from random weights.
    add("digits10-linear", scenario="digits10", steps=30)
    add("digits10-linear-normal", zeroing=(True,), scenario="digits10", init="normal:0,0.1", steps=20)
    add("digits10-mlp", zeroing=(True,), scenario="digits10", model="mlp", steps=20)
    # L1 and L2 penalties written into the torch loss.
    for l1, l2 in ((0.1, 0.0), (0.0, 0.05), (0.02, 0.03)):
        add(f"micrograd-l1-{l1}-l2-{l2}", scenario="micrograd", l1=l1, l2=l2, lr=0.1, steps=30)
    add("fruit-penalties", scenario="fruit", l1=2.0, l2=5.0, steps=50)
    add("digits-adam-penalties", scenario="digits", optimizer="adam", lr=0.01, l1=1e-4, l2=1e-3, steps=15)
    return cases


CASES = _cases()


def assert_close(actual, desired, what):
    actual, desired = np.asarray(actual), np.asarray(desired)
    assert actual.shape == desired.shape, what
    assert np.all(np.isfinite(desired)), what
    atol = 1e-12 * max(1.0, float(np.max(np.abs(desired)))) if desired.size else 0.0
    np.testing.assert_allclose(actual, desired, rtol=RTOL, atol=atol, err_msg=what)


def assert_same_run(trainer, losses, final):
    assert_close(trainer.history.loss, losses, "per-step losses")
    state = trainer.params.state_dict()
    assert list(state) == list(final)
    for name in state:
        assert_close(state[name], final[name], f"final {name}")


def gdsim_run(case: Case):
    """gdsim's run of ``case``: (the trainer after it, its initial weights)."""
    t = case.trainer()
    initial = t.params.state_dict()
    stop = t.run()
    assert stop.divergence is None, stop.message
    assert len(t.history) == t.settings.steps
    return t, initial


def weights_digest(state: dict) -> str:
    """A fingerprint of initial weights: the stored trajectories hold for these weights only."""
    h = hashlib.sha256()
    for name, value in state.items():
        h.update(name.encode())
        h.update(np.ascontiguousarray(value, dtype="<f8").tobytes())
    return h.hexdigest()
