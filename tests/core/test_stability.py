"""The stability map: every cell is the engine's own run of its settings, the parabola's and the
quadratic's diverging cells are where momentum's bound lr * lambda < 2 (1 + mu) says, and the
regimes are Goh's (Distill, 2017) where his roots say they must be."""

from __future__ import annotations

import math
import warnings
from itertools import pairwise

import numpy as np
import pytest

from gdsim.core.choices import make_choice
from gdsim.core.engine.optimizers import OPTIMIZERS
from gdsim.core.errors import GdsimError
from gdsim.core.scenarios import build_trainer, get_scenario
from gdsim.core.settings import Settings
from gdsim.core.stability import (
    CONVERGES,
    DIVERGES,
    OSCILLATES,
    REGIMES,
    TOO_SLOW,
    bound_lrs,
    cell_settings,
    default_lrs,
    default_momenta,
    momentum_choice,
    stability_map,
)

PARABOLA = Settings(scenario="parabola")
QUADRATIC = Settings(scenario="quadratic")


def engine_run(settings: Settings):
    """The run as the window trains it: steps until a stop; the weights recorded at every step."""
    trainer = build_trainer(settings)
    trace = trainer.start_trace(np.arange(trainer.params.size))
    stop = trainer.run()
    return trainer, stop, trace


def regime_of(losses: np.ndarray, path: np.ndarray, diverged: bool) -> str:
    """The regimes as the module's docstring words them, read off one run's history and path."""
    if diverged or (len(losses) > 1 and losses[-1] > losses[:-1].max()):
        return DIVERGES
    moves = -np.diff(path, axis=0)
    rose = np.any(losses[1:] > losses[:-1])
    turned = any(np.dot(a, b) < 0 for a, b in pairwise(moves))
    if rose or turned:
        return OSCILLATES
    return CONVERGES if losses[-1] <= 0.01 * losses[0] else TOO_SLOW


def assert_cells_are_engine_runs(stability, rtol: float) -> int:
    """Every cell against the engine's run of ``cell_settings``; returns how many diverged."""
    diverged = 0
    for i in range(len(stability.momenta)):
        for j in range(len(stability.lrs)):
            trainer, stop, trace = engine_run(cell_settings(stability, i, j))
            where = f"cell mu={stability.momenta[i]}, lr={stability.lrs[j]}"
            last = np.nan if trainer.last_loss is None else trainer.last_loss  # None: no step was taken
            if rtol == 0:
                np.testing.assert_equal(stability.final_loss[i, j], last, err_msg=where)
            else:
                np.testing.assert_allclose(stability.final_loss[i, j], last, rtol=rtol, err_msg=where)
            divergence, ours = stop.divergence, stability.divergence(i, j)
            if divergence is None:
                assert ours is None and stability.diverged_at[i, j] == -1, where
                assert stop.step == stability.steps, where
            else:
                diverged += 1
                assert stability.diverged_at[i, j] == divergence.step, where
                # A NaN is not equal to itself: the message says which non-finite number it was.
                assert (ours.step, ours.quantity, ours.message) == \
                    (divergence.step, divergence.quantity, divergence.message), where
            assert stability.regime_name(i, j) == regime_of(trainer.history.loss, trace.values,
                                                            divergence is not None), where
    return diverged


def cell(stability, momentum: float, lr: float) -> tuple[int, int]:
    return int(np.flatnonzero(stability.momenta == momentum)[0]), int(np.flatnonzero(stability.lrs == lr)[0])


def bound_ratio(stability, curvature: float) -> np.ndarray:
    """lr * lambda / (2 (1 + mu)) for each cell: above 1 momentum diverges, below it converges."""
    return stability.lrs[None, :] * curvature / (2 * (1 + stability.momenta[:, None]))


