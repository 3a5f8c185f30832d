"""Colours and line styles, in one place: a light, a dark and a high-contrast theme.

Every series and overlay takes its colour from Okabe and Ito's palette ("Color Universal Design",
2008). Okabe-Ito, rather than Paul Tol's sets, because the compared and pinned runs already used
it (one palette across the app and its figures), because its eight colours were chosen to stay
apart for protanopes, deuteranopes and tritanopes alike, and because it has both deep members
(blue, vermillion, bluish green, reddish purple: 3:1 or more on white) and light ones (sky blue,
orange, yellow: 3:1 or more on a dark plot), so each theme can take the members that reach
WCAG's 3:1 for graphical objects on its own background (``tests/app/test_contrast.py``).

Colour is never the only cue: each pair that means something also differs in line style or
marker (train solid / validation dashed with squares, data dots / prediction diamonds, the live
run solid / pinned runs dashed, positive gradient bars filled / negative hatched).

Plot background and text follow the application palette (the system theme, ``--theme light``,
``--theme dark``); ``--theme high-contrast`` or View > High contrast (remembered) gives a black
background, white text, lines twice as thick and the palette's strongest colours.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from .contrast import relative_luminance

# Okabe and Ito's colours, by name.
OI_BLACK, OI_ORANGE, OI_SKY_BLUE, OI_GREEN = "#000000", "#E69F00", "#56B4E9", "#009E73"
OI_YELLOW, OI_BLUE, OI_VERMILLION, OI_PURPLE = "#F0E442", "#0072B2", "#D55E00", "#CC79A7"
WHITE = "#FFFFFF"


@dataclass(frozen=True)
class Palette:
    """What one theme draws with. ``background`` and ``text`` are the plots' (the tests check
    every colour against them); ``window`` is the window's own background (the focus ring's)."""

    name: str
    background: str
    text: str
    window: str
    train: str  # the training loss, the data, training points: solid lines, dots
    validation: str  # validation loss and metric (dashed, squares), validation points (squares)
    metric: str  # the training metric; in the confusion view the right answers
    prediction: str  # the model's predictions (diamonds), gradients, wrong answers
    reference: str  # guides (y = x, thresholds, the step cursor): dashed, and its label is text
    bad: str  # what went wrong: a refused value, an error, divergence (also as text)
    focus: str  # the keyboard focus ring
    series: tuple  # one colour per tensor (gradient norms and bars)
    pinned: tuple  # pinned runs, each also with its own dash (PINNED_STYLES)
    compared: tuple  # runs compared side by side (--vs, the race), each with its own dash
    line_scale: float = 1.0  # line widths are multiplied by it
    share: tuple = field(default=("#9ecae1", "#08519c"))  # the confusion matrix's tint: light, strong
    emphasis: str = "#A84800"  # text that stands out (the graph's gradients): the prediction's hue, 4.5:1


LIGHT = Palette(
    "light", background=WHITE, text="#000000", window="#EFEFEF",
    train=OI_BLUE, validation=OI_VERMILLION, metric=OI_GREEN, prediction=OI_VERMILLION,
    reference="#767676", bad="#B00020", focus=OI_BLUE,
    series=(OI_BLUE, OI_VERMILLION, OI_GREEN, OI_PURPLE, OI_BLACK),
    # Furthest first from the live run's blue and vermillion; the fourth and fifth pins share
    # those hues (only four Okabe-Ito colours reach 3:1 on white), told apart by their dashes.
    pinned=(OI_PURPLE, OI_GREEN, OI_BLACK, OI_VERMILLION, OI_BLUE),
    compared=(OI_BLUE, OI_VERMILLION, OI_GREEN, OI_PURPLE, OI_BLACK),
    share=("#9ecae1", "#08519c"), emphasis="#A84800",  # vermillion darkened to read as text
)

DARK = Palette(
    "dark", background="#1E1E20", text="#E6E6E6", window="#2D2D30",
    train=OI_SKY_BLUE, validation=OI_ORANGE, metric=OI_GREEN, prediction=OI_ORANGE,
    reference="#9A9A9A", bad="#FF7B72", focus=OI_SKY_BLUE,
    series=(OI_SKY_BLUE, OI_ORANGE, OI_GREEN, OI_PURPLE, OI_YELLOW, OI_VERMILLION),
    pinned=(OI_PURPLE, OI_GREEN, OI_YELLOW, OI_VERMILLION, OI_BLUE),
    compared=(OI_SKY_BLUE, OI_ORANGE, OI_GREEN, OI_PURPLE, OI_YELLOW, OI_VERMILLION),
    share=("#2b5d85", "#6baed6"), emphasis=OI_ORANGE,
)

# Black and white, and of Okabe-Ito the members brightest on black.
HIGH_CONTRAST = Palette(
    "high-contrast", background="#000000", text=WHITE, window="#000000",
    train=OI_SKY_BLUE, validation=OI_YELLOW, metric=OI_GREEN, prediction=OI_YELLOW,
    reference="#C8C8C8", bad="#FF8A80", focus=OI_YELLOW,
    series=(OI_SKY_BLUE, OI_YELLOW, OI_GREEN, OI_PURPLE, OI_ORANGE, WHITE),
    pinned=(OI_PURPLE, OI_GREEN, WHITE, OI_VERMILLION, OI_ORANGE),
    compared=(OI_SKY_BLUE, OI_YELLOW, OI_GREEN, OI_PURPLE, OI_ORANGE, WHITE),
    line_scale=2.0,
    share=("#1f4e79", "#9ecae1"), emphasis=OI_YELLOW,
)

PALETTES = {p.name: p for p in (LIGHT, DARK, HIGH_CONTRAST)}
THEMES = ("system", "light", "dark", "high-contrast")  # gdsim app --theme
BASE_THEME = "system"  # the theme View > High contrast goes back to (gdsim app --theme, else the desktop's)
HIGH_CONTRAST_KEY = "view/high_contrast"  # prefs: View > High contrast, remembered

# Colours that mean the same in every theme, for what brings its own background.
BANNERS = {  # (background, text, border): the banner above the views; each text reaches 4.5:1 on its box
    "error": ("#FBE3E4", "#7A1419", "#B00020"),
    "warning": ("#FFF4D6", "#5C4200", "#E0A800"),
    "info": ("#E3F0FB", "#123D66", OI_BLUE),
}
# The landscape's run: white on a black edge, readable on any colour of the viridis map.
PATH, PATH_EDGE = WHITE, "#000000"
READOUT_TEXT, READOUT_FILL = "#000000", (255, 255, 255, 215)  # the landscape's hover readout
EXPORT_BACKGROUND = WHITE  # an exported figure's page
VALLEY = (0, 158, 115)  # the learning-rate finder's valley band (Okabe-Ito bluish green, translucent)
# The stability map: one Okabe-Ito colour per regime (core.stability.REGIMES' order), and the bound.
REGIMES = ("#009E73", "#56B4E9", "#E69F00", "#D55E00")
STABILITY_BOUND = "#000000"  # drawn over the coloured cells, dashed
ANTIALIAS = True
# The gradient images: CET-D1A, blue - white - red (Kovesi's colorcet). Sign at a glance, zero
# neutral; the two ends stay apart for every colour vision (blue against dark brown for protanopes
# and deuteranopes, teal against red for tritanopes: tested), and they differ from white in
# lightness, so the magnitude reads in grey too.
DIVERGING_MAP = "CET-D1A"

COMPARED_STYLES = ["solid", "dash", "dot", "dashdot"]
PINNED_STYLES = ["dash", "dot", "dashdot", "dash", "dot"]
TRAIN_STYLE, VALIDATION_STYLE = "solid", "dash"
TRAIN_SYMBOL, VALIDATION_SYMBOL = "o", "s"  # dots and squares (their points, and their legends)
DATA_SYMBOL, PREDICTION_SYMBOL = "o", "d"  # data dots, predictions diamonds
SERIES_STYLES = ["solid", "dash", "dot", "dashdot"]  # one tensor's gradient norm from the next
OUTPUT_SYMBOLS = ["o", "s", "t", "d", "+"]  # one output's points from the next (fruit's mass and ripeness)
# What a legend (base.legend_title) shows for each line style and marker.
GLYPHS = {"solid": "━", "dash": "╌", "dot": "┈", "dashdot": "╍",
          "o": "●", "s": "■", "t": "▼", "d": "◆", "+": "✚"}
_STYLES = {"solid": pg.QtCore.Qt.PenStyle.SolidLine, "dash": pg.QtCore.Qt.PenStyle.DashLine,
           "dot": pg.QtCore.Qt.PenStyle.DotLine, "dashdot": pg.QtCore.Qt.PenStyle.DashDotLine}

# The palette in force; ``use`` sets it and the names below (read them as ``theme.TRAIN``).
ACTIVE: Palette = LIGHT
TRAIN = VALIDATION = METRIC = PREDICTION = REFERENCE = BAD = FOCUS = LIGHT.train
SERIES: tuple = ()
PINNED: tuple = ()
COMPARED: tuple = ()
LINE_SCALE = 1.0


def use(palette: Palette) -> None:
    """Draw with ``palette`` from now on (views take it when they next build their plots)."""
    global ACTIVE, TRAIN, VALIDATION, METRIC, PREDICTION, REFERENCE, BAD, FOCUS, SERIES, PINNED, COMPARED
    global LINE_SCALE
    ACTIVE = palette
    TRAIN, VALIDATION, METRIC, PREDICTION = palette.train, palette.validation, palette.metric, palette.prediction
    REFERENCE, BAD, FOCUS = palette.reference, palette.bad, palette.focus
    SERIES, PINNED, COMPARED = palette.series, palette.pinned, palette.compared
    LINE_SCALE = palette.line_scale


use(LIGHT)


def high_contrast() -> bool:
    return ACTIVE is HIGH_CONTRAST


def pen(colour, width: float = 1.0, style: str = "solid"):
    """A series' pen: its width grows with the theme (high contrast: twice)."""
    return pg.mkPen(colour, width=width * LINE_SCALE, style=_STYLES[style])


