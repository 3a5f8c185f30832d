"""Regenerate tests/golden/value_pytorch.json: PyTorch's output and gradients (float64) for every
expression of tests/value_cases.py, which tests/core/engine/test_value_pytorch.py compares gdsim's scalar
``Value`` engine with in every test run.

PyTorch is never a dependency of gdsim: run this with a Python of its own that has torch and
NumPy, for example

    python3 -m venv /tmp/torchvenv
    /tmp/torchvenv/bin/pip install torch==2.13.0 numpy==2.4.6
    PYTHONPATH=. /tmp/torchvenv/bin/python tests/make_value_golden.py

``--check`` writes nothing and compares the live PyTorch numbers with gdsim's instead (the
comparison tests/core/engine/test_value_pytorch.py makes where pytest and torch are both installed).

The file holds ``cases`` (for each case id: ``value``, the output, and ``grads``, each leaf's
gradient) and ``about``, what made it. JSON keeps every float64 exactly.
"""

from __future__ import annotations

import json
import math
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import torch  # noqa: E402
from value_cases import CASES, torch_result, value_result  # noqa: E402

GOLDEN = HERE / "golden" / "value_pytorch.json"


def check() -> int:
    worst = 0.0
    for case in CASES:
        (out, grads), (t_out, t_grads) = value_result(case), torch_result(case)
        for got, want in [(out, t_out)] + [(grads[k], t_grads[k]) for k in grads]:
            worst = max(worst, abs(got - want) / max(abs(want), 1e-300) if want else abs(got))
    print(f"{len(CASES)} cases, largest relative difference from PyTorch {worst:.3g}")
    return 0 if worst <= 1e-12 and not math.isnan(worst) else 1


def main() -> None:
    cases = {}
    for case in CASES:
        out, grads = torch_result(case)
        cases[case.id] = {"value": out, "grads": grads}
        print(f"{case.id}: {out:.17g}")
    doc = {"about": f"PyTorch {torch.__version__}, Python {platform.python_version()}: tests/make_value_golden.py",
           "cases": cases}
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {GOLDEN} ({len(CASES)} cases)")


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        sys.exit(check())
    main()