def quadratic_curvature() -> float:
    """The largest eigenvalue of the quadratic lesson's MSE Hessian, 2/N V^T V, from its data."""
    t = np.asarray(get_scenario("quadratic").data.x, dtype=np.float64)
    v = t[:, None] ** np.array([2.0, 1.0, 0.0])
    return float(np.linalg.eigvalsh(2.0 / len(t) * v.T @ v)[-1])


def regimes_where(stability, mask) -> set[str]:
    return {REGIMES[r] for r in stability.regime[mask]}


# ----- every cell is the engine's run ------------------------------------------------------------

def test_parabola_cells_are_the_engines_runs_bit_for_bit():
    stability = stability_map(PARABOLA, [0.01, 0.1, 0.5, 0.9, 1.0, 1.5, 1000.0], [0.0, 0.5, 0.9, 0.99])
    assert assert_cells_are_engine_runs(stability, rtol=0) == 4  # lr 1000 overflows x**2 in every row
    assert {REGIMES[r] for r in stability.regime.ravel()} == set(REGIMES)


def test_quadratic_cells_are_the_engines_runs_to_the_last_bits():
    stability = stability_map(QUADRATIC, [1e-6, 1e-5, 3e-5, 5e-5, 1e-3, 1e-2], [0.0, 0.5, 0.9, 0.99])
    assert assert_cells_are_engine_runs(stability, rtol=1e-12) == 8  # lr 1e-3 and 1e-2 overflow in 100 steps


@pytest.mark.parametrize("changes", [
    {"scenario": "parabola", "loss": "mse"},
    {"scenario": "parabola", "zero_grad": False},
    {"scenario": "parabola", "l1": 0.5, "init": "constant:-2"},
    {"scenario": "quadratic", "loss": "sse"},
    {"scenario": "quadratic", "zero_grad": False},
    {"scenario": "quadratic", "l1": 0.3, "l2": 0.1},
    {"scenario": "quadratic", "batch_size": 5, "seed": 3},
    {"scenario": "quadratic", "init": "normal", "seed": 7},
])
def test_cells_follow_every_other_setting_as_the_engine_does(changes):
    if changes["scenario"] == "parabola":
        lrs, rtol = [0.05, 0.5, 0.95, 1.2], 0
    else:
        lrs, rtol = [5e-6, 2e-5, 4e-5, 1e-4], 1e-12
    stability = stability_map(Settings(**changes), lrs, [0.0, 0.6, 0.95], steps=60)
    assert_cells_are_engine_runs(stability, rtol)


def test_momentum_0_is_plain_sgd_step_for_step():
    for settings, lrs in ((PARABOLA, (0.1, 0.9, 1.5)), (QUADRATIC, (1e-5, 3e-5, 1e-3))):
        for lr in lrs:
            runs = [engine_run(settings.replace(lr=lr, optimizer=choice, steps=100))[0].history.loss
                    for choice in ("sgd", "momentum:0")]
            np.testing.assert_array_equal(*runs)
    assert momentum_choice(0.0) == "sgd"


def test_each_momentum_is_written_so_that_it_reads_back_the_same():
    for mu in [*default_momenta()[1:], 0.1 + 0.2, 1 - 2.0**-40]:
        assert make_choice("optimizer", OPTIMIZERS, momentum_choice(float(mu))).momentum == mu


def test_a_cell_runs_its_steps_whatever_the_settings_stopped_or_ran_with():
    asked = Settings(scenario="parabola", lr=0.3, optimizer="adam", steps=5, until_loss=1.0)
    stability = stability_map(asked, [0.1, 0.9], [0.0, 0.9], steps=30)
    i, j = cell(stability, 0.9, 0.1)
    settings = cell_settings(stability, i, j)
    assert (settings.optimizer, settings.lr, settings.steps, settings.until_loss) == ("momentum:0.9", 0.1, 30, None)
    assert cell_settings(stability, *cell(stability, 0.0, 0.9)).optimizer == "sgd"
    trainer, stop, _ = engine_run(settings)
    # The target loss it was asked for would have stopped this run early; the map's ran on, and so does it.
    assert stop.step == 30 and trainer.history.loss[:-1].min() < 1.0
    assert stability.final_loss[i, j] == trainer.last_loss


