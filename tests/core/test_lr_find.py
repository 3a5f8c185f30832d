"""The learning-rate range test: fastai's schedule, smoothing, stop and rules; the run it starts from
left bit for bit; suggestions that train; and no suggestion where there is nothing to read."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdsim.core import lr_find
from gdsim.core.errors import GdsimError
from gdsim.core.lr_find import (MINIMUM, STOP_BLOWUP, STOP_DIVERGED, STOP_STEPS, VALLEY, find_lr, longest_valley,
                                valley_rule)
from gdsim.core.scenarios import build_trainer, get_scenario
from gdsim.core.settings import Settings


def trainer(scenario, **kw):
    return build_trainer(Settings(scenario=scenario, steps=0, **kw))


def range_test(scenario, **kw):
    return find_lr(get_scenario(scenario), trainer(scenario), **kw)


def final_loss(scenario, lr, steps=200):
    """The training loss after ``steps`` steps at ``lr`` from the lesson's initial weights, and
    whether a step diverged."""
    t = trainer(scenario, lr=lr)
    stop = t.advance(steps)
    return t.evaluate("train")[0], stop is not None


def lesson_lr(scenario):
    return get_scenario(scenario).resolve(Settings(scenario=scenario)).lr


def stability_limit(scenario):
    """2 / the largest curvature of the MSE loss of a model linear in its weights: SGD diverges past it."""
    data = get_scenario(scenario).data
    x, y = np.asarray(data.x, dtype=float), np.asarray(data.y, dtype=float)
    if scenario == "quadratic":
        t = x.ravel()
        features, outputs = np.stack([t**2, t, np.ones_like(t)], axis=1), 1
    else:
        features, outputs = np.hstack([x, np.ones((len(x), 1))]), y.shape[1]
    hessian = 2 * features.T @ features / (len(x) * outputs)
    return 2 / np.linalg.eigvalsh(hessian).max()


# ----- fastai's test, step by step -------------------------------------------------------------------

def test_learning_rates_grow_as_fastais_schedule():
    r = range_test("digits", start=1e-4, end=10.0, steps=40)
    k = np.arange(r.taken)
    assert r.lrs[0] == 1e-4
    np.testing.assert_array_equal(r.lrs, [1e-4 * (10.0 / 1e-4) ** (i / 40) for i in k])
    assert r.lrs[-1] < 10.0
    np.testing.assert_allclose(r.lrs[1:] / r.lrs[:-1], 10 ** (5 / 40), rtol=1e-12)


def test_smoothed_loss_is_fastais_debiased_moving_average():
    r = range_test("micrograd")
    average, expected = 0.0, []
    for k, loss in enumerate(r.losses, start=1):
        average = average * 0.98 + loss * 0.02
        expected.append(average / (1 - 0.98**k))
    np.testing.assert_allclose(r.smoothed, expected, rtol=1e-14)
    assert r.smoothed[0] == pytest.approx(r.losses[0], rel=1e-14)


def test_each_loss_is_the_loss_of_a_run_trained_at_those_learning_rates():
    r = range_test("fruit", steps=30)
    t = trainer("fruit")
    for lr, loss in zip(r.lrs, r.losses):
        t.lr = lr
        assert t.advance(1) is None
        assert t.last_loss == loss  # bit for bit


def test_stops_after_the_step_whose_smoothed_loss_passes_4_times_its_lowest():
    r = range_test("fruit")
    assert r.stopped == STOP_BLOWUP and r.taken < r.steps
    running_lowest = np.minimum.accumulate(r.smoothed)
    assert r.smoothed[-1] > 4 * running_lowest[-1]
    assert np.all(r.smoothed[:-1] <= 4 * running_lowest[:-1])
    assert r.why_stopped == (f"at step {r.taken} (lr {r.lrs[-1]:.3g}) the smoothed loss passed 4 times its lowest "
                             f"({r.smoothed[-1]:.4g} > 4 x {running_lowest[-1]:.4g})")


def test_the_record_cannot_be_changed():
    r = range_test("fruit", steps=20)
    for values in (r.lrs, r.losses, r.smoothed):
        with pytest.raises(ValueError):
            values[0] = 0.0


def test_a_test_that_never_blows_up_takes_every_step():
    r = range_test("digits")
    assert r.stopped == STOP_STEPS and r.taken == 100
    assert r.why_stopped == f"all 100 steps were taken, up to lr {r.lrs[-1]:.3g}"


# ----- the run is left as it was ---------------------------------------------------------------------

def state_bytes(t):
    scalars, arrays = t.get_state()
    return (repr(scalars), {k: (v.dtype, v.shape, np.asarray(v).tobytes()) for k, v in arrays.items()},
            t.lr, t.last_lr, t.settings, t.notes, t.divergence, t.optimizer.describe())


def test_the_run_is_left_bit_for_bit_and_the_test_starts_where_it_is():
    # Mid-epoch, with Adam's moments and a trace: everything a copy could disturb.
    t = trainer("digits", optimizer="adam", lr=0.01, batch_size=100)
    t.start_trace([0, 5, 784])
    assert t.advance(9) is None  # 9 batches of 100 of 640 rows: in the second epoch
    before = state_bytes(t)
    r = find_lr(get_scenario("digits"), t, steps=20)
    assert state_bytes(t) == before
    assert r.from_step == 9
    # The run's own next steps at the test's learning rates are the test's, to the bit: the copy
    # had its weights, its optimizer state and its place in the batch order.
    for lr, loss in zip(r.lrs[:5], r.losses[:5]):
        t.lr = lr
        assert t.advance(1) is None
        assert t.last_loss == loss


def test_the_run_is_left_as_it_was_when_the_test_diverges():
    t = trainer("parabola")
    t.set_initial_weights({"x": np.array(1e150)})
    t.advance(3)
    before = state_bytes(t)
    r = find_lr(get_scenario("parabola"), t, start=1e5, end=1e6, steps=20)
    assert r.stopped == STOP_DIVERGED and r.taken == 1  # x**2 of x near -1e155 overflows at step 2
    assert r.why_stopped.startswith("step 2 (lr 1.12e+05) diverged: its loss would not be finite")
    assert state_bytes(t) == before


def test_gradients_that_accumulate_are_the_runs():
    t = trainer("fruit", zero_grad=False)
    t.advance(3)
    r = find_lr(get_scenario("fruit"), t, steps=10)
    t.lr = r.lrs[0]
    t.advance(1)
    assert t.last_loss == r.losses[0] and t.last_grad_norm > 0


# ----- the suggestion trains --------------------------------------------------------------------------

@pytest.mark.parametrize("scenario", ["fruit", "quadratic"])
def test_200_steps_at_the_suggestion_end_lower_than_at_the_lessons_lr(scenario):
    r = range_test(scenario)
    assert r.rule == MINIMUM and r.suggestion is not None
    suggested, diverged = final_loss(scenario, r.suggestion)
    lesson, _ = final_loss(scenario, lesson_lr(scenario))
    assert not diverged
    assert suggested < lesson


def test_parabola_suggestion_is_below_1():
    r = range_test("parabola")
    assert 0 < r.suggestion < 1
    loss, diverged = final_loss("parabola", r.suggestion)
    assert not diverged and loss < 1e-100


@pytest.mark.parametrize("scenario,model", [("micrograd", None), ("digits", None), ("digits", "mlp"),
                                            ("digits10", None)])
def test_larger_models_get_a_finite_suggestion_that_trains(scenario, model):
    t = build_trainer(Settings(scenario=scenario, model=model, steps=0))
    r = find_lr(get_scenario(scenario), t)
    assert math.isfinite(r.suggestion) and r.suggestion > 0
    first = t.evaluate("train")[0]
    t.lr = r.suggestion
    assert t.advance(50) is None
    assert t.evaluate("train")[0] < first


def test_what_the_docstring_says_of_the_rules():
    """The numbers lr_find's docstring gives for choosing the minimum rule over the valley."""
    tests = {name: range_test(name) for name in ("fruit", "quadratic", "parabola", "micrograd", "digits")}
    for name in ("parabola", "micrograd", "digits"):
        assert f"{tests[name].by_valley.lr:.2g}" == "0.0012"
    assert f"{tests['quadratic'].by_valley.lr:.2g}" == "8.3e-06"
    assert final_loss("quadratic", tests["quadratic"].by_valley.lr)[0] > final_loss("quadratic", 1e-5)[0]
    limits = {"quadratic": stability_limit("quadratic"), "fruit": stability_limit("fruit"), "parabola": 1.0}
    assert f"{limits['quadratic']:.2g}" == "3.5e-05" and f"{limits['fruit']:.2g}" == "0.00011"
    for name, limit in limits.items():
        lowest = tests[name].by_minimum.came_from[1]
        assert 3.3 <= round(lowest / limit, 1) <= 3.7
    assert [f"{tests[n].suggestion:.2g}" for n in ("quadratic", "fruit", "parabola")] == ["1.3e-05", "4e-05", "0.33"]
    fruit, fruit_lesson = final_loss("fruit", tests["fruit"].suggestion)[0], final_loss("fruit", 1e-5)[0]
    assert round(fruit_lesson / fruit) == 4
    assert lr_find.schedule(1e-7, 10.0, 100)[1] / 1e-7 == pytest.approx(10**0.08)


