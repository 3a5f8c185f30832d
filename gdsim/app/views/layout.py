"""How the three views sit together: the window and a figure for --plot-out use the same layout."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter

# The loss and the predictions share the top (the loss a little wider), the gradients the bottom.
TOP_SIZES = (600, 480)
ROWS = (430, 430)


def arranged(loss, predictions, gradients) -> QSplitter:
    """A vertical splitter: the loss and predictions views side by side above the gradients view."""
    top = QSplitter(Qt.Orientation.Horizontal)
    top.addWidget(loss)
    top.addWidget(predictions)
    top.setSizes(list(TOP_SIZES))
    views = QSplitter(Qt.Orientation.Vertical)
    views.addWidget(top)
    views.addWidget(gradients)
    views.setSizes(list(ROWS))
    return views
