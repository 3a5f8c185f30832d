"""The gradient view's bar labels: never two closer than a line of text, and each tensor named."""

import pytest

from gdsim.core.scenarios import build_trainer, get_scenario
from gdsim.core.settings import Settings
from gdsim.core.snapshot import SnapshotTaker, run_info

pytestmark = pytest.mark.gui


def micrograd_view(qtbot, height: int):
    """A gradient view 900 pixels wide and ``height`` tall, showing micrograd's first snapshot."""
    from gdsim.app import theme
    from gdsim.app.views.gradient_view import GradientView

    theme.configure_plots()
    view = GradientView()
    qtbot.addWidget(view)
    view.resize(900, height)
    view.show()
    settings = Settings(scenario="micrograd", steps=0)
    trainer = build_trainer(settings, track_tensor_norms=True)
    info = run_info(1, get_scenario("micrograd"), trainer, settings)
    view.begin_run(info)
    view.show_snapshot(SnapshotTaker(1, info).take(trainer))
    return view, info


@pytest.mark.parametrize("height", [90, 160, 700])
def test_bar_labels_keep_a_line_apart_and_name_each_tensor_they_reach(qtbot, height):
    view, info = micrograd_view(qtbot, height)
    qtbot.waitUntil(lambda: view.bar_plot.vb.height() > 0)
    view._label_bars()  # for the height the layout gave it

    ticks = view.bar_plot.getAxis("left")._tickLevels[0]
    rows = [i for i, _ in ticks]
    pitch = view.bar_plot.vb.height() / info.n_weights  # pixels a row
    assert all(b - a >= 13 / pitch - 1e-9 for a, b in zip(rows, rows[1:])), (rows, pitch)
    offsets = list(info.param_offsets) + [info.n_weights]
    for t, name in enumerate(info.param_names):
        inside = [(i, text) for i, text in ticks if offsets[t] <= i < offsets[t + 1]]
        if inside:  # the tensor's first label says whose weights these are
            assert inside[0][1].startswith(name), (name, inside)
            assert all(text.startswith("[") for _, text in inside[1:])
    if pitch >= 13:  # room for every row: every weight labelled
        assert rows == list(range(info.n_weights))


@pytest.mark.parametrize("height", [90, 700])
def test_the_followed_weights_plots_show_their_titles_only_where_they_fit(qtbot, height):
    """Stood on end, "value" and "gradient" ran into each other when the plots were short."""
    view, info = micrograd_view(qtbot, height)
    qtbot.waitUntil(lambda: view.value_plot.vb.height() > 0)
    for plot in (view.value_plot, view.grad_plot):
        label = plot.getAxis("left").label
        qtbot.waitUntil(lambda: label.isVisible() == (label.boundingRect().width() <= plot.vb.height()))
        assert label.isVisible() == (height == 700)


def test_after_one_step_each_tensor_s_gradient_norm_is_a_dot(qtbot):
    """A curve of one point draws no line: after the first step the norm plot showed nothing
    while the loss plot showed its dot (found by a helper trying the app under Xvfb)."""
    settings = Settings(scenario="micrograd", steps=0)
    trainer = build_trainer(settings, track_tensor_norms=True)
    view, info = micrograd_view(qtbot, 400)
    taker = SnapshotTaker(1, info)
    taker.take(trainer)
    trainer.step()
    view.show_snapshot(taker.take(trainer))
    for curve in view.norm_curves:
        x, y = curve.getData()
        assert len(x) == 1 and curve.opts["symbol"] is not None