def test_what_the_docstring_says_of_trained_runs():
    t = trainer("quadratic")
    assert t.advance(100) is None
    r = find_lr(get_scenario("quadratic"), t)
    assert f"{r.by_minimum.came_from[1]:.2g}" == "0.00048" and r.suggestion > stability_limit("quadratic")
    assert f"{r.by_valley.lr:.3g}" == "1.45e-05"
    finals = []
    for lr in (r.suggestion, r.by_valley.lr):
        again = trainer("quadratic")
        again.advance(100)
        start = again.evaluate("train")[0]
        again.lr = lr
        assert again.advance(200) is None
        finals.append(again.evaluate("train")[0])
    assert round(start) == 325 and f"{finals[0]:.2g}" == "1.7e+62" and finals[1] < start
    t = trainer("digits")
    assert t.advance(30) is None
    r = find_lr(get_scenario("digits"), t)
    assert (f"{r.by_minimum.lr:.2g}", f"{r.by_valley.lr:.2g}") == ("7.6e-08", "0.91")


# ----- no suggestion rather than an invented one ------------------------------------------------------

def test_divergence_at_the_first_step_ends_the_test_with_no_suggestion():
    t = trainer("parabola")
    t.set_initial_weights({"x": np.array(1e200)})  # x**2 overflows: the first loss is infinite
    r = find_lr(get_scenario("parabola"), t)
    assert r.stopped == STOP_DIVERGED and r.taken == 0
    assert r.why_stopped == "step 1 (lr 1e-07) diverged: its loss would not be finite, so it was not taken"
    assert r.suggestion is None and r.by_valley.lr is None
    assert r.why_no_suggestion == ("the test took 0 steps, which leaves 0 after the first tenth of the "
                               "100 asked for and the last 5; the rule needs 3")
    assert len(r.losses) == len(r.smoothed) == 0


