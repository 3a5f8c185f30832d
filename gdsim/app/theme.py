"""Colours that read well on a light and on a dark desktop theme.

Plot background and text follow the application palette, so the plots sit in
the window like the rest of it; series colours are mid-tone (Tableau 10),
visible on white and on near-black alike.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

SERIES = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
TRAIN = SERIES[0]
VALIDATION = SERIES[1]
METRIC = SERIES[2]
PREDICTION = SERIES[3]
REFERENCE = "#9a9a9a"  # guides (y = x, thresholds): quiet, and visible on either theme
BAD = "#d62728"  # what went wrong: a refused value, an error, divergence
ANTIALIAS = True
DIVERGING_MAP = "CET-D1A"  # blue - white - red: sign at a glance, zero neutral


# Runs compared side by side: Okabe and Ito's colours for colour-blind readers (their yellow, too
# pale on white, and black, lost on a dark theme, left out), each also with its own line style, so
# that two runs stay apart in print, in grey and for any colour vision.
COMPARED = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C8C8C"]
COMPARED_STYLES = ["solid", "dash", "dot", "dashdot"]


# Runs pinned in the window, drawn dashed beside the live run's series (Tableau blue and orange
# above): Okabe and Ito's colours furthest from those, each with a dash of its own.
PINNED = ["#CC79A7", "#009E73", "#56B4E9", "#E69F00", "#D55E00"]
PINNED_STYLES = ["dash", "dot", "dashdot", "dash", "dot"]
_STYLES = {"solid": pg.QtCore.Qt.PenStyle.SolidLine, "dash": pg.QtCore.Qt.PenStyle.DashLine,
           "dot": pg.QtCore.Qt.PenStyle.DotLine, "dashdot": pg.QtCore.Qt.PenStyle.DashDotLine}


def compared_pen(i: int, width: float = 2.0):
    style = COMPARED_STYLES[i % len(COMPARED_STYLES)]
    return pg.mkPen(COMPARED[i % len(COMPARED)], width=width, style=_STYLES[style])


def pinned_colour(i: int) -> str:
    return PINNED[i % len(PINNED)]


def pinned_pen(i: int, width: float = 1.5):
    return pg.mkPen(pinned_colour(i), width=width, style=_STYLES[PINNED_STYLES[i % len(PINNED_STYLES)]])


def series(i: int) -> str:
    return SERIES[i % len(SERIES)]


def configure_plots() -> None:
    """Call once, after the QApplication exists and before any plot is made."""
    pal = QApplication.palette()
    pg.setConfigOptions(
        antialias=ANTIALIAS,
        imageAxisOrder="row-major",
        background=pal.color(QPalette.ColorRole.Base),
        foreground=pal.color(QPalette.ColorRole.Text),
    )


def reference_pen():
    """Guides (y = x, thresholds): quiet, dashed, and visible on either theme."""
    colour = QColor(REFERENCE)
    return pg.mkPen(colour, width=1, style=pg.QtCore.Qt.PenStyle.DashLine)


def apply_dark_palette(app: QApplication) -> None:
    """A dark Fusion palette (``gdsim app --dark``, and the dark-theme screenshot)."""
    app.setStyle("Fusion")
    p = QPalette()
    window, base, text = QColor(45, 45, 48), QColor(30, 30, 32), QColor(230, 230, 230)
    p.setColor(QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, window)
    p.setColor(QPalette.ColorRole.ToolTipBase, QColor(60, 60, 64))
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, window)
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.Highlight, QColor(42, 130, 218))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor(255, 255, 255))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor(150, 150, 150))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(120, 120, 120))
    app.setPalette(p)