# ----- divergence --------------------------------------------------------------------------------

def test_divergence_is_the_engines_report_never_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stability = stability_map(PARABOLA, [0.1, 1000.0], [0.0])
    assert stability.diverged_at.tolist() == [[-1, 48]]
    assert stability.divergence(0, 1).message == \
        "diverged at step 48: the loss is infinite; the weights after step 47 are kept"
    assert math.isfinite(stability.final_loss[0, 1]) and stability.final_loss[0, 1] > 1e300  # step 47's
    assert stability.regime_name(0, 1) == DIVERGES and stability.divergence(0, 0) is None


@pytest.mark.parametrize("changes, lr, quantity, step", [
    ({}, 1000.0, "loss", 48),
    ({"init": "constant:1", "l2": 1e308}, 0.1, "gradient", 1),  # loss 1e308, gradient 2e308
    ({"init": "constant:1", "l1": 1e303}, 1e6, "parameters", 1),  # a step of 1e309
])
def test_each_of_the_engines_checks_stops_a_cell_as_it_stops_the_engine(changes, lr, quantity, step):
    stability = stability_map(PARABOLA.replace(**changes), [lr], [0.0, 0.9])
    assert assert_cells_are_engine_runs(stability, rtol=0) == 2
    assert {stability.divergence(i, 0).quantity for i in (0, 1)} == {quantity}
    assert stability.diverged_at.ravel().tolist() == [step, step]


def test_a_run_that_cannot_take_its_first_step_shows_no_loss():
    stability = stability_map(Settings(scenario="parabola", init="constant:1e200"), [0.1], [0.0, 0.5])
    assert stability.diverged_at.tolist() == [[1], [1]]
    assert np.isnan(stability.final_loss).all()
    assert {REGIMES[r] for r in stability.regime.ravel()} == {DIVERGES}


def test_parabola_diverges_exactly_beyond_lr_1_plus_momentum():
    stability = stability_map(PARABOLA, np.geomspace(0.3, 4.0, 200), default_momenta())
    ratio = bound_ratio(stability, curvature=2.0)  # f(x) = x**2: f'' = 2
    beyond, within = ratio > 1 + 1e-4, ratio < 1 - 1e-4
    assert within.any(axis=1).all() and beyond.any(axis=1).all()
    assert regimes_where(stability, beyond) == {DIVERGES}
    assert DIVERGES not in regimes_where(stability, within)


def test_quadratic_diverges_beyond_its_steepest_curvatures_bound():
    curvature = quadratic_curvature()
    assert curvature == pytest.approx(56_499.36, abs=0.01)
    stability = stability_map(QUADRATIC, np.geomspace(1e-5, 3e-4, 120), default_momenta())
    ratio = bound_ratio(stability, curvature)
    beyond, within = ratio > 1.01, ratio < 0.99
    assert within.any(axis=1).all() and beyond.any(axis=1).all()
    assert regimes_where(stability, beyond) == {DIVERGES}
    assert DIVERGES not in regimes_where(stability, within)


# ----- the regimes ---------------------------------------------------------------------------------