def test_a_test_too_short_for_the_rule_says_so():
    r = range_test("fruit", end=1e-5, steps=7)  # 7 steps, less the first 0 and the last 5, leave 2
    assert r.taken == 7 and r.suggestion is None and r.suggested.came_from is None
    assert "the test took 7 steps, which leaves 2 after" in r.suggested.how
    r = range_test("fruit", end=1e-5, steps=8)
    assert r.suggestion == r.lrs[2] / 10
    r = range_test("fruit", end=1e-5, steps=4)  # fewer than the 5 left out at the end: nothing to read
    assert r.taken == 4 and r.suggestion is None and "which leaves 0 after" in r.suggested.how


def test_a_loss_that_never_falls_gives_no_suggestion():
    t = trainer("parabola")
    t.set_initial_weights({"x": np.array(0.0)})  # at the minimum: the loss is 0 at every step
    r = find_lr(get_scenario("parabola"), t)
    assert r.taken == 100 and np.all(r.losses == 0)
    assert r.by_minimum.lr is None and "lowest at the first learning rate kept" in r.by_minimum.how
    assert r.by_valley.lr is None and "never fell twice" in r.by_valley.how


def test_a_two_point_valley_at_the_start_is_no_valley():
    # fastai's index would be -1 here: the LAST learning rate tested.
    lrs = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert longest_valley(np.array([5.0, 4.0, 6.0, 7.0, 8.0])) == (-1, 1, 2)
    assert valley_rule(lrs, np.array([5.0, 4.0, 6.0, 7.0, 8.0]), 5, 10).lr is None


