"""Every sentence a lesson says is true of the run it describes: one test per claim.

Each test runs what the lesson text tells a learner to try, checks the behaviour, and checks
that the text still quotes the numbers the run shows (so a change to a scenario that makes a
sentence untrue fails here).
"""

from __future__ import annotations

import numpy as np
import pytest

from gdsim.core.engine.activations import MicrogradTanhOverflow
from gdsim.core.scenarios import build_trainer, get_scenario
from gdsim.core.settings import Settings


def run(**settings):
    trainer = build_trainer(Settings(**settings))
    stop = trainer.run()
    return trainer, stop


def says(scenario: str, *phrases: str) -> None:
    lesson = get_scenario(scenario).lesson
    for phrase in phrases:
        assert phrase in lesson, f"{scenario}'s lesson no longer says {phrase!r}"


# ----- fruit -----------------------------------------------------------------------------------

def test_fruit_starts_from_the_article_s_loss_and_falls_to_144():
    t, stop = run(scenario="fruit")
    loss = t.history.loss
    assert len(loss) == 100 and round(loss[0]) == 24868 and round(loss[1]) == 16869 and round(loss[-1]) == 144
    assert np.all(np.diff(loss) < 0)  # falls at every step
    says("fruit", "the article's weights", "24,868 at step 1 and 16,869 at step 2", "(24868.0703, 16868.5664)",
         "lr 1e-5 it falls to 144 in 100 steps")


def test_fruit_lr_1e4_gets_below_1_from_step_277():
    t, _ = run(scenario="fruit", lr=1e-4, steps=300)
    loss = t.history.loss
    assert round(loss[99]) == 13
    below = np.flatnonzero(loss < 1)
    assert below[0] + 1 == 277 and np.all(np.diff(below) == 1)  # and stays below
    says("fruit", "lr 1e-4 is faster: 13 at step 100, below 1 from step 277")


def test_fruit_lr_1_2e4_explodes():
    t, _ = run(scenario="fruit", lr=1.2e-4)
    loss = t.history.loss
    assert loss[-1] > 1e16 and loss[-1] > loss[-2] > loss[-3]
    says("fruit", "1.2e-4", "past 1e16 by step 100")


def test_fruit_without_zeroing_overshoots_then_settles():
    t, _ = run(scenario="fruit", zero_grad=False)
    loss = t.history.loss
    assert round(loss[3]) == 486 and loss[7] > 25_000  # down, then back above 25,000 at step 8
    assert loss[-1] < loss[7] / 100
    says("fruit", "zeroing", "from 486 at step 4 back above 25,000 at step 8")


# ----- quadratic -------------------------------------------------------------------------------

def test_quadratic_gives_the_article_s_rmse_then_hardly_moves():
    t, _ = run(scenario="quadratic")
    rmse = np.sqrt(t.history.loss)
    assert [round(r, 2) for r in rmse[:5]] == [74.96, 36.43, 22.69, 19.01, 18.23]
    assert round(rmse[-1], 2) == 18.03 and rmse[4] - rmse[-1] < 0.5
    assert round(float(np.max(np.abs(t.data.x))) ** 2) == 361
    says("quadratic", "article's data and starting a, b, c", "74.96, 36.43, 22.69, 19.01, 18.23 at steps 1 to 5",
         "18.03 after 100 steps", "361")


def test_quadratic_five_times_the_lr_diverges():
    _, stop = run(scenario="quadratic", lr=5e-5, steps=0)
    assert stop.divergence is not None
    says("quadratic", "lr 5e-5, diverges")


# ----- micrograd -------------------------------------------------------------------------------

def test_micrograd_converges_by_step_6_with_zeroing_and_stalls_at_8_without():
    t, _ = run(scenario="micrograd")
    assert t.history.loss[5] < 0.01 and t.history.loss[4] >= 0.01
    t, _ = run(scenario="micrograd", zero_grad=False)
    assert abs(t.history.loss[-1] - 8) < 1e-3
    says("micrograd", "below 0.01 by step 6", "stalls at a loss of 8")


