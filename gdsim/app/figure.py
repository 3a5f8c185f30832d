"""The app's views of a finished run, drawn into a PNG or SVG without a window.

For ``gdsim run --plot-out``: handouts and CI artefacts show exactly what the
window would show at the end of the run.
"""

from __future__ import annotations

import os
from pathlib import Path

FIGURE_SIZE = (1400, 860)


LANDSCAPE_WIDTH = 620  # beside the views, for --landscape


def render_figure(path, scenario, trainer, landscape=None, caption: bool = True, scale: float = 1) -> None:
    """The window's views of ``trainer``'s run; with ``landscape`` (a core.surface.Request) its
    loss landscape beside them; a caption line above them unless ``caption`` is False; a PNG
    drawn ``scale`` times as large."""
    app = _offscreen_app()
    from ..core.snapshot import SnapshotTaker, run_info
    from . import theme
    from .views.gradient_view import GradientView
    from .views.graph_view import GraphView
    from .views.layout import arranged, fit_to_run
    from .views.loss_view import LossView
    from .views.prediction_view import PredictionView

    path = Path(path)
    theme.configure_plots()

    info = run_info(1, scenario, trainer, trainer.settings)
    snapshot = SnapshotTaker(1, info).take(trainer)
    loss, predictions, gradients, graph = LossView(), PredictionView(), GradientView(), GraphView()
    views = (loss, predictions, gradients, graph)
    figure = arranged(loss, predictions, gradients, graph)  # as the window lays them out
    figure.resize(*FIGURE_SIZE)
    for view in views:
        view.begin_run(info)
        view.show_snapshot(snapshot)
    fit_to_run(figure, info, predictions, graph)
    if landscape is not None:
        figure, views = _with_landscape(figure, views, info, snapshot, trainer, landscape, [])
    figure.show()  # offscreen: lays everything out, shows nothing
    app.processEvents()

    # The window's own export: the views painted under a caption saying which run this is.
    from .export import caption_text, export_figure, placed

    export_figure(path, placed(views, figure),
                  caption_text(info, trainer.settings, trainer.step_count) if caption else "", scale=scale)
    figure.close()


COMPARISON_SIZE = (1400, 480)


def _with_landscape(figure, views, info, snapshot, trainer, request, others):
    """``figure`` with a LandscapeView of ``trainer``'s run beside it (and the paths of ``others``:
    (name, trainer) of runs with the same weights): (the new figure, its views)."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QSplitter

    from ..core.surface import compute
    from . import theme
    from .views.landscape_view import LandscapeView

    view = LandscapeView()
    if others:  # colours and names as the comparison's
        view.run_name = "base (the grid's weights)"
        view.other_pen = lambda k: theme.compared_pen(k + 1, width=2.5)
        view.others_entry = (theme.COMPARED[1], "╌", "the other runs (named beside)")
    view.begin_run(info)
    view.show_snapshot(snapshot)
    paths = [(k, name, other, [], other.step_count) for k, (name, other) in enumerate(others)]
    view.show_computed(compute(trainer, [], request, info.run_id, others=paths))
    view.hide_choices()
    both = QSplitter(Qt.Orientation.Horizontal)
    width, height = figure.width(), figure.height()
    both.addWidget(figure)
    both.addWidget(view)
    both.resize(width + LANDSCAPE_WIDTH, height)
    both.setSizes([width, LANDSCAPE_WIDTH])
    return both, (*views, view)


def render_comparison(path, scenario, runs, landscape=None) -> None:
    """``gdsim run ... --vs``: the runs ((name, trainer), the base first) overlaid in one figure;
    with ``landscape`` (a core.surface.Request) every run's path on the base run's landscape."""
    app = _offscreen_app()
    from ..core.snapshot import run_info
    from ..core.record.curves import run_curves
    from . import theme
    from .export import export_figure, placed
    from .views.compare_view import CompareView

    theme.configure_plots()
    base = runs[0][1]
    info = run_info(1, scenario, base, base.settings)
    weight = info.tracked
    curves = [run_curves(name, trainer, weight, info.labels[weight] if trainer.params.size == info.n_weights else "")
              for name, trainer in runs]
    view = CompareView()
    view.resize(*COMPARISON_SIZE)
    view.show_runs(curves)
    figure, views = view, [view]
    if landscape is not None:
        from ..core.snapshot import SnapshotTaker

        others = [(name, t) for name, t in runs[1:] if t.params.size == base.params.size]
        figure, views = _with_landscape(view, views, info, SnapshotTaker(1, info).take(base), base, landscape, others)
    figure.show()  # offscreen: lays everything out, shows nothing
    app.processEvents()
    s = base.settings
    caption = (f"gdsim: {info.scenario} ({info.title})  |  {info.model_text}  |  {info.loss_text}  |  base: "
               f"{s.optimizer} lr {s.lr:g}, zeroing {'on' if s.zero_grad else 'OFF'}  |  "
               f"runs: {', '.join(name for name, _ in runs)}  |  steps {max(t.step_count for _, t in runs):,}")
    export_figure(path, placed(views, figure), caption, scale=1)
    figure.close()


STABILITY_SIZE = (900, 620)


def render_stability(path, found, bound) -> None:
    """``gdsim stability --plot-out``: the map the window's dialog draws (core.stability)."""
    app = _offscreen_app()
    from . import theme
    from .export import export_figure, placed
    from .stability_dialog import draw_stability
    from .views.base import PlotView

    theme.configure_plots()
    view = PlotView()
    view.title_label.setText(f"<b>Stability map</b>: {found.settings.scenario}, SGD with momentum, {found.steps} "
                             f"steps a cell from the initial weights")
    draw_stability(view.add_plot(0, 0), found, bound)
    view.resize(*STABILITY_SIZE)
    view.show()  # offscreen: lays everything out, shows nothing
    app.processEvents()
    export_figure(path, placed([view], view), f"gdsim stability {found.settings.scenario}", scale=1)
    view.close()


LR_FIND_SIZE = (960, 600)


def render_lr_find(path, test, caption: str) -> None:
    """``gdsim lr-find --plot-out``: a range test's loss against the learning rate (log axes), its
    smoothed curve, fastai's valley shaded and the suggestion marked (``test``: core.lr_find.RangeTest)."""
    app = _offscreen_app()
    from . import theme
    from .export import export_figure, placed
    from .views.range_test_view import RangeTestView

    theme.configure_plots()
    view = RangeTestView()
    view.show_test(test)
    view.resize(*LR_FIND_SIZE)
    view.show()  # offscreen: lays everything out, shows nothing
    app.processEvents()
    # pyqtgraph sizes an axis to its tick labels while painting them: paint once, lay out again,
    # or "0.0001" on the loss axis runs into the axis's name.
    view.grab()
    app.processEvents()
    export_figure(path, placed([view], view), caption, scale=1)
    view.close()


def _offscreen_app():
    if "QT_QPA_PLATFORM" not in os.environ:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # never a window, display or not
    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    qInstallMessageHandler(_quiet)
    app = QApplication.instance() or QApplication(["gdsim"])
    app.setStyle("Fusion")
    app.setPalette(app.style().standardPalette())  # a handout is printed on white
    return app


def _quiet(mode, context, message) -> None:
    # The offscreen platform says it cannot resize windows it never shows; nothing else is expected.
    if "propagateSizeHints" not in message:
        import sys

        print(message, file=sys.stderr)
