"""The app's three views of a finished run, drawn into a PNG or SVG without a window.

For ``gdsim run --plot-out``: handouts and CI artefacts show exactly what the
window would show at the end of the run.
"""

from __future__ import annotations

import os
from pathlib import Path

FIGURE_SIZE = (1400, 860)


def render_figure(path, scenario, trainer) -> None:
    if "QT_QPA_PLATFORM" not in os.environ:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # never a window, display or not
    from PySide6.QtCore import Qt, qInstallMessageHandler
    from PySide6.QtWidgets import QApplication, QSplitter

    from ..core.files import atomic_writer
    from ..core.snapshot import SnapshotTaker, run_info
    from . import theme
    from .views.gradient_view import GradientView
    from .views.loss_view import LossView
    from .views.prediction_view import PredictionView

    path = Path(path)
    qInstallMessageHandler(_quiet)
    app = QApplication.instance() or QApplication(["gdsim"])
    app.setStyle("Fusion")
    app.setPalette(app.style().standardPalette())  # a handout is printed on white
    theme.configure_plots()

    info = run_info(1, scenario, trainer, trainer.settings)
    snapshot = SnapshotTaker(1, info).take(trainer)
    top = QSplitter(Qt.Orientation.Horizontal)
    figure = QSplitter(Qt.Orientation.Vertical)
    loss, predictions, gradients = LossView(), PredictionView(), GradientView()
    top.addWidget(loss)
    top.addWidget(predictions)
    figure.addWidget(top)
    figure.addWidget(gradients)
    figure.resize(*FIGURE_SIZE)
    top.setSizes([760, 640])
    figure.setSizes([430, 430])
    for view in (loss, predictions, gradients):
        view.begin_run(info)
        view.show_snapshot(snapshot)
    loss.log_box.hide()  # controls mean nothing on paper
    gradients.track_box.hide()
    figure.show()  # offscreen: lays everything out, shows nothing
    app.processEvents()

    # Drawn into memory, then written by Python, which reports a full disk (Qt's writers do not);
    # the written file is checked before it replaces anything (gdsim.core.files).
    title = f"gdsim: {scenario.name} after {trainer.step_count} steps"
    data = _encode(figure, path.suffix.lower() == ".svg", title)
    figure.close()
    with atomic_writer(path, "wb") as fh:
        fh.write(data)


def _encode(figure, svg: bool, title: str) -> bytes:
    from PySide6.QtCore import QBuffer, QIODevice, QRect, QSize
    from PySide6.QtSvg import QSvgGenerator

    from ..core.errors import GdsimError

    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if svg:
        generator = QSvgGenerator()
        generator.setOutputDevice(buffer)
        generator.setSize(QSize(*FIGURE_SIZE))
        generator.setViewBox(QRect(0, 0, *FIGURE_SIZE))
        generator.setTitle(title)
        figure.render(generator)  # ends its painter: the SVG is complete
    elif not figure.grab().save(buffer, "PNG"):
        raise GdsimError("cannot draw the figure as a PNG image")
    return bytes(buffer.data())


def _quiet(mode, context, message) -> None:
    # The offscreen platform says it cannot resize windows it never shows; nothing else is expected.
    if "propagateSizeHints" not in message:
        import sys

        print(message, file=sys.stderr)