def train_pen(width: float = 1.0):
    return pen(TRAIN, width, TRAIN_STYLE)


def validation_pen(width: float = 1.0):
    return pen(VALIDATION, width, VALIDATION_STYLE)


def compared_pen(i: int, width: float = 2.0):
    style = COMPARED_STYLES[i % len(COMPARED_STYLES)]
    return pen(COMPARED[i % len(COMPARED)], width, style)


def pinned_colour(i: int) -> str:
    return PINNED[i % len(PINNED)]


def pinned_pen(i: int, width: float = 1.5):
    return pen(pinned_colour(i), width, PINNED_STYLES[i % len(PINNED_STYLES)])


def series(i: int) -> str:
    return SERIES[i % len(SERIES)]


def configure_plots() -> None:
    """Call once, after the QApplication exists and before any plot is made: the plots take the
    application palette's background and text, and the series the theme that reads on it."""
    pal = QApplication.palette()
    base = pal.color(QPalette.ColorRole.Base)
    if not high_contrast():
        use(DARK if relative_luminance(base.name()) < 0.18 else LIGHT)
    pg.setConfigOptions(
        antialias=ANTIALIAS,
        imageAxisOrder="row-major",
        background=base,
        foreground=pal.color(QPalette.ColorRole.Text),
    )