def test_parabola_regimes_are_gohs_where_his_roots_decide():
    """z**2 - (1 + mu - 2 lr) z + mu: two positive roots never cross the minimum; a negative or a
    complex pair does. In 2,000 steps the fastest runs go on past where x**2 underflows to 0."""
    lrs, momenta = np.linspace(0.005, 1.9, 80), np.linspace(0.0, 0.95, 12)
    stability = stability_map(PARABOLA, lrs, momenta, steps=2000)
    alpha, mu = 2 * lrs[None, :], momenta[:, None]
    s = 1 + mu - alpha
    real = s * s >= 4 * mu
    with np.errstate(all="ignore"):  # no complex pair at mu = 0 or where the roots are real
        half_turn = np.pi / np.arccos(s / (2 * np.sqrt(mu)))  # steps a complex pair takes to turn back
    monotonic = real & (s > 0)
    flipping = real & (s < 0) & (alpha < 2 * (1 + mu))
    rippling = ~real & (half_turn < 50)
    assert monotonic.sum() > 40 and flipping.sum() > 40 and rippling.sum() > 40
    assert (stability.final_loss[monotonic] == 0).sum() > 10  # x**2 has underflowed: the last bits
    assert regimes_where(stability, monotonic) <= {CONVERGES, TOO_SLOW}
    assert regimes_where(stability, flipping | rippling) == {OSCILLATES}


def test_the_parabola_lessons_cells():
    stability = stability_map(PARABOLA, default_lrs("parabola"), default_momenta())
    named = {
        (0.0, 0.01): TOO_SLOW,  # x = 2.0 after 20 steps; the last loss is 1.8% of the first
        (0.0, 0.1): CONVERGES,
        (0.0, 0.5): CONVERGES,  # x = 0 after one step
        (0.0, 0.8): OSCILLATES,  # overshoots, flipping sign every step, yet lands close
        (0.0, 1.0): OSCILLATES,  # bounces between 3 and -3 for ever
        (0.0, 1.25): DIVERGES,
        (0.9, 0.1): OSCILLATES,  # momentum's ripples
        (0.9, 1.6): OSCILLATES,  # beyond SGD's bound, within momentum's 1.9
        (0.9, 2.0): DIVERGES,
    }
    assert {key: stability.regime_name(*cell(stability, *key)) for key in named} == named
    assert stability.start_loss == 9.0
    assert stability.final_loss[cell(stability, 0.0, 0.1)] == pytest.approx(9 * 0.8**198, rel=1e-12)
    assert stability.final_loss[cell(stability, 0.0, 1.0)] == 9.0


def test_the_quadratic_lessons_cells():
    stability = stability_map(QUADRATIC, default_lrs("quadratic"), default_momenta())
    assert stability.final_loss.shape == (34, 26) and stability.steps == 100
    assert math.sqrt(stability.start_loss) == pytest.approx(74.96, abs=0.005)  # the article's first RMSE
    lesson = cell(stability, 0.0, 1e-5)
    assert math.sqrt(stability.final_loss[lesson]) == pytest.approx(18.03, abs=0.005)  # "hardly moves"
    assert stability.regime_name(*lesson) == TOO_SLOW
    assert stability.regime_name(*cell(stability, 0.0, 5e-5)) == DIVERGES  # "five times larger diverges"
    assert stability.regime_name(*cell(stability, 0.9, 5e-5)) == OSCILLATES  # momentum 0.9 holds it
    # Momentum gets further than SGD can at any learning rate, if not far in 100 steps: the valley's
    # floor has a curvature 200,000 times smaller than its walls.
    best = np.nanmin(stability.final_loss, axis=1)
    assert best[cell(stability, 0.9, 1e-5)[0]] < best[0] - 15


def test_a_maps_numbers_cannot_be_changed():
    stability = stability_map(PARABOLA, [0.1], [0.0])
    for array in (stability.final_loss, stability.diverged_at, stability.regime, stability.lrs):
        with pytest.raises(ValueError):
            array[0] = 0


# ----- grids ----------------------------------------------------------------------------------------

def test_default_grids_straddle_each_lessons_bound():
    momenta = default_momenta()
    assert len(momenta) == 34 and momenta[0] == 0.0 and momenta[-1] == 0.99 and 0.9 in momenta
    assert np.all(np.diff(momenta) > 0)
    for scenario, curvature, lesson_lr in (("parabola", 2.0, 0.1), ("quadratic", quadratic_curvature(), 1e-5)):
        lrs = default_lrs(scenario)
        assert len(lrs) == 26 and np.all(np.diff(lrs) > 0) and lesson_lr in lrs
        assert lrs[0] == pytest.approx(lesson_lr / 10, rel=1e-12)
        assert lrs[-1] == pytest.approx(31.5 * lesson_lr, rel=1e-12)
        bounds = 2 * (1 + momenta) / curvature
        assert lrs[0] < bounds.min() and bounds.max() < lrs[-1]
    assert default_lrs("parabola")[:4].tolist() == [0.01, 0.0125, 0.016, 0.02]


