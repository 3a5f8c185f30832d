"""The loss landscape's numbers: planes through the weights, coordinates on them, and the loss over a
grid, checked point by point against the loss a full-batch training step records there."""

from __future__ import annotations

import functools
import math
import tracemalloc
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdsim.core import landscape
from gdsim.core.choices import make_choice
from gdsim.core.data.dataset import BINARY, MULTICLASS, REGRESSION, Dataset
from gdsim.core.engine.expression import Expression, ExpressionModel
from gdsim.core.engine.losses import LOSSES
from gdsim.core.engine.parameter import ParameterSet
from gdsim.core.engine.value import Value
from gdsim.core.errors import GdsimError
from gdsim.core.scenarios import custom_scenario, get_scenario
from gdsim.core.settings import Settings

PENALTY = {"l1": 0.03, "l2": 0.02}


@functools.cache
def own_scenario(task: str):
    """A scenario of your own data: two regression targets, a 0/1 target, or three classes."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 3))
    total = x.sum(axis=1)
    if task == REGRESSION:
        y = np.stack([x @ [1.0, -2.0, 0.5], x[:, 0] * x[:, 1]], axis=1)
        data = Dataset(x, y, input_names=("p", "q", "r"), target_names=("u", "v"))
    elif task == BINARY:
        data = Dataset(x, (total > 0).astype(float)[:, None], input_names=("p", "q", "r"),
                       target_names=("w",), task=BINARY)
    else:
        data = Dataset(x, np.digitize(total, [-0.5, 0.5]).astype(float)[:, None], input_names=("p", "q", "r"),
                       target_names=("kind",), task=MULTICLASS, notes={"class_names": ("low", "middle", "high")})
    return custom_scenario(data, f"csv:{task}", f"{task}.csv")


def scenario_of(name: str):
    return own_scenario(name[len("own-"):]) if name.startswith("own-") else get_scenario(name)


# Every scenario with each model it offers, under the losses that fit it.
CASES = [
    ("fruit", "linear", "mse"), ("fruit", "linear", "sse"), ("fruit", "linear", "mae"), ("fruit", "linear", "huber:2"),
    ("quadratic", "polynomial", "mse"), ("quadratic", "polynomial", "mae"),
    ("micrograd", "mlp", "sse"), ("micrograd", "mlp", "huber"),
    ("digits", "linear", "mnist"), ("digits", "linear", "bce"), ("digits", "linear", "mse"),
    ("digits", "mlp", "bce"), ("digits", "mlp", "mnist"),
    ("digits10", "linear", "cross_entropy"), ("digits10", "mlp", "cross_entropy"),
    ("chain-rule", "expression", "value"),
    ("own-regression", "linear", "mse"), ("own-regression", "mlp:5", "mae"),
    ("own-binary", "linear", "bce"), ("own-binary", "mlp:4,3", "mnist"),
    ("own-multiclass", "linear", "cross_entropy"), ("own-multiclass", "mlp", "cross_entropy"),
]
STEPS = 4  # the run moves away from its start (digits start from zero weights), making a path


def settings_for(case, penalized: bool, **more) -> Settings:
    name, model, loss = case
    return Settings(scenario=scenario_of(name).name, model=model, loss=loss, steps=0,
                    **(PENALTY if penalized else {}), **more)


def run_of(case, penalized: bool = False, **more):
    """A trainer of ``case`` after STEPS steps, and its path: the weights at every step."""
    trainer = scenario_of(case[0]).build(settings_for(case, penalized, **more))
    path = [trainer.params.values.copy()]
    for _ in range(STEPS):
        assert trainer.step() is None
        path.append(trainer.params.values.copy())
    return trainer, np.array(path)


def full_batch_twin(case, penalized: bool):
    """The same run's settings with every training row in each step."""
    return scenario_of(case[0]).build(settings_for(case, penalized, batch_size=10**9))


def step_loss(twin, weights: np.ndarray) -> float:
    """The loss a full-batch training step records at ``weights``, its penalty included."""
    twin.params.values[...] = weights
    assert twin.step() is None
    return twin.last_loss


