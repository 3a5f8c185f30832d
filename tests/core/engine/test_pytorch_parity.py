"""gdsim against PyTorch loops written the tutorial way (tests/torch_loops.py), to 1e-6 relative.

The cases are those of tests/parity_cases.py. Skipped where PyTorch is not installed: it is not a
dependency of gdsim. tests/core/engine/test_golden.py compares gdsim with PyTorch's stored results everywhere.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import torch_loops  # noqa: E402  (needs torch)
from parity_cases import CASES, Case, assert_close, assert_same_run, gdsim_run  # noqa: E402

from gdsim.core.scenarios import build_trainer  # noqa: E402
from gdsim.core.settings import Settings  # noqa: E402


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_gdsim_matches_the_pytorch_loop(case):
    t, initial = gdsim_run(case)
    losses, final = case.torch_run(t, initial)
    assert_same_run(t, losses, final)


def test_the_micrograd_lesson_holds_in_pytorch_too():
    for zero_grad in (True, False):
        t = build_trainer(Settings(scenario="micrograd", zero_grad=zero_grad))
        losses, _ = torch_loops.micrograd(t.params.state_dict(), steps=50, lr=0.4, zero_grad=zero_grad)
        if zero_grad:
            assert losses[29] < 0.05
        else:
            assert losses[49] > 1.0


def test_divergence_happens_at_the_step_pytorch_overflows():
    t = build_trainer(Settings(scenario="fruit", lr=1e-3, steps=200))
    init = t.params.state_dict()
    stop = t.run()
    k = stop.divergence.step
    with np.errstate(all="ignore"):
        losses, _ = torch_loops.fruit(init, steps=k, lr=1e-3)
    assert np.all(np.isfinite(losses[:-1])) and not np.isfinite(losses[-1])
    assert_close(t.history.loss, losses[:-1], "losses before the divergence")


def test_hand_written_sgd_equals_torch_optim_sgd():
    t, init = gdsim_run(Case("micrograd-20-steps", dict(scenario="micrograd", steps=20)))
    by_hand, _ = torch_loops.micrograd(init, steps=20)
    with_optim, _ = torch_loops.micrograd(init, steps=20, optimizer=torch_loops.OPTIMIZERS["sgd"])
    # torch.optim.SGD fuses the update (p.add_(grad, alpha=-lr)): equal up to rounding.
    np.testing.assert_allclose(by_hand, with_optim, rtol=1e-12)
    assert_close(t.history.loss, by_hand, "losses")


# ----- weights move between gdsim and PyTorch without renaming -----------------------------------------------

def test_state_dict_names_load_into_torch_modules(tmp_path):
    from gdsim.core.files.weights import read_weights

    for scenario, model, sizes, acts in [("micrograd", None, (3, 4, 4, 1), [torch.tanh] * 3),
                                         ("digits", "mlp", (784, 30, 1), [torch.relu, lambda z: z])]:
        t = build_trainer(Settings(scenario=scenario, model=model))
        net = torch_loops.load(torch_loops.MLP(sizes, acts), t.params.state_dict())
        x = t.data.x[:7]
        with torch.no_grad():
            out = net(torch_loops.tensor(x)).numpy()
        assert_close(t.predict(x), out, f"{scenario} outputs")
        # A file written the PyTorch way reads straight into gdsim.
        path = tmp_path / f"{scenario}.npz"
        np.savez(path, **{k: v.detach().numpy() for k, v in net.state_dict().items()})
        back = read_weights(path, t.params.specs)
        for name, value in t.params.state_dict().items():
            np.testing.assert_array_equal(back[name], value)