def test_micrograd_without_zeroing_passes_micrograd_s_tanh_limit_at_step_10():
    t, _ = run(scenario="micrograd", zero_grad=False)
    assert t.notes == [(10, "micrograd stops here", MicrogradTanhOverflow.note)]
    assert "micrograd would stop here with OverflowError: math range error" in MicrogradTanhOverflow.note
    t, _ = run(scenario="micrograd")
    assert t.notes == []
    says("micrograd", "At step 10 a tanh input passes 354.9", "OverflowError: math range error")


def test_micrograd_itself_raises_overflow_error_in_the_forward_pass_of_step_10():
    """Karpathy's scalar Value (benchmarks/micrograd_value.py), from the same weights, without
    zeroing: its tanh's math.exp raises where gdsim's note says."""
    mg = _load_micrograd_value()
    t = build_trainer(Settings(scenario="micrograd"))
    net = mg.from_state(t.params.state_dict())
    xs, ys = t.data.x.tolist(), t.data.y.ravel().tolist()
    for step in range(1, 11):
        try:
            ypred = [net(x) for x in xs]
        except OverflowError as exc:
            assert step == 10 and str(exc) == "math range error"
            break
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
        loss.backward()  # no zeroing: .grad piles up
        for p in net.parameters():
            p.data += -0.4 * p.grad
    else:
        pytest.fail("micrograd did not overflow by step 10")


