"""The computation-graph view: its boxes show the engine's numbers, the backward walk writes the
chain rule node by node, .grad piles up with zeroing off, a neuron of micrograd is drawn for the
chosen example, and it exports and appears in --plot-out and in the window."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from cli_helpers import subprocess_gdsim
from gui_helpers import TIMEOUT, trained, wait_paused_at
from PySide6.QtCore import Qt

from gdsim.core.engine.neuron_graph import neuron_graph
from gdsim.core.scenarios import get_scenario
from gdsim.core.snapshot import SnapshotTaker, run_info

pytestmark = pytest.mark.gui


@pytest.fixture
def graph_view(qtbot):
    """A GraphView on its own, fed snapshots of an engine run (``feed``)."""
    from gdsim.app import theme
    from gdsim.app.views.graph_view import GraphView

    theme.configure_plots()
    view = GraphView()
    view.resize(900, 500)
    qtbot.addWidget(view)
    view.show()

    def feed(trainer, neuron=None):
        s = get_scenario(trainer.settings.scenario)
        info = run_info(1, s, trainer, trainer.settings)
        taker = SnapshotTaker(1, info)
        if neuron is not None:
            taker.neuron = neuron
        view.begin_run(info)
        view.show_snapshot(taker.take(trainer))
        return view

    return feed


def test_chain_rule_at_step_0_shows_the_articles_numbers(graph_view):
    view = graph_view(trained("chain-rule", 0))
    boxes = view.box_texts()
    assert boxes["a"] == ["a", "data 2", "grad 6"]
    assert boxes["b"] == ["b", "data -3", "grad -4"]
    assert boxes["c"] == ["c", "data 10", "grad -2"]
    assert boxes["f"] == ["f", "data -2", "grad 4"]
    assert boxes["e"] == ["e = a*b", "data -6", "grad -2"]
    assert boxes["d"] == ["d = e + c", "data 4", "grad -2"]
    assert boxes["L"] == ["L = d*f", "data -8", "grad 1"]
    assert "after step 0" in view.title_label.text()


def test_after_a_step_the_boxes_show_the_new_weights_and_the_next_backward_pass(graph_view):
    t = trained("chain-rule", 1)
    view = graph_view(t)
    expected = t.model.graph()
    boxes = view.box_texts()
    for node in expected["nodes"]:
        assert boxes[node["name"]][1:] == [f"data {node['value']:.4g}", f"grad {node['grad']:.4g}"]
    assert boxes["a"][1:] == ["data 1.94", "grad 6.038"]  # a = 2 - 0.01 x 6; dL/da = b x f = -2.96 x -2.04
    assert boxes["L"][1] == "data -8.726"


def test_the_backward_walk_goes_node_by_node_with_the_chain_rule_in_numbers(graph_view):
    view = graph_view(trained("chain-rule", 0))
    steps = view.graph["steps"]
    order, equations = [], []
    for k in range(len(steps)):
        view.walk_next()
        order.append(view.current_node())
        equations.append(view.item.band[0])
        boxes = view.box_texts()
        reached = set(order)
        for name, lines in boxes.items():
            assert (lines[2] == "grad ?") == (name not in reached), (k, name, lines)
    names = {n["id"]: n["name"] for n in view.graph["nodes"]}
    assert order == [names[s["node"]] for s in steps]
    assert order[0] == "L" and set(order) == {"L", "d", "f", "e", "c", "a", "b"}
    assert equations == [f"Backward, node {k + 1} of 7: {s['equation']}" for k, s in enumerate(steps)]
    assert f"Backward, node {order.index('e') + 1} of 7: dL/de = dL/dd x dd/de = -2 x 1 = -2" in equations
    view.walk_next()  # past the last node: every gradient at once
    assert view.current_node() is None and view.box_texts()["a"][2] == "grad 6"
    view.walk_next()
    view.walk_next()
    view.walk_back()
    assert view.current_node() == "L"
    view.walk_end()
    assert view.current_node() is None


def test_with_zeroing_off_a_leafs_grad_piles_up(graph_view):
    t = trained("chain-rule", 2, zero_grad=False)
    view = graph_view(t)
    a = next(n for n in view.graph["nodes"] if n["name"] == "a")
    earlier = float(t.params.grads[t.params["a"].offset])
    assert earlier == pytest.approx(6 + 6.0384)  # the lesson's a: 6 + 6.04 = 12.04
    assert a["grad"] == pytest.approx(earlier + a["pass_grad"])
    assert view.box_texts()["a"][2:] == [f"grad {a['grad']:.4g}", f"= {earlier:.4g} + {a['pass_grad']:.4g}"]
    assert "Zeroing is off" in view.title_label.text()
    # Walking, the leaf shows what .grad held until the pass reaches it, then the sum.
    view.walk_next()
    assert view.box_texts()["a"][2:] == [f"grad {earlier:.4g}", "(earlier steps)"]
    while view.current_node() != "a":
        view.walk_next()
    assert view.item.band[1] == (f"a.grad piles up: {earlier:.6g} (earlier passes) + {a['pass_grad']:.6g} "
                                 f"= {a['grad']:.6g}")
    # Inner nodes are made afresh each pass: no pile-up.
    assert view.box_texts()["e"][2] == f"grad {next(n for n in view.graph['nodes'] if n['name'] == 'e')['grad']:.4g}"


def test_micrograd_neuron_graph_shows_the_engines_numbers(graph_view):
    t = trained("micrograd", 3)
    view = graph_view(t, neuron=(1, 2, 3))
    about = view.graph["about"]
    assert (about["layer"], about["unit"], about["example"]) == (1, 2, 3)
    w = t.model.layers[1].weight.value[2]
    b = t.model.layers[1].bias.value[2]
    boxes = view.box_texts()
    for j in range(4):
        assert boxes[f"w{j + 1}"][1] == f"data {w[j]:.4g}"
    assert boxes["b"][1] == f"data {b:.4g}"
    assert boxes["o"][0] == "o = tanh(n)"
    expected = neuron_graph(t.model, t.loss, t.data.x, t.data.y, 1, 2, 3)
    for node in expected["nodes"]:
        assert boxes[node["name"]][2] == f"grad {node['grad']:.4g}"
    assert view.neuron_box.isVisible() and view.example_box.isVisible()
    assert view.neuron_box.currentText() == "layer 1, neuron 2"
    assert view.example_box.currentText().startswith("example 3: x = (1, 1, -1)")
    assert "layer 1, neuron 2 for example 3" in view.title_label.text()


def test_the_view_exports_png_and_svg(graph_view, tmp_path):
    from gdsim.app.export import export_figure

    view = graph_view(trained("chain-rule", 1))
    png, svg = tmp_path / "graph.png", tmp_path / "graph.svg"
    export_figure(png, [(view, view.rect())], "chain-rule, step 1", scale=2)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    export_figure(svg, [(view, view.rect())], "chain-rule, step 1")
    texts = " ".join(e.text or "" for e in ET.parse(svg).getroot().iter())
    assert "L = d*f" in texts and "data -8.726" in texts and "grad 6.038" in texts


def test_plot_out_of_a_chain_rule_run_draws_the_graph(tmp_path):
    png, svg = tmp_path / "chain.png", tmp_path / "chain.svg"
    # (stderr may hold pyqtgraph's "All-NaN slice" warning: the loss view's log axis cannot draw
    # the negative L; that is the loss view's to settle, not this view's.)
    proc = subprocess_gdsim("run", "chain-rule", "--steps", "2", "--lr", "0.01", "--plot-out", png)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    proc = subprocess_gdsim("run", "chain-rule", "--steps", "2", "--plot-out", svg, "--quiet")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    texts = " ".join(e.text or "" for e in ET.parse(svg).getroot().iter())
    assert "Computation graph" in texts and "L = d*f" in texts and "data -9.479" in texts


# ----- in the window -------------------------------------------------------------------------------

def test_the_window_shows_the_graph_in_place_of_the_predictions_for_chain_rule(make_window, qtbot):
    w = make_window(scenario="chain-rule")
    assert w.graph_view.isVisible() and not w.prediction_view.isVisible()
    assert w.graph_view.box_texts()["L"] == ["L = d*f", "data -8", "grad 1"]
    w.step(1)
    wait_paused_at(qtbot, w, 1)
    qtbot.waitUntil(lambda: w.graph_view.box_texts()["a"][1] == "data 1.94", timeout=TIMEOUT)
    # The keys walk the backward pass; none of them is taken by another action.
    w.take_keyboard()
    qtbot.keyClick(w.view_area, Qt.Key.Key_B)
    assert w.graph_view.current_node() == "L"
    qtbot.keyClick(w.view_area, Qt.Key.Key_B)
    second = w.graph_view.current_node()
    assert second in ("d", "f")
    qtbot.keyClick(w.view_area, Qt.Key.Key_B, Qt.KeyboardModifier.ShiftModifier)
    assert w.graph_view.current_node() == "L"
    qtbot.keyClick(w.view_area, Qt.Key.Key_Escape)
    assert w.graph_view.current_node() is None
    assert w.last_snapshot.step == 1  # B never stepped the run


def test_no_two_window_actions_share_a_key(make_window):
    w = make_window(scenario="chain-rule")
    keys = [k.toString() for act in w.actions() for k in act.shortcuts()]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
    assert {"B", "Shift+B", "Esc"} <= set(keys)


def test_micrograd_window_follows_the_chosen_neuron_and_example(make_window, qtbot):
    w = make_window(scenario="micrograd")
    view = w.graph_view
    assert view.isVisible() and w.prediction_view.isVisible()
    assert view.graph["about"]["layer"] == 1 and view.graph["about"]["unit"] == 0
    w.step(2)
    wait_paused_at(qtbot, w, 2)
    view.neuron_box.setCurrentIndex(view.neuron_box.findData("0,3"))
    view.example_box.setCurrentIndex(2)
    with qtbot.waitSignal(w.snapshot_drawn, timeout=TIMEOUT,
                          check_params_cb=lambda s: s.graph["about"]["unit"] == 3):
        view.neuron_box.activated.emit(view.neuron_box.currentIndex())
    about = view.graph["about"]
    assert (about["layer"], about["unit"], about["example"]) == (0, 3, 2)
    t = trained("micrograd", 2)
    expected = neuron_graph(t.model, t.loss, t.data.x, t.data.y, 0, 3, 2)
    boxes = view.box_texts()
    for node in expected["nodes"]:
        assert boxes[node["name"]][1:3] == [f"data {node['value']:.4g}", f"grad {node['grad']:.4g}"]
    # The choice stays through Reset (a new run of the same model).
    w.reset()
    qtbot.waitUntil(lambda: w.last_snapshot is not None and w.last_snapshot.step == 0
                    and w.graph_view.graph["about"]["unit"] == 3, timeout=TIMEOUT)


def test_views_without_a_graph_hide_it_and_switching_back_shows_it(make_window, qtbot):
    w = make_window(scenario="fruit")
    assert not w.graph_view.isVisible() and w.prediction_view.isVisible()
    assert not any(a.isEnabled() for a in w.walk_actions)
    i = w.controls.scenario.findData("chain-rule")
    w.controls.scenario.setCurrentIndex(i)
    w.controls.scenario.activated.emit(i)
    qtbot.waitUntil(lambda: w.info.scenario == "chain-rule" and w.last_snapshot is not None, timeout=TIMEOUT)
    assert w.graph_view.isVisible() and not w.prediction_view.isVisible()
    assert all(a.isEnabled() for a in w.walk_actions)
    assert np.isclose(w.last_snapshot.current_loss, -8.0)


def test_a_box_too_narrow_for_its_text_shows_fewer_digits_then_an_ellipsis(graph_view, qtbot):
    """At 1024x768 beside the controls the neuron graph's boxes are narrower than "grad -1.303e-05"
    at the smallest font: centred, the line lost its first and last letters."""
    from PySide6.QtGui import QFont, QFontMetricsF

    t = trained("micrograd", 3)
    view = graph_view(t, neuron=(1, 0, 0))
    assert view.box_texts(painted=True) == view.box_texts()  # 900x500: everything fits
    whole = view.box_texts()
    view.resize(380, 260)
    qtbot.waitUntil(lambda: view.box_texts(painted=True) != whole, timeout=TIMEOUT)
    painted = view.box_texts(painted=True)
    assert view.box_texts() == whole  # what the boxes say is unchanged; the tooltip says it whole
    changed = [(w, p) for name in whole for w, p in zip(whole[name], painted[name]) if w != p]
    assert changed
    for w, p in changed:  # the same number to fewer digits ("grad -1.3e-5"), or cut short with an ellipsis
        if not p.endswith("…"):
            assert p.split()[0] == w.split()[0] and math.isclose(float(p.split()[-1]), float(w.split()[-1]),
                                                                 rel_tol=0.05)
    bold = QFont(view.item._font)
    bold.setBold(True)
    for rect, _fill, _pen, _lines, shown in view.item._boxes:
        for text, _colour, is_bold in shown:
            assert QFontMetricsF(bold if is_bold else view.item._font).horizontalAdvance(text) <= rect.width() - 4 + 0.5