def reference_pen():
    """Guides (y = x, thresholds): quiet, dashed, and visible on either theme."""
    return pen(REFERENCE, 1, "dash")


def apply_dark_palette(app: QApplication) -> None:
    """A dark Fusion palette (``gdsim app --theme dark``, and the dark-theme screenshot)."""
    app.setStyle("Fusion")
    window, base, text = QColor(DARK.window), QColor(DARK.background), QColor(DARK.text)
    app.setPalette(_palette(window, base, text, QColor(60, 60, 64), QColor(42, 130, 218), QColor(150, 150, 150),
                            QColor(120, 120, 120)))


def apply_high_contrast_palette(app: QApplication) -> None:
    """Black backgrounds, white text and frames, a yellow selection with black text."""
    app.setStyle("Fusion")
    black, white = QColor("#000000"), QColor(WHITE)
    p = _palette(black, black, white, black, QColor(OI_YELLOW), QColor("#C8C8C8"), QColor("#A0A0A0"))
    p.setColor(QPalette.ColorRole.HighlightedText, black)
    # Fusion draws frames and button edges from these: white, not grey on black.
    for role in (QPalette.ColorRole.Light, QPalette.ColorRole.Midlight, QPalette.ColorRole.Mid,
                 QPalette.ColorRole.Dark, QPalette.ColorRole.Shadow):
        p.setColor(role, white)
    p.setColor(QPalette.ColorRole.Link, QColor(OI_SKY_BLUE))
    app.setPalette(p)


def _palette(window, base, text, tooltip, highlight, placeholder, disabled) -> QPalette:
    p = QPalette()
    p.setColor(QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, window)
    p.setColor(QPalette.ColorRole.ToolTipBase, tooltip)
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, window)
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.Highlight, highlight)
    p.setColor(QPalette.ColorRole.HighlightedText, QColor(255, 255, 255))
    p.setColor(QPalette.ColorRole.PlaceholderText, placeholder)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return p


