"""What every view shares: a title row, a pyqtgraph canvas, export, an empty state."""

from __future__ import annotations

import math
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ...core.errors import GdsimError
from ...core.files import atomic_path
from ...core.snapshot import RunInfo, Snapshot


class ValueAxis(pg.AxisItem):
    """Plain numbers, and on a log axis spanning a decade or more, labels at powers of 10 only."""

    def __init__(self, orientation: str, **kwargs):
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)  # a learner reads 0.2, not 200 with "(x0.001)" in the label

    def logTickStrings(self, values, scale, spacing):
        # Called from inside paint(): an exception here would take the whole app down
        # (PySide cannot report errors raised in a paint override), so stay simple.
        strings = super().logTickStrings(values, scale, spacing)
        if spacing is not None and spacing >= 1:
            return strings  # powers of ten
        # pyqtgraph passes no spacing for the minor ticks (2, 3, ... 9 x 10^k): over two decades
        # or more leave them bare, over less label 2 and 5 only, so the labels never overlap.
        lo, hi = self.range
        decades = abs(hi - lo)
        keep = () if decades >= 2 else (2, 5)
        out = []
        for v, text in zip(values, strings):
            mantissa = round(10 ** (float(v) - math.floor(float(v))))
            out.append(text if mantissa in keep else "")
        return out


def value_axes() -> dict:
    return {"left": ValueAxis("left"), "bottom": ValueAxis("bottom")}


class PlotView(QWidget):
    """A titled canvas. Subclasses build plots in ``begin_run`` and fill them in ``show_snapshot``."""

    name = "view"  # used in export file names
    title = "View"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.info: RunInfo | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        self.header = QHBoxLayout()
        self.title_label = QLabel(f"<b>{self.title}</b>")
        self.title_label.setWordWrap(True)
        # A long title wraps instead of pushing the view (and the splitter) wider.
        self.title_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.header.addWidget(self.title_label, 1)
        layout.addLayout(self.header)
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setMinimumSize(220, 160)
        layout.addWidget(self.canvas, 1)

    # ----- for subclasses ---------------------------------------------------------------

    def begin_run(self, info: RunInfo) -> None:
        self.info = info

    def show_snapshot(self, snap: Snapshot) -> None:
        raise NotImplementedError

    def accepts(self, snap: Snapshot) -> bool:
        """Snapshots of an earlier run can still be queued when a new run starts."""
        return self.info is not None and snap.run_id == self.info.run_id

    def add_plot(self, row: int, col: int, *, title=None, x=None, y=None, rowspan=1, colspan=1) -> pg.PlotItem:
        plot = self.canvas.addPlot(row=row, col=col, rowspan=rowspan, colspan=colspan, title=title,
                                   axisItems=value_axes())
        if x:
            plot.setLabel("bottom", x)
        if y:
            plot.setLabel("left", y)
        style_plot(plot)
        return plot

    # ----- export ------------------------------------------------------------------------

    def export(self, path) -> None:
        """Write this view as PNG or SVG, chosen by the file's suffix."""
        from pyqtgraph.exporters import ImageExporter, SVGExporter

        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".png", ".svg"):
            raise GdsimError(f"cannot export to {path.name!r}: choose a .png or .svg file name")
        target = self.canvas.ci
        with atomic_path(path) as tmp:
            if suffix == ".png":
                exporter = ImageExporter(target)
                # Twice the size on screen, at least 1200 px wide: crisp in a handout.
                exporter.parameters()["width"] = max(1200, int(target.boundingRect().width() * 2))
                exporter.export(tmp)
            else:
                SVGExporter(target).export(tmp)


def style_plot(plot: pg.PlotItem) -> None:
    plot.showGrid(x=True, y=True, alpha=0.15)


def empty_text(plot: pg.PlotItem, text: str) -> pg.TextItem:
    """A hint in the middle of an empty plot; hide it once data arrives."""
    item = pg.TextItem(text, anchor=(0.5, 0.5), color=pg.getConfigOption("foreground"))
    item.setZValue(10)
    plot.addItem(item, ignoreBounds=True)

    def centre():
        (x0, x1), (y0, y1) = plot.vb.viewRange()
        item.setPos((x0 + x1) / 2, (y0 + y1) / 2)

    plot.vb.sigRangeChanged.connect(lambda *_: centre())
    centre()
    return item


def plain_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label