@pytest.mark.parametrize("lrs, momenta, steps, message", [
    ([], [0.0], None, "a stability map needs a list of one or more learning rates"),
    ([[0.1]], [0.0], None, "a stability map needs a list of one or more learning rates"),
    (["fast"], [0.0], None, "the learning rates of a stability map must be numbers"),
    ([0.1, -0.1], [0.0], None, "learning rate must be > 0, not -0.1"),
    ([0.0], [0.0], None, "learning rate must be > 0, not 0"),
    ([math.nan], [0.0], None, "learning rate must be a finite number, not nan"),
    ([0.2, 0.1], [0.0], None, r"the learning rates of a stability map must increase: 0.2 then 0.1"),
    ([0.1] * 257, [0.0], None, "a stability map takes at most 256 learning rates, not 257"),
    ([0.1], [], None, "a stability map needs a list of one or more momenta"),
    ([0.1], [0.5, 1.0], None, r"momentum must be in \[0, 1\), not 1"),
    ([0.1], [-0.1], None, r"momentum must be in \[0, 1\), not -0.1"),
    ([0.1], [math.nan], None, r"momentum must be in \[0, 1\), not nan"),
    ([0.1], [0.9, 0.5], None, "the momenta of a stability map must increase: 0.9 then 0.5"),
    ([0.1], [0.0], 0, "steps of a stability map must be >= 1, not 0"),
    ([0.1], [0.0], 10_001, r"steps of a stability map is too large: 10001 \(at most 10,000\)"),
    (np.geomspace(0.01, 1, 200), np.linspace(0, 0.99, 200), 1000,
     "a stability map trains at most 10,000,000 steps in all; 40,000 cells of 1,000 steps are 40,000,000"),
])
def test_a_bad_grid_is_refused_with_one_message(lrs, momenta, steps, message):
    with pytest.raises(GdsimError, match=f"^{message}$"):
        stability_map(PARABOLA, lrs, momenta, steps)


@pytest.mark.parametrize("settings, message", [
    (Settings(scenario="fruit"), "a stability map is drawn for the parabola and quadratic lessons, not 'fruit'"),
    (Settings(scenario="parabola", loss="mae"),
     "a stability map trains the sum or the mean of squared errors (sse or mse), not the loss 'mae'"),
    (Settings(scenario="quadratic", l2=-1.0), "L2 penalty must be >= 0, not -1"),
])
def test_settings_it_cannot_map_are_refused_with_one_message(settings, message):
    with pytest.raises(GdsimError) as refused:
        stability_map(settings, [0.1], [0.0])
    assert str(refused.value) == message


@pytest.mark.parametrize("scenario", ["parabola", "quadratic"])
def test_the_bound_drawn_over_the_map_separates_its_diverging_cells(scenario):
    m = stability_map(Settings(scenario=scenario), default_lrs(scenario), default_momenta())
    bound = bound_lrs(m)
    if scenario == "parabola":  # x**2 has curvature 2: lr < 1 + mu
        np.testing.assert_allclose(bound, 1.0 + m.momenta, rtol=1e-15)
    lr, limit = m.lrs[None, :], bound[:, None]
    diverges = m.regime == REGIMES.index(DIVERGES)
    assert not np.any(diverges & (lr < 0.98 * limit))
    assert np.all(diverges | (lr <= 1.02 * limit))
    assert np.any(lr > 1.02 * limit)  # the map does reach past the bound
