"""The numbers the README gives for the landscape, the race, the learning-rate finder and the
stability map are the ones the code gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from gdsim.core import stability as st
from gdsim.core import surface
from gdsim.core.lr_find import find_lr
from gdsim.core.scenarios import build_trainer, get_scenario
from gdsim.core.settings import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def trained(scenario, steps, **settings):
    t = build_trainer(Settings(scenario=scenario, steps=steps, **settings))
    t.run()
    return t


def suggestion(scenario, rule="minimum", steps=0, **settings):
    t = build_trainer(Settings(scenario=scenario, **settings))
    t.advance(steps)
    return find_lr(get_scenario(scenario), t, rule=rule).suggestion


def test_the_finders_suggestions_and_what_they_train():
    assert f"{suggestion('fruit'):.3g}" == "3.98e-05" and "suggests 3.98e-5 for fruit" in README
    assert f"{suggestion('quadratic'):.3g}" == "1.32e-05" and "1.32e-5 for the quadratic" in README
    assert f"{suggestion('parabola'):.3g}" == "0.331" and "0.331 for the parabola" in README
    assert f"{suggestion('parabola', 'valley'):.2g}" == "0.0012" and "(0.0012 for the" in README
    assert f"{suggestion('quadratic', 'valley'):.2g}" == "8.3e-06" and "8.3e-6 for the quadratic" in README
    assert f"{suggestion('quadratic', steps=100):.2g}" == "4.8e-05" and "names 4.8e-5" in README
    for scenario, ours, theirs in (("fruit", "18.7", "77.0"), ("quadratic", "324.15", "324.45")):
        lr = suggestion(scenario)
        at_suggestion = trained(scenario, 200, lr=lr).evaluate("train")[0]
        at_lesson = trained(scenario, 200).evaluate("train")[0]
        digits = len(ours.split(".")[1])
        assert f"{at_suggestion:.{digits}f}" == ours and f"{at_lesson:.{digits}f}" == theirs
        assert f"loss of {ours}, against {theirs}" in README or f"({ours} against {theirs})" in README


def test_the_race_on_the_quadratic():
    rmse = {}
    for optimizer, words in (("sgd", None), ("momentum:0.9", "2.09e-06"), ("rmsprop", "0.158"),
                             ("adam", "0.331")):
        lr = suggestion("quadratic", optimizer=optimizer)
        if words:
            assert f"{lr:.3g}" == words and words in README
        rmse[optimizer] = trained("quadratic", 100, optimizer=optimizer, lr=float(f"{lr:.3g}")).evaluate("train")[1]
    assert f"{rmse['sgd']:.1f}" == "18.0" and f"{rmse['rmsprop']:.1f}" == "16.6" and f"{rmse['adam']:.1f}" == "15.4"
    assert "falls from 18.0" in README and "16.6 with RMSProp and 15.4 with Adam" in README


@pytest.mark.parametrize("scenario, without, most", [("parabola", "1", "1.99"), ("quadratic", "3.54e-05", "7.04e-05")])
def test_the_stability_bounds(scenario, without, most):
    found = st.stability_map(Settings(scenario=scenario), st.default_lrs(scenario), st.default_momenta())
    bound = st.bound_lrs(found)
    assert f"{bound[0]:.3g}" == without and f"{bound[-1]:.3g}" == most
    readme = lambda lr: f"{float(lr):g}".replace("e-05", "e-5")  # noqa: E731 - as the README writes them
    assert (f"past lr {readme(without)} and momentum 0.99 past {readme(most)};" in README
            or f"past {readme(without)} and {readme(most)}." in README)
    assert len(found.lrs) == 26 and len(found.momenta) == 34 and found.steps == 100
    assert "26 learning rates" in README and "34 momenta" in README


def test_the_grid_sizes():
    for scenario, model, side in (("quadratic", None, 101), ("digits", None, 101), ("digits10", None, 51)):
        t = build_trainer(Settings(scenario=scenario, model=model))
        assert surface.grid_points(t.params.size) == side
    assert "101 x 101 points (51 x 51 for models of more than 5,000 weights)" in README
    assert f"by more than {surface.DRIFT:.0%} of the map's width" in README