# Fusion draws frames, slider handles and check boxes in the window colour darkened, which on
# black is black: in high contrast they get white edges, a white handle, a yellow tick.
HIGH_CONTRAST_STYLE = """
QLineEdit, QComboBox, QSpinBox, QPushButton, QToolButton { border: 1px solid #FFFFFF; border-radius: 2px;
    padding: 2px 4px; }
QPushButton:pressed, QToolButton:pressed, QToolButton:checked { background: #404040; }
QPushButton:disabled, QToolButton:disabled, QComboBox:disabled, QLineEdit:disabled, QSpinBox:disabled {
    border-color: #A0A0A0; }
QCheckBox::indicator { width: 13px; height: 13px; border: 1px solid #FFFFFF; background: #000000; }
QCheckBox::indicator:checked { background: #F0E442; border: 3px solid #000000; outline: 1px solid #FFFFFF; }
QComboBox::drop-down, QSpinBox::up-button, QSpinBox::down-button { background: #000000;
    border-left: 1px solid #FFFFFF; width: 16px; }
QComboBox::down-arrow { width: 0; height: 0; border-left: 5px solid #000000; border-right: 5px solid #000000;
    border-top: 6px solid #FFFFFF; }
QSpinBox::up-arrow { width: 0; height: 0; border-left: 4px solid #000000; border-right: 4px solid #000000;
    border-bottom: 5px solid #FFFFFF; }
QSpinBox::down-arrow { width: 0; height: 0; border-left: 4px solid #000000; border-right: 4px solid #000000;
    border-top: 5px solid #FFFFFF; }
QSlider::groove:horizontal { height: 4px; background: #C8C8C8; }
QSlider::sub-page:horizontal { background: #F0E442; }
QSlider::handle:horizontal { background: #FFFFFF; border: 1px solid #000000; width: 12px; margin: -7px 0; }
QGroupBox { border: 1px solid #FFFFFF; margin-top: 1.2em; }
QGroupBox::title { subcontrol-origin: margin; left: 6px; }
QToolTip { color: #FFFFFF; background: #000000; border: 1px solid #FFFFFF; }
"""

_SYSTEM_PALETTE: list = []  # the palette the application started with, for leaving high contrast


def apply_theme(app: QApplication, name: str) -> Palette:
    """Give ``app`` the theme ``name`` (one of THEMES): its palette, its plots' colours, its focus ring."""
    if not _SYSTEM_PALETTE:
        _SYSTEM_PALETTE.append((app.style().name(), QPalette(app.palette())))
    app.setStyleSheet(HIGH_CONTRAST_STYLE if name == "high-contrast" else "")
    if name == "high-contrast":
        apply_high_contrast_palette(app)
        use(HIGH_CONTRAST)
    else:
        use(LIGHT)  # configure_plots picks light or dark from the palette below
        if name == "dark":
            apply_dark_palette(app)
        else:
            style, palette = _SYSTEM_PALETTE[0]
            app.setStyle("Fusion" if name == "light" else style)
            app.setPalette(palette if name == "system" else app.style().standardPalette())
    _keep_notes_readable(app)
    configure_plots()
    return ACTIVE


def _keep_notes_readable(app: QApplication) -> None:
    """Quieter text (a scenario's story, a lesson page's heading) is in the placeholder role, which
    Fusion's light palette makes half-transparent black: 3.9:1 on the window, short of text's 4.5:1.
    Where a palette's falls short, it moves from the window's colour towards the text's until it reaches it."""
    from .contrast import TEXT_CONTRAST, contrast_ratio

    p = app.palette()
    window, text = p.color(QPalette.ColorRole.Window), p.color(QPalette.ColorRole.WindowText)

    def mix(a: QColor, t: float) -> QColor:  # a drawn over the window at opacity t
        return QColor(*(round(t * x + (1 - t) * y) for x, y in zip(a.getRgb()[:3], window.getRgb()[:3])))

    drawn = p.color(QPalette.ColorRole.PlaceholderText)
    note = mix(drawn, drawn.alphaF())
    if contrast_ratio(note.name(), window.name()) >= TEXT_CONTRAST:
        return
    t = next((t / 20 for t in range(10, 21)
              if contrast_ratio(mix(text, t / 20).name(), window.name()) >= TEXT_CONTRAST), 1.0)
    p.setColor(QPalette.ColorRole.PlaceholderText, mix(text, t))
    app.setPalette(p)
