"""Regenerate tests/golden/pytorch.npz: PyTorch's losses and final weights for every case of
tests/parity_cases.py, which tests/core/engine/test_golden.py compares gdsim with in every test run.

PyTorch is never a dependency of gdsim: run this with a Python of its own that has torch and
NumPy (the NumPy of uv.lock, so that gdsim draws the same initial weights), for example

    python3 -m venv /tmp/torchvenv
    /tmp/torchvenv/bin/pip install torch==2.13.0 numpy==2.4.6
    PYTHONPATH=. /tmp/torchvenv/bin/python tests/make_golden.py

For each case the file holds ``<case>/losses`` (the loss printed before each step's update),
``<case>/final/<parameter>`` (the weights after the last step) and ``<case>/initial`` (a digest
of the initial weights gdsim drew, which the loops started from), and ``about`` says what made it.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import numpy as np  # noqa: E402
import torch  # noqa: E402
from parity_cases import CASES, weights_digest  # noqa: E402

GOLDEN = HERE / "golden" / "pytorch.npz"


def main() -> None:
    torch.set_num_threads(1)
    stored = {}
    for case in CASES:
        trainer = case.trainer()
        initial = trainer.params.state_dict()
        losses, final = case.torch_run(trainer, initial)
        stored[f"{case.id}/losses"] = np.asarray(losses, dtype=np.float64)
        for name, value in final.items():
            stored[f"{case.id}/final/{name}"] = np.asarray(value, dtype=np.float64)
        stored[f"{case.id}/initial"] = np.array(weights_digest(initial))
        print(f"{case.id}: {len(losses)} steps, final loss {losses[-1]:.6g}")
    stored["about"] = np.array(f"PyTorch {torch.__version__}, NumPy {np.__version__}, Python "
                               f"{platform.python_version()}: tests/make_golden.py")
    GOLDEN.parent.mkdir(exist_ok=True)
    np.savez_compressed(GOLDEN, **stored)
    print(f"wrote {GOLDEN} ({GOLDEN.stat().st_size:,} bytes, {len(CASES)} cases)")


if __name__ == "__main__":
    main()
