"""gdsim against PyTorch's stored results (tests/golden/pytorch.npz), in every test run.

The live comparison (tests/core/engine/test_pytorch_parity.py) needs PyTorch, which gdsim never depends on;
these stored results let every run, CI on a fresh clone included, check the headline claim: every
scenario, with and without zeroing, every optimizer, loss and penalty, matches the PyTorch loop to
1e-6 relative, step by step. tests/make_golden.py regenerates the file.
"""

from __future__ import annotations

import numpy as np
import pytest
from parity_cases import CASES, GOLDEN_DIR, assert_same_run, gdsim_run, weights_digest

GOLDEN = GOLDEN_DIR / "pytorch.npz"


@pytest.fixture(scope="module")
def golden():
    with np.load(GOLDEN, allow_pickle=False) as f:
        return {name: f[name] for name in f.files}


def test_the_stored_results_are_of_every_case(golden):
    stored = {name.split("/")[0] for name in golden if "/" in name}
    assert stored == {case.id for case in CASES}, "regenerate them: see tests/make_golden.py"
    assert str(golden["about"]).startswith("PyTorch ")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_gdsim_matches_pytorch_s_stored_trajectory(golden, case):
    t, initial = gdsim_run(case)
    assert weights_digest(initial) == str(golden[f"{case.id}/initial"]), \
        "gdsim draws other initial weights than PyTorch's results were made from: see tests/make_golden.py"
    prefix = f"{case.id}/final/"
    final = {name[len(prefix):]: value for name, value in golden.items() if name.startswith(prefix)}
    assert_same_run(t, golden[f"{case.id}/losses"], final)