def _load_micrograd_value():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "micrograd_value.py"
    spec = importlib.util.spec_from_file_location("micrograd_value", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_resumed_run_already_past_the_limit_makes_no_note_of_its_own():
    t, _ = run(scenario="micrograd", zero_grad=False, steps=20)
    scalars, arrays = t.get_state()
    u = build_trainer(Settings(scenario="micrograd", zero_grad=False, steps=30))
    u.set_state(scalars, arrays)
    u.run()
    assert u.notes == []  # micrograd stopped at step 10, not at 21


def test_micrograd_seed_33_saturates_at_lr_0_4_and_lr_0_1_converges_for_seeds_32_to_41():
    t, _ = run(scenario="micrograd", seed=33)
    assert abs(t.history.loss[-1] - 8) < 1e-2
    for seed in range(32, 42):
        t, _ = run(scenario="micrograd", seed=seed, lr=0.1)
        assert t.history.loss[-1] < 0.01, seed
    says("micrograd", "seed 33 stalls at 8", "every seed from 32 to 41")


# ----- digits ----------------------------------------------------------------------------------

def _class_difference(t) -> np.ndarray:
    x, y = t.data.x, t.data.y[:, 0]
    return x[y == 1].mean(axis=0) - x[y == 0].mean(axis=0)  # where 3s are darker than 7s


def test_digits_weight_image_shows_where_3s_and_7s_differ_from_zero_weights():
    t, _ = run(scenario="digits")
    assert t.settings.init == "zeros"
    # The weight image looks like the difference of the average 3 and the average 7.
    assert np.corrcoef(t.params.values[:784], _class_difference(t))[0, 1] > 0.8
    assert round(t.evaluate("val")[1], 3) == 0.981
    t5 = build_trainer(Settings(scenario="digits"))
    t5.run(5)
    assert np.corrcoef(t5.params.values[:784], _class_difference(t5))[0, 1] > 0.6  # "within a few steps"
    says("digits", "zero weights", "within a few steps", "98.1%")


def test_digits_from_normal_weights_the_picture_drowns_in_noise():
    t, _ = run(scenario="digits", init="normal")
    assert np.corrcoef(t.params.values[:784], _class_difference(t))[0, 1] < 0.3
    assert round(t.evaluate("val")[1], 3) == 0.975
    says("digits", "Initializer: normal", "97.5%")


def test_digits_mlp_reaches_98_8():
    t, _ = run(scenario="digits", model="mlp")
    assert round(t.evaluate("val")[1], 3) == 0.988
    says("digits", "Model: mlp", "98.8%")


# ----- digits10 --------------------------------------------------------------------------------

def test_digits10_starts_at_log_10_from_zero_weights():
    t = build_trainer(Settings(scenario="digits10", steps=1))
    t.run()
    assert t.settings.init == "zeros" and not t.initial_values.any()
    assert t.history.loss[0] == pytest.approx(np.log(10), rel=1e-15) and f"{np.log(10):.3f}" == "2.303"
    says("digits10", "ten rows of 784 weights", "softmax", "From zero weights", "log(10) = 2.303")


def test_digits10_reaches_90_2_percent_after_600_steps():
    t, _ = run(scenario="digits10")
    assert t.step_count == 600 and t.settings.lr == 0.5 and t.settings.batch_size == 256
    assert round(t.evaluate("val")[1], 3) == 0.902 and t.evaluate("val")[1] >= 0.90
    assert round(t.evaluate("train")[1], 3) == 0.962
    says("digits10", "After 600 steps 90.2% of the 600 validation images", "(96.2% of the training images)")


def test_digits10_new_weights_only_reorder_the_batches_and_end_between_88_and_90_percent():
    first = build_trainer(Settings(scenario="digits10", seed=0))
    assert not first.initial_values.any()  # the same zero weights whatever the seed
    for seed in range(4):
        t, _ = run(scenario="digits10", seed=seed)
        assert 0.88 <= t.evaluate("val")[1] <= 0.90, seed
    says("digits10", "New weights only reorders the batches", "other orders end between 88% and 90%")


def test_digits10_gets_the_3s_and_7s_it_never_saw_right_92_percent_of_the_time():
    from digits_helpers import unseen_threes_and_sevens

    x, labels = unseen_threes_and_sevens()
    assert len(labels) == 200
    t, _ = run(scenario="digits10")
    right = np.argmax(t.predict(x), axis=1) == labels
    assert round(float(np.mean(right)), 2) == 0.92
    says("digits10", "The 200 3s and 7s of the digits lesson that this one never trains on",
         "right 92% of the time")


def test_digits10_mlp_reaches_91_8():
    t, _ = run(scenario="digits10", model="mlp")
    assert round(t.evaluate("val")[1], 3) == 0.918
    says("digits10", "Model: mlp", "91.8%")


# ----- parabola --------------------------------------------------------------------------------

@pytest.mark.parametrize("lr, x_after_20", [(0.01, "2.0"), (0.1, "0.035")])
def test_parabola_small_rates(lr, x_after_20):
    t, _ = run(scenario="parabola", lr=lr)
    assert f"{t.params.values[0]:.2g}" == f"{float(x_after_20):.2g}"
    assert np.all(np.diff(t.history.loss) < 0)
    says("parabola", f"x = {x_after_20}")


def test_parabola_lr_0_9_flips_sign_every_step_and_lands_as_close():
    trainer = build_trainer(Settings(scenario="parabola", lr=0.9))
    signs = []
    for _ in range(20):
        trainer.step()
        signs.append(np.sign(trainer.params.values[0]))
    assert all(a == -b for a, b in zip(signs, signs[1:]))
    steady, _ = run(scenario="parabola", lr=0.1)
    assert abs(trainer.params.values[0]) == pytest.approx(abs(steady.params.values[0]))
    says("parabola", "lr 0.9 overshoots", "flipping sign every step")


def test_parabola_lr_1_bounces_and_above_1_runs_away():
    t, _ = run(scenario="parabola", lr=1.0)
    assert set(np.round(t.history.loss, 12)) == {9.0}
    t, _ = run(scenario="parabola", lr=1.1)
    assert round(float(t.params.values[0])) == 115
    _, stop = run(scenario="parabola", lr=1.5, steps=0)
    assert stop.divergence is not None and stop.divergence.step == 512
    says("parabola", "bounces between 3 and -3", "x = 115 after 20 steps", "diverged at step 512")
