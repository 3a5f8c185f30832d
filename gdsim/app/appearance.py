"""Switching high contrast on and off in a running window (View > High contrast, remembered).

The palette, the focus ring and the plots' backgrounds and axes change at once; the views then
build their plots again in the new colours and widths from the whole run, which the model thread
sends once more (``TrainingWorker.show_again``, as when a branch is shown).
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QApplication, QWidget

from . import prefs, theme


def set_high_contrast(window, on: bool) -> None:
    prefs.set_value(theme.HIGH_CONTRAST_KEY, on)
    theme.apply_theme(QApplication.instance(), "high-contrast" if on else theme.BASE_THEME)
    # A widget's own style sheet resolves palette(...) when it is set: set again, it takes the
    # new palette (the lesson's text is in palette(placeholder-text): pale grey on white, else).
    polish_style_sheets(window)
    restyle_plots(window.views)
    if window.info is not None:
        window.controller.call("show_again")


def polish_style_sheets(window) -> None:
    """Every widget of ``window`` with a style sheet of its own polished again: a style sheet keeps
    the palette and the font it was first polished with (a theme or a zoom changes both)."""
    for widget in window.findChildren(QWidget):
        if widget.styleSheet():
            widget.setStyleSheet(widget.styleSheet())


def restyle_plots(views) -> None:
    """Backgrounds, axes and tick labels of the views' canvases in the colours now configured."""
    background = pg.getConfigOption("background")
    for view in views:
        view.canvas.setBackground(background)
        for item in view.canvas.scene().items():
            if isinstance(item, pg.AxisItem):
                item.setPen()
                item.setTextPen()