# ----- the valley rule, as fastai's loop computes it ---------------------------------------------------

def fastai_valley(lrs, losses):
    """fastai.callback.schedule.valley, transcribed (fastai 2.7): the reference."""
    n = len(losses)
    max_start, max_end = 0, 0
    lds = [1] * n
    for i in range(1, n):
        for j in range(0, i):
            if (losses[i] < losses[j]) and (lds[i] < lds[j] + 1):
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    idx = max_start + int(sections) + int(sections / 2)
    return float(lrs[idx]), max_start, max_end, lds[max_end]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.integers(0, 6) | st.floats(0, 10), min_size=3, max_size=40))
def test_valley_is_fastais(losses):
    losses = np.array(losses, dtype=float)
    lrs = np.geomspace(1e-3, 1.0, len(losses))
    lr, start, end, length = fastai_valley(lrs, losses)
    assert longest_valley(losses) == (start, end, length)
    suggestion = valley_rule(lrs, losses, len(losses), len(losses) + 5)
    if length >= 3:
        assert suggestion.lr == lr
        assert suggestion.came_from == (lrs[max(start, 0)], lrs[end])
    else:
        assert suggestion.lr is None


def test_minimum_rule_is_a_tenth_of_the_lowest():
    r = range_test("quadratic")
    kept = slice(10, r.taken - 5)
    lowest = np.argmin(r.smoothed[kept])
    assert r.by_minimum.lr == r.lrs[kept][lowest] / 10
    assert r.by_minimum.came_from == (r.lrs[10], r.lrs[kept][lowest])
    assert r.by_minimum.how == (f"a tenth of lr {r.lrs[kept][lowest]:.3g}, where the smoothed loss was lowest "
                                f"({r.smoothed[kept][lowest]:.4g}) but for the first tenth of the steps and the last 5")
    assert r.smoothed[r.taken - 5:].min() < r.smoothed[kept].min()  # lower in the 5 left out, as fastai leaves them
    assert range_test("quadratic", rule=VALLEY).suggestion == r.by_valley.lr


# ----- bad input ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kw,message", [
    ({"start": 0.0}, "the range test's first learning rate must be > 0, not 0"),
    ({"start": -1e-3}, "the range test's first learning rate must be > 0, not -0.001"),
    ({"end": math.inf}, "the range test's last learning rate must be a finite number, not inf"),
    ({"end": 1e7}, "the range test's last learning rate must be at most 1e+06, not 1e+07"),
    ({"start": 1.0, "end": 1.0}, "the range test's last learning rate (1) must be above its first (1)"),
    ({"start": 1.0, "end": 0.1}, "the range test's last learning rate (0.1) must be above its first (1)"),
    ({"steps": 0}, "the number of test steps must be >= 1, not 0"),
    ({"steps": 10_001}, "the number of test steps is too large: 10001 (at most 10,000)"),
    ({"steps": 2.5}, "the number of test steps must be a whole number, not 2.5"),
    ({"rule": "steep"}, "unknown rule 'steep'; choose from minimum, valley"),
])
def test_bad_choices_are_refused_before_anything_trains(kw, message):
    t = trainer("fruit")
    before = state_bytes(t)
    with pytest.raises(GdsimError) as e:
        find_lr(get_scenario("fruit"), t, **kw)
    assert str(e.value) == message
    assert state_bytes(t) == before


def test_a_loss_with_no_lower_bound_is_refused():
    t = trainer("chain-rule")
    with pytest.raises(GdsimError, match="needs a loss that cannot go below 0; the output itself"):
        find_lr(get_scenario("chain-rule"), t)