def weights_at(plane, a: float, b: float) -> np.ndarray:
    """The weights at (a, b) of ``plane``, written out here rather than asked of the plane."""
    if plane.kind == landscape.WEIGHTS:
        w = plane.origin.copy()
        i, j = plane.indices
        w[i], w[j] = a, b
        return w
    return plane.origin + a * plane.d1 + b * plane.d2


def plane_of(kind: str, trainer, path):
    if kind == landscape.WEIGHTS:
        return landscape.weight_plane(trainer, *landscape.default_pair(trainer))
    if kind == landscape.RANDOM:
        return landscape.random_plane(trainer, seed=7)
    return landscape.pca_plane(trainer, path)


def assert_grid_is_the_step_loss(trainer, twin, plane, a, b):
    grid = landscape.loss_grid(trainer, plane, a, b)
    assert grid.shape == (len(b), len(a))
    expected = np.array([[step_loss(twin, weights_at(plane, ai, bi)) for ai in a] for bi in b])
    np.testing.assert_allclose(grid, expected, rtol=1e-10, atol=1e-13 * np.max(np.abs(expected)))


# ----- the loss over a grid ------------------------------------------------------------------------

@pytest.mark.parametrize("kind", [landscape.WEIGHTS, landscape.RANDOM, landscape.PCA])
@pytest.mark.parametrize("penalized", [False, True], ids=["no-penalty", "l1-l2"])
@pytest.mark.parametrize("case", CASES, ids=["-".join(c) for c in CASES])
def test_the_grid_is_the_loss_a_full_batch_step_records_at_each_point(case, penalized, kind):
    trainer, path = run_of(case, penalized)
    plane = plane_of(kind, trainer, path)
    (a0, a1), (b0, b1) = landscape.extent(landscape.coordinates(plane, path))
    assert_grid_is_the_step_loss(trainer, full_batch_twin(case, penalized), plane,
                                 np.linspace(a0, a1, 4), np.linspace(b0, b1, 3))


@settings(max_examples=25, deadline=None)
@given(case=st.sampled_from([c for c in CASES if not c[0].startswith("digits")]),
       seed=st.integers(0, 2**32 - 1), a=st.floats(-3, 3), b=st.floats(-3, 3), penalized=st.booleans())
def test_any_point_of_a_random_plane_is_the_step_loss_there(case, seed, a, b, penalized):
    trainer, _ = run_of(case, penalized)
    plane = landscape.random_plane(trainer, seed)
    assert_grid_is_the_step_loss(trainer, full_batch_twin(case, penalized), plane, np.array([a]), np.array([b]))


def test_a_weights_plane_is_read_in_the_weights_own_values():
    trainer, _ = run_of(("fruit", "linear", "mse"))
    plane = landscape.weight_plane(trainer, 4, 6)  # weight[1,1] and bias[0]
    assert plane.axis_titles == ("weight[1,1]", "bias[0]") and plane.indices == (4, 6)
    here = trainer.params.values[[4, 6]]
    np.testing.assert_array_equal(landscape.coordinates(plane, trainer.params.values[None, :]), [here])
    grid = landscape.loss_grid(trainer, plane, np.array([here[0]]), np.array([here[1]]))
    assert grid[0, 0] == pytest.approx(trainer.evaluate("train")[0], rel=1e-12)  # where the run is
    np.testing.assert_array_equal(plane.weights_at(1.5, -2.0), weights_at(plane, 1.5, -2.0))


def test_the_loss_is_over_every_training_row_though_steps_see_batches():
    trainer, _ = run_of(("digits", "linear", "mnist"))
    assert trainer.batch_size == 256 < trainer.data.n_train
    plane = landscape.random_plane(trainer)
    grid = landscape.loss_grid(trainer, plane, np.array([0.0]), np.array([0.0]))
    assert grid[0, 0] == pytest.approx(trainer.evaluate("train")[0], rel=1e-12)


