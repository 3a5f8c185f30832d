"""The README's PyTorch example runs as written (where PyTorch is installed)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from gdsim.cli import main
from gdsim.core.scenarios import build_trainer
from gdsim.core.settings import Settings

torch = pytest.importorskip("torch")

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_block() -> str:
    text = README.read_text()
    marker = text.index("torch-weights-example")
    return re.search(r"```python\n(.*?)```", text[marker:], re.S).group(1)


def test_weights_go_to_pytorch_and_back_as_the_readme_shows(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "fruit", "--steps", "10", "--weights-out", "fruit.npz", "--quiet"]) == 0
    namespace: dict = {}
    exec(compile(readme_block(), "README.md", "exec"), namespace)

    # The PyTorch model holds gdsim's weights exactly...
    with np.load("fruit.npz") as f:
        for name, p in namespace["model"].state_dict().items():
            np.testing.assert_array_equal(p.numpy(), f[name])
    # ...and gdsim starts from what PyTorch saved: the first loss is the loss of those weights.
    assert main(["run", "fruit", "--steps", "1", "--weights-in", "from_torch.npz",
                 "--history-out", "h.csv", "--quiet"]) == 0
    model = namespace["model"]
    x = torch.tensor([[73, 67, 43], [91, 88, 64], [87, 134, 58], [102, 43, 37], [69, 96, 70]], dtype=torch.float64)
    y = torch.tensor([[56, 70], [81, 101], [119, 133], [22, 37], [103, 119]], dtype=torch.float64)
    expected = torch.mean((model(x) - y) ** 2).item()
    first = float(Path("h.csv").read_text().splitlines()[1].split(",")[1])
    assert first == pytest.approx(expected, rel=1e-12)

    # The MLP class takes gdsim's micrograd weights by their names, strictly.
    t = build_trainer(Settings(scenario="micrograd"))
    mlp = namespace["micrograd"]
    mlp.load_state_dict({k: torch.from_numpy(v) for k, v in t.params.state_dict().items()}, strict=True)
    xs = np.array([[2.0, 3.0, -1.0]])
    np.testing.assert_allclose(mlp(torch.from_numpy(xs)).detach().numpy(), t.predict(xs), rtol=1e-12)
