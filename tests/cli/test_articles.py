"""The articles' own numbers from the command line: what a learner reads next to the lesson.

The expected figures are the articles' printed output (issue 13), not gdsim's: a change that
moves gdsim away from the article fails here.
"""

from __future__ import annotations

import numpy as np
import pytest
from cli_helpers import column, read_csv

from gdsim.cli import main
from gdsim.core.errors import GdsimError
from gdsim.core.scenarios import FRUIT_BIAS, FRUIT_WEIGHT, QUADRATIC_PARAMS, QUADRATIC_SPEED, build_trainer
from gdsim.core.settings import Settings

# fastai book, chapter 4: show_preds / apply_step print these RMSEs at lr 1e-5.
QUADRATIC_RMSE = [74.96194346966999, 36.43029986215973, 22.692756149058336, 19.006926227796704,
                  18.225665028268686, 18.073917779669408, 18.04494798288646, 18.039351786874853,
                  18.03818276871748, 18.037850320630035]
# jovian.ai linear regression: the loss before the first step, and after one step at lr 1e-5.
FRUIT_LOSSES = [24868.0703, 16868.5664]


def history(tmp_path, capsys, *args):
    out = tmp_path / "h.csv"
    assert main(["run", *args, "--history-out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    header, rows = read_csv(out)
    return header, rows


def test_quadratic_gives_the_article_s_rmse_for_ten_steps(tmp_path, capsys):
    header, rows = history(tmp_path, capsys, "quadratic", "--steps", "10")
    np.testing.assert_allclose(column(rows, header, "rmse"), QUADRATIC_RMSE, rtol=1e-6)


def test_fruit_gives_the_article_s_loss_before_and_after_one_step(tmp_path, capsys):
    header, rows = history(tmp_path, capsys, "fruit", "--steps", "2")
    np.testing.assert_allclose(column(rows, header, "loss"), FRUIT_LOSSES, rtol=1e-5)


def test_the_article_s_weights_are_the_default_and_named_in_the_history(tmp_path, capsys):
    header, rows = history(tmp_path, capsys, "fruit", "--steps", "1")
    assert rows[0][header.index("init")] == "article"
    t = build_trainer(Settings(scenario="fruit"))
    np.testing.assert_array_equal(t.params["weight"].value, FRUIT_WEIGHT)
    np.testing.assert_array_equal(t.params["bias"].value, FRUIT_BIAS)
    assert "the article's weights" in t.initializer.describe()


def test_the_article_s_weights_do_not_depend_on_the_seed_but_a_drawn_start_does():
    a = build_trainer(Settings(scenario="quadratic", seed=3)).params.values
    np.testing.assert_array_equal(a, QUADRATIC_PARAMS)
    drawn = build_trainer(Settings(scenario="quadratic", seed=3, init="normal")).params.values
    assert not np.array_equal(drawn, a)


@pytest.mark.parametrize("scenario", ["digits", "micrograd", "parabola", "chain-rule"])
def test_a_scenario_without_an_article_s_weights_refuses_them_with_one_line(scenario, capsys):
    with pytest.raises(GdsimError, match="has no article's weights"):
        build_trainer(Settings(scenario=scenario, init="article"))
    assert main(["run", scenario, "--init", "article", "--steps", "1"]) == 2
    assert "has no article's weights" in capsys.readouterr().err


def test_the_quadratic_data_is_what_the_article_s_torch_code_makes():
    torch = pytest.importorskip("torch")
    torch.manual_seed(2021)
    time = torch.arange(0, 20).float()
    speed = torch.rand(20) * 5 + 0.8 * (time - 7.5) ** 2 + 1
    torch.randn(3)
    params = torch.randn(3)
    assert speed.tolist() == list(QUADRATIC_SPEED)
    assert params.tolist() == list(QUADRATIC_PARAMS)