def test_points_where_the_loss_overflows_stay_inf_or_nan_without_a_warning():
    fruit, _ = run_of(("fruit", "linear", "mse"))
    chain, _ = run_of(("chain-rule", "expression", "value"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            grid = landscape.loss_grid(fruit, landscape.weight_plane(fruit, 0, 1), np.array([1e307, 1.0]),
                                       np.array([2.0]))
            # L = (a*b + c) * f: a*b overflows to -inf, and -inf * 0 is NaN.
            l_grid = landscape.loss_grid(chain, landscape.weight_plane(chain, 0, 3), np.array([1e308]),
                                         np.array([0.0, 1.0]))
    assert grid[0, 0] == math.inf and np.isfinite(grid[0, 1])
    assert math.isnan(l_grid[0, 0]) and l_grid[1, 0] == -math.inf


@pytest.mark.parametrize("case", [("quadratic", "polynomial", "mse"), ("micrograd", "mlp", "sse"),
                                  ("digits", "mlp", "bce"), ("chain-rule", "expression", "value")],
                         ids=lambda c: c[0])
def test_a_grid_changes_nothing_in_the_trainer(case):
    trainer, path = run_of(case, penalized=True, zero_grad=False)  # grads that are not zero, too
    twin, _ = run_of(case, penalized=True, zero_grad=False)
    scalars, arrays = trainer.get_state()
    for kind in (landscape.WEIGHTS, landscape.RANDOM, landscape.PCA):
        plane = plane_of(kind, trainer, path)
        landscape.loss_grid(trainer, plane, np.linspace(-1, 1, 5), np.linspace(-1, 1, 4))
        landscape.coordinates(plane, path)
    after_scalars, after_arrays = trainer.get_state()
    assert after_scalars == scalars and after_arrays.keys() == arrays.keys()
    for key in arrays:
        np.testing.assert_array_equal(after_arrays[key], arrays[key], err_msg=key)
    # ...and it trains on bit for bit as a run that never drew a landscape.
    trainer.run(3)
    twin.run(3)
    np.testing.assert_array_equal(trainer.params.values, twin.params.values)
    np.testing.assert_array_equal(trainer.history.loss, twin.history.loss)


@pytest.mark.parametrize("case", [("digits10", "linear", "cross_entropy"), ("digits", "mlp", "bce")],
                         ids=lambda c: c[0] + "-" + c[1])
def test_a_big_grid_is_computed_in_chunks_of_bounded_memory(case):
    trainer, _ = run_of(case, penalized=True)
    plane = landscape.random_plane(trainer)
    axis = np.linspace(-1, 1, 60)
    tracemalloc.start()
    try:
        grid = landscape.loss_grid(trainer, plane, axis, axis)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # All 3,600 points at once would hold 3,600 x 2,400 x 10 numbers (digits10): 690 MB.
    assert peak < 50 * 2**20
    assert np.all(np.isfinite(grid))


# ----- the planes ----------------------------------------------------------------------------------------

def test_a_one_weight_model_has_no_plane():
    parabola = get_scenario("parabola").build(Settings(scenario="parabola", steps=0))
    assert not landscape.has_plane(parabola.params.size)
    assert landscape.has_plane(run_of(("chain-rule", "expression", "value"))[0].params.size)
    for make in (landscape.default_pair, lambda t: landscape.weight_plane(t, 0, 0), landscape.random_plane,
                 lambda t: landscape.pca_plane(t, np.array([[1.0], [2.0], [3.0]]))):
        with pytest.raises(GdsimError, match="one weight"):
            make(parabola)


def test_a_weights_plane_needs_two_different_weights_of_the_model():
    trainer, _ = run_of(("fruit", "linear", "mse"))
    for i, j in ((3, 3), (0, 8), (-1, 2)):
        with pytest.raises(GdsimError, match="two different weights from 0 to 7"):
            landscape.weight_plane(trainer, i, j)


def test_the_default_pair_is_the_two_largest_gradients_of_the_last_update():
    trainer = get_scenario("micrograd").build(Settings(scenario="micrograd", steps=0))
    first = landscape.default_pair(trainer)  # no update yet: the gradient the first one will use
    trainer.step()
    assert first == tuple(sorted(np.argsort(-np.abs(trainer.update_grads))[:2]))
    assert not trainer.params.grads.any()  # zeroed after the step: it ranks nothing
    largest = np.argsort(-np.abs(trainer.update_grads))[:2]
    assert landscape.default_pair(trainer) == tuple(sorted(largest))
    quadratic = get_scenario("quadratic").build(Settings(scenario="quadratic", steps=0))
    quadratic.run(10)
    assert np.argmax(np.abs(quadratic.update_grads)) == 1  # b's gradient is the largest now...
    assert landscape.default_pair(quadratic) == (0, 1)  # ...yet a stays on the first axis


def rows_of(trainer, flat, name):
    p = trainer.params[name]
    return flat[p.offset:p.offset + p.size].reshape(p.shape[0], -1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_directions_are_filter_normalised_and_leave_biases_out(seed):
    trainer, _ = run_of(("micrograd", "mlp", "sse"))
    trainer.params["layers.1.weight"].value[2] = 0.0  # a unit whose weights are all 0
    plane = landscape.random_plane(trainer, seed)
    for d in (plane.d1, plane.d2):
        for p in trainer.params:
            if p.spec.role == "bias":
                assert not rows_of(trainer, d, p.name).any(), p.name
                continue
            np.testing.assert_allclose(np.linalg.norm(rows_of(trainer, d, p.name), axis=1),
                                       np.linalg.norm(rows_of(trainer, plane.origin, p.name), axis=1), rtol=1e-12)
        assert not rows_of(trainer, d, "layers.1.weight")[2].any()
    assert plane.kind == landscape.RANDOM and plane.axis_titles == ("random direction 1", "random direction 2")
    assert not np.array_equal(plane.d1, landscape.random_plane(trainer, seed + 1).d1)
    np.testing.assert_array_equal(plane.d2, landscape.random_plane(trainer, seed).d2)  # the seed decides


@pytest.mark.parametrize("case", [("quadratic", "polynomial", "mse"), ("chain-rule", "expression", "value")],
                         ids=lambda c: c[0])
def test_weights_that_are_no_matrix_rows_are_one_unit_together(case):
    trainer, _ = run_of(case)
    plane = landscape.random_plane(trainer)
    for d in (plane.d1, plane.d2):
        assert np.linalg.norm(d) == pytest.approx(np.linalg.norm(plane.origin), rel=1e-12)
    assert abs(np.dot(plane.d1, plane.d2)) < np.linalg.norm(plane.d1) * np.linalg.norm(plane.d2) * (1 - 1e-6)


def test_random_directions_need_weights_that_are_not_all_zero():
    digits = get_scenario("digits").build(Settings(scenario="digits", steps=0))  # zero weights
    with pytest.raises(GdsimError, match="every weight is 0"):
        landscape.random_plane(digits)


def own_line(n_outputs: int):
    """A linear model of one input: each weight matrix row is a single number."""
    x = np.linspace(-1, 1, 12)[:, None]
    y = np.hstack([2 * x + 1] * n_outputs)
    data = Dataset(x, y, input_names=("x",), target_names=tuple(f"y{k}" for k in range(n_outputs)))
    scenario = custom_scenario(data, f"csv:line{n_outputs}", "line.csv")
    return scenario.build(Settings(scenario=scenario.name, steps=0))


def test_random_directions_of_single_number_units_are_drawn_until_they_span_a_plane():
    trainer = own_line(2)  # each direction is (+-|w0|, +-|w1|): half the draws are parallel
    for seed in range(8):
        plane = landscape.random_plane(trainer, seed)
        d1, d2 = plane.d1[:2], plane.d2[:2]
        assert abs(np.dot(d1, d2)) < np.linalg.norm(d1) * np.linalg.norm(d2) * (1 - 1e-6)
    with pytest.raises(GdsimError, match="one line"):
        landscape.random_plane(own_line(1))  # one weight besides the bias: every draw is on one line


def test_pca_of_a_straight_path_recovers_its_direction():
    trainer, _ = run_of(("micrograd", "mlp", "sse"))
    rng = np.random.default_rng(1)
    start, way = rng.normal(size=41), rng.normal(size=41)
    path = start + np.linspace(0, 3, 9)[:, None] * way
    plane = landscape.pca_plane(trainer, path)
    np.testing.assert_allclose(plane.d1, way / np.linalg.norm(way), rtol=1e-10, atol=1e-13)  # run goes towards +
    assert plane.explained[0] == pytest.approx(1.0, abs=1e-12) and plane.explained[1] < 1e-20
    assert abs(np.dot(plane.d1, plane.d2)) < 1e-12 and np.linalg.norm(plane.d2) == pytest.approx(1.0)
    assert plane.axis_titles[0] == "PC 1 (100% of the path's spread)"
    np.testing.assert_array_equal(plane.origin, trainer.params.values)


def test_the_run_moves_towards_plus_along_both_principal_directions():
    trainer, _ = run_of(("fruit", "linear", "mse"))
    rng = np.random.default_rng(5)
    for _ in range(10):
        path = np.cumsum(rng.normal(size=(12, 8)), axis=0)  # a random walk: its signs are anyone's
        plane = landscape.pca_plane(trainer, path)
        moved = path[-1] - path[0]
        assert np.dot(moved, plane.d1) > 0 and np.dot(moved, plane.d2) > 0


def test_pca_of_a_path_in_a_plane_spans_that_plane_and_splits_its_variance():
    trainer, _ = run_of(("fruit", "linear", "mse"))
    rng = np.random.default_rng(2)
    u, v = np.linalg.qr(rng.normal(size=(8, 2)))[0].T  # orthonormal
    s = np.linspace(-1, 1, 21)
    path = trainer.params.values + np.outer(3 * s, u) + np.outer(np.sin(7 * s), v)
    plane = landscape.pca_plane(trainer, path)
    # Every point of the path is on the plane: its coordinates give it back.
    coords = landscape.coordinates(plane, path)
    np.testing.assert_allclose(plane.origin + coords @ np.stack([plane.d1, plane.d2]), path, atol=1e-12)
    centred = path - path.mean(axis=0)
    shares = np.var(centred @ np.stack([plane.d1, plane.d2]).T, axis=0) / np.sum(np.var(centred, axis=0))
    np.testing.assert_allclose(plane.explained, shares, rtol=1e-10)
    assert plane.explained[0] > plane.explained[1] > 0.01


def test_pca_needs_a_path_that_moved():
    trainer, _ = run_of(("fruit", "linear", "mse"))
    with pytest.raises(GdsimError, match="not moved"):
        landscape.pca_plane(trainer, np.tile(trainer.params.values, (5, 1)))
    with pytest.raises(GdsimError, match="one row of 8 weights"):
        landscape.pca_plane(trainer, np.zeros((5, 3)))


# ----- coordinates and the box ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", [landscape.RANDOM, landscape.PCA])
def test_coordinates_of_the_origin_and_of_points_on_the_plane(kind):
    trainer, path = run_of(("micrograd", "mlp", "sse"))
    plane = plane_of(kind, trainer, path)
    origin = plane.origin
    points = np.stack([origin, origin + 2 * plane.d1 - plane.d2, origin + 1e-3 * plane.d2])
    np.testing.assert_allclose(landscape.coordinates(plane, points), [[0, 0], [2, -1], [0, 1e-3]],
                               rtol=1e-10, atol=1e-13)
    # A point off the plane goes to its nearest point on it: add a step perpendicular to both directions.
    directions = np.stack([plane.d1, plane.d2], axis=1)
    off = np.random.default_rng(0).normal(size=origin.size)
    off -= directions @ np.linalg.lstsq(directions, off, rcond=None)[0]
    np.testing.assert_allclose(landscape.coordinates(plane, (points[1] + off)[None, :]), [[2, -1]], rtol=1e-10)


def test_the_box_holds_the_path_and_is_square():
    coords = np.array([[0.0, 0.0], [2.0, 0.5], [1.0, -0.5]])
    (a0, a1), (b0, b1) = landscape.extent(coords, margin=0.25)
    assert (a0, a1) == pytest.approx((-0.25, 2.25)) and (b0, b1) == pytest.approx((-1.25, 1.25))


@pytest.mark.parametrize("point", [(0.0, 0.0), (3.0, -2.0), (1e12, 5.0)])
def test_the_box_of_one_point_has_a_width(point):
    (a0, a1), (b0, b1) = landscape.extent(np.array([point]))
    assert a0 < point[0] < a1 and b0 < point[1] < b1
    assert a1 - a0 == pytest.approx(b1 - b0) and a1 - a0 >= 2.0


def test_the_box_leaves_out_points_that_are_not_finite():
    (a0, a1), (b0, b1) = landscape.extent(np.array([[0.0, 0.0], [1.0, 1.0], [np.inf, np.nan]]), margin=0.0)
    assert (a0, a1, b0, b1) == (0.0, 1.0, 0.0, 1.0)


# ----- the batched pieces ------------------------------------------------------------------------------

PREDICTIONS = {  # the shape of a prediction each loss takes, and its targets
    "mse": ((6, 2), lambda rng: rng.normal(size=(6, 2))),
    "sse": ((6, 2), lambda rng: rng.normal(size=(6, 2))),
    "mae": ((6, 1), lambda rng: rng.normal(size=(6, 1))),
    "huber:0.5": ((6, 1), lambda rng: rng.normal(size=(6, 1))),
    "bce": ((6, 1), lambda rng: rng.integers(0, 2, size=(6, 1)).astype(float)),
    "mnist": ((6, 1), lambda rng: rng.integers(0, 2, size=(6, 1)).astype(float)),
    "cross_entropy": ((6, 4), lambda rng: rng.integers(0, 4, size=6)),
    "value": ((), lambda rng: np.array(0.0)),
}


@pytest.mark.parametrize("name", list(PREDICTIONS))
def test_many_is_forward_of_each_prediction(name):
    loss = make_choice("loss", LOSSES, name)
    shape, targets = PREDICTIONS[name]
    rng = np.random.default_rng(4)
    preds = rng.normal(scale=3, size=(7, *shape))
    preds[0] *= 300  # logits far out: the overflow-free forms
    target = targets(rng)
    np.testing.assert_allclose(loss.many(preds, target), [loss.forward(p, target) for p in preds], rtol=1e-13)
    if len(shape) == 2:  # the same stack laid out output by output, as a linear model's predictor gives it
        by_output = np.ascontiguousarray(np.swapaxes(preds, 1, 2)).swapaxes(1, 2)
        np.testing.assert_allclose(loss.many(by_output, target), loss.many(preds, target), rtol=1e-15)


def test_an_expression_over_a_plane_is_its_value_at_each_point():
    def build(v):
        e = v["a"] * v["b"] + 2.0
        e.label = "e"
        out = (e.tanh() - v["a"] / v["b"]) ** 2 + (1.0 - v["c"]).exp() + v["c"].relu() * 3 - 1 / v["a"]
        out.label = "L"
        return out

    expression = Expression(("a", "b", "c"), build, "a test of every operation")
    model = ExpressionModel(expression)
    model.bind(ParameterSet(model.parameter_specs()))
    base, d1, d2 = np.array([0.5, -1.0, 0.2]), np.array([1.0, 0.3, -0.5]), np.array([0.0, 1.0, 2.0])
    a, b = np.linspace(-2, 2, 9), np.linspace(-1, 1, 9)[::-1]
    with np.errstate(divide="ignore"):  # the leaf b is 0 at one point: 1 / b is inf there, as with Values
        got = model.plane_predictor(np.zeros(1), base, d1, d2)(a, b)
    assert np.isinf(got).sum() == 1
    for g in range(len(a)):
        w = base + a[g] * d1 + b[g] * d2
        _, out = expression.evaluate(dict(zip("abc", w)))
        assert isinstance(out, Value)
        assert got[g] == pytest.approx(out.data, rel=1e-14), g
