"""The themes' colours, checked: WCAG 2 contrast on each plot background, and the pairs that mean
something told apart by style and, for every colour vision, by colour."""

from __future__ import annotations

import pytest

from gdsim.app import contrast, theme
from gdsim.app.contrast import DEFICIENCIES, GRAPHIC_CONTRAST, TEXT_CONTRAST, contrast_ratio, delta_e, simulate

PALETTES = [theme.LIGHT, theme.DARK, theme.HIGH_CONTRAST]
ids = [p.name for p in PALETTES]

# How far apart (CIE76 Delta E) two colours that mean different things must stay, for normal vision
# and as simulated for each deficiency. About 2.3 is just noticeable for two large patches side by
# side; a curve is a 1-2 px line and a marker a few pixels, and small fields lose colour (small-field
# tritanopia), so we ask for roughly ten times that: 20, the difference between, say, a strong blue
# and a medium purple.
APART = 20.0


def test_contrast_ratio_is_wcag_2s():
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#FFFFFF", "#000000") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#777777") == pytest.approx(1.0)
    # WebAIM's figures: #767676 on white is the lightest grey passing AA text, #777777 just fails.
    assert contrast_ratio("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio("#777777", "#FFFFFF") < TEXT_CONTRAST
    assert contrast_ratio("#0072B2", "#FFFFFF") == pytest.approx(5.19, abs=0.01)
    assert contrast.relative_luminance("#FF0000") == pytest.approx(0.2126)
    assert contrast.rgb("#fff") == (1.0, 1.0, 1.0)


def test_simulation_keeps_greys_and_moves_the_confused_pairs_together():
    for deficiency in DEFICIENCIES:  # Machado's rows sum to 1: a grey stays the same grey
        assert delta_e(simulate("#808080", deficiency), contrast.rgb("#808080")) < 0.5
    # The old Tableau pairs: its red and green (Delta E 120) come within 7 for a deuteranope and 38
    # (lightness only) for a protanope, its blue and green (102) within 18 for a tritanope; and a
    # deficiency leaves the axis it does not touch alone.
    def seen(a, b, deficiency):
        return delta_e(simulate(a, deficiency), simulate(b, deficiency))

    assert delta_e("#D62728", "#2CA02C") > 100 and delta_e("#1F77B4", "#2CA02C") > 100
    assert seen("#D62728", "#2CA02C", "deuteranopia") < 10
    assert seen("#D62728", "#2CA02C", "protanopia") < 40
    assert seen("#1F77B4", "#2CA02C", "tritanopia") < APART
    assert seen("#D62728", "#2CA02C", "tritanopia") > 100 and seen("#1F77B4", "#2CA02C", "deuteranopia") > 80


def meaningful(p: theme.Palette) -> dict:
    named = {"train": p.train, "validation": p.validation, "metric": p.metric, "prediction": p.prediction,
             "reference": p.reference, "bad": p.bad, "focus": p.focus}
    named.update({f"series[{i}]": c for i, c in enumerate(p.series)})
    named.update({f"pinned[{i}]": c for i, c in enumerate(p.pinned)})
    named.update({f"compared[{i}]": c for i, c in enumerate(p.compared)})
    return named


@pytest.mark.parametrize("palette", PALETTES, ids=ids)
def test_every_colour_reaches_3_to_1_on_its_plot_background(palette):
    low = {name: round(contrast_ratio(c, palette.background), 2) for name, c in meaningful(palette).items()
           if contrast_ratio(c, palette.background) < GRAPHIC_CONTRAST}
    assert not low, f"below {GRAPHIC_CONTRAST}:1 on {palette.background}: {low}"


def test_the_dark_plot_background_is_the_dark_palettes_base():
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    before = QPalette(app.palette()), app.style().name()
    try:
        theme.apply_dark_palette(app)
        assert app.palette().color(QPalette.ColorRole.Base).name().upper() == theme.DARK.background.upper()
        assert app.palette().color(QPalette.ColorRole.Window).name().upper() == theme.DARK.window.upper()
    finally:
        app.setPalette(before[0])
        app.setStyle(before[1])


@pytest.mark.parametrize("palette", PALETTES, ids=ids)
def test_text_colours_reach_4_5_to_1(palette):
    assert contrast_ratio(palette.text, palette.background) >= TEXT_CONTRAST
    assert contrast_ratio(palette.reference, palette.background) >= TEXT_CONTRAST  # the step cursor's label
    assert contrast_ratio(palette.emphasis, palette.background) >= TEXT_CONTRAST  # the graph's gradients
    for behind in (palette.background, palette.window):  # errors: in the status bar and in dialogs
        assert contrast_ratio(palette.bad, behind) >= TEXT_CONTRAST


@pytest.mark.parametrize("name", theme.THEMES)
def test_quieter_text_reaches_4_5_to_1_on_the_window(name):
    """A scenario's story and a lesson page's heading are drawn in the placeholder role, which
    Fusion's light palette makes half-transparent black (3.9:1)."""
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    before = (QPalette(app.palette()), app.style().name(), theme.ACTIVE, app.styleSheet())
    try:
        theme.apply_theme(app, name)
        p = app.palette()
        note, window = p.color(QPalette.ColorRole.PlaceholderText), p.color(QPalette.ColorRole.Window)
        assert note.alpha() == 255 and contrast_ratio(note.name(), window.name()) >= TEXT_CONTRAST
    finally:
        app.setPalette(before[0])
        app.setStyle(before[1])
        app.setStyleSheet(before[3])
        theme.use(before[2])
        theme.configure_plots()


@pytest.mark.parametrize("palette", PALETTES, ids=ids)
def test_the_focus_ring_stands_out_from_the_window(palette):
    assert contrast_ratio(palette.focus, palette.window) >= GRAPHIC_CONTRAST
    assert contrast_ratio(palette.focus, palette.background) >= GRAPHIC_CONTRAST


def test_banner_texts_reach_4_5_to_1_on_their_boxes():
    for kind, (back, text, _edge) in theme.BANNERS.items():
        assert contrast_ratio(text, back) >= TEXT_CONTRAST, kind


def pairs(p: theme.Palette) -> dict:
    import pyqtgraph as pg

    ends = pg.colormap.get(theme.DIVERGING_MAP).getLookupTable(nPts=2)
    negative, positive = (tuple(int(v) for v in row[:3]) for row in ends)
    as_hex = "#{:02x}{:02x}{:02x}".format
    return {
        "train / validation": (p.train, p.validation),
        "data / prediction": (p.train, p.prediction),
        "right / wrong answers": (p.metric, p.prediction),
        "training metric / validation": (p.metric, p.validation),
        "the live run / the first pinned run": (p.train, p.pinned[0]),
        "negative / positive gradient (images)": (as_hex(*negative), as_hex(*positive)),
        "weight / bias (first two tensors)": (p.series[0], p.series[1]),
        "first two compared runs": (p.compared[0], p.compared[1]),
    }


@pytest.mark.parametrize("palette", PALETTES, ids=ids)
@pytest.mark.parametrize("vision", ["normal"] + list(DEFICIENCIES))
def test_paired_colours_stay_apart_for_every_colour_vision(palette, vision):
    close = {}
    for name, (a, b) in pairs(palette).items():
        if vision == "normal":
            d = delta_e(a, b)
        else:
            d = delta_e(simulate(a, vision), simulate(b, vision))
        if d < APART:
            close[name] = round(d, 1)
    assert not close, f"closer than Delta E {APART} for {vision}: {close}"


def test_paired_meanings_also_differ_in_style():
    # Training solid with dots, validation dashed with squares.
    assert theme.TRAIN_STYLE != theme.VALIDATION_STYLE and theme.TRAIN_SYMBOL != theme.VALIDATION_SYMBOL
    assert theme.DATA_SYMBOL != theme.PREDICTION_SYMBOL
    # The live run is solid; every pinned run is dashed or dotted; compared runs differ in dash.
    assert theme.TRAIN_STYLE == "solid" and "solid" not in theme.PINNED_STYLES
    assert len(set(theme.COMPARED_STYLES)) == len(theme.COMPARED_STYLES)
    # The first tensors (weight, bias) and the outputs (fruit's apples and oranges) differ in shape too.
    assert theme.SERIES_STYLES[0] != theme.SERIES_STYLES[1]
    assert len(set(theme.OUTPUT_SYMBOLS)) == len(theme.OUTPUT_SYMBOLS)
    # High contrast draws thicker.
    assert theme.HIGH_CONTRAST.line_scale >= 2 and theme.LIGHT.line_scale == theme.DARK.line_scale == 1


def test_no_colour_is_written_outside_the_theme():
    """Every colour has one place and a name: theme.py (contrast.py only computes)."""
    import re
    from pathlib import Path

    root = Path(theme.__file__).parent
    hexes = re.compile(r"#[0-9a-fA-F]{6}\b")
    named = re.compile(r"""mk(?:Pen|Brush)\(\s*["'](?:[rgbcmykw]|white|black|red|blue)["']""")
    found = []
    for path in root.rglob("*.py"):
        if path.name in ("theme.py", "contrast.py"):
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if hexes.search(line) or named.search(line):
                found.append(f"{path.relative_to(root)}:{n}: {line.strip()}")
    assert not found, "\n".join(found)
