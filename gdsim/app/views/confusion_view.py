"""Predictions of a multi-class run: the confusion matrix, live.

True class down, predicted class (the most probable) across, on the validation rows when the
run has any, else on the training rows; each cell says how many images (rows) it holds, and its
colour is that count's share of its true class, so a row reads as "where do the 4s go?".

Everything is made once per run (``MulticlassPredictions.__init__``) and each frame only
replaces data: one ``setImage`` for the colours, one repaint of the counts (``CellTexts``).
"""

from __future__ import annotations

import weakref

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox, QWidget

from .. import theme
from .base import picture_plot, relax_width, set_title


def confusion_counts(y, probabilities, k: int) -> np.ndarray:
    """(k, k) counts: row i, column j = rows of true class i whose most probable class is j."""
    y = np.asarray(y, dtype=np.intp).reshape(-1)
    predicted = predicted_classes(probabilities)
    return np.bincount(y * k + predicted, minlength=k * k).reshape(k, k)


def predicted_classes(probabilities) -> np.ndarray:
    """The most probable class of each row (NaN rows, from a diverged run, count as class 0)."""
    p = np.asarray(probabilities, dtype=np.float64)
    return np.argmax(np.where(np.isfinite(p), p, -np.inf), axis=1).astype(np.intp)


def share_colour_map() -> pg.ColorMap:
    """From the plot background (0) to a strong blue (1), quickly at first: a cell holding a
    few of its class's images is already visibly tinted, so small confusions stand out."""
    background = pg.mkColor(pg.getConfigOption("background"))
    dark = background.lightness() < 128
    light_blue, strong = (QColor(c) for c in (theme.DARK if dark and not theme.high_contrast() else theme.ACTIVE).share)
    return pg.ColorMap(pos=[0.0, 0.12, 1.0], color=[background, light_blue, strong])


class CellTexts(pg.GraphicsObject):
    """The k x k counts written in their cells, upright and at a readable pixel size whatever
    the zoom (one item painting k*k strings: far cheaper than k*k TextItems). The font follows
    the painter's transform, so an export at 2x writes them at twice the size."""

    def __init__(self, k: int):
        super().__init__()
        self.k = k
        self.texts: list[str] = [""] * (k * k)
        self.light: np.ndarray = np.zeros(k * k, dtype=bool)  # cells that want white text
        self.setZValue(5)

    def set_cells(self, texts: list[str], light: np.ndarray) -> None:
        self.texts = texts
        self.light = light
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        return QRectF(0, 0, self.k, self.k)

    def paint(self, painter, *_args) -> None:
        # No exception may leave a paint override: PySide cannot report it, and the app ends.
        try:
            self._paint(painter)
        except Exception:  # noqa: BLE001 (a missing number beats a crashed window)
            pass

    def _paint(self, painter) -> None:
        transform = self.deviceTransform_()  # screen pixels of the view, not the painter's
        if transform is None:
            return
        sx, sy = transform.m11(), transform.m22()  # screen pixels per cell (the view has no rotation)
        if not (abs(sx) > 0 and abs(sy) > 0):
            return
        cell = min(abs(sx), abs(sy))
        longest = max((len(t) for t in self.texts), default=1) or 1
        size = int(min(13.0, 0.5 * cell, 0.9 * cell / (0.62 * longest)))
        if size < 6:
            return  # too small to read: the colours alone
        painter.save()
        painter.scale(1.0 / sx, 1.0 / sy)  # one unit is a screen pixel now, upright
        font = QFont(painter.font())
        font.setPixelSize(size)
        painter.setFont(font)
        dark_text = pg.mkColor(pg.getConfigOption("foreground"))
        white = QColor(255, 255, 255)
        k = self.k
        for index, text in enumerate(self.texts):
            if not text:
                continue
            r, c = divmod(index, k)
            painter.setPen(white if self.light[index] else dark_text)
            painter.drawText(QRectF(c * sx, r * sy, sx, sy).normalized(), Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()


def class_ticks(plot: pg.PlotItem, side: str, ticks: list, most: int) -> None:
    """Name the classes along ``side``: at most ``most`` names, and no more than the axis has room
    for side by side (a CSV's six names ran into one another, "betadeltaepsgammazeta", and the
    first was dropped). Across, where fewer names than numbers fit, the classes' numbers (their
    order, the lesson's "0 alpha, 1 beta, ..."). Fitted again whenever the plot is resized."""
    axis = plot.getAxis(side)
    k = len(ticks)
    numbered = [(position, str(i)) for i, (position, _) in enumerate(ticks)]
    plot_ref = weakref.ref(plot)  # the view box's signal must not keep its plot alive

    def fit() -> None:
        plot = plot_ref()
        if plot is None:
            return
        metrics = QFontMetrics(axis.style.get("tickFont") or axis.font())
        across = side in ("bottom", "top")
        room = (plot.vb.width() if across else plot.vb.height()) / max(1, k)  # pixels per class

        def every(labels) -> int:
            need = (max(metrics.horizontalAdvance(text) for _, text in labels) + metrics.height() if across
                    else metrics.height())
            return max(int(np.ceil(k / most)), int(np.ceil(need / room)) if room > 0 else 1, 1)

        names = every(ticks)
        numbers = every(numbered) if across else names
        labels, step = (numbered, numbers) if numbers < names else (ticks, names)
        axis.setTicks([labels[::step], []])

    fit()
    plot.vb.sigResized.connect(fit)


class ConfusionMatrix:
    """The matrix in one plot: colours (ImageItem), counts (CellTexts), a colour bar, the chosen
    cell outlined."""

    def __init__(self, plot: pg.PlotItem, classes: tuple[str, ...]):
        self.plot = plot
        self.k = k = len(classes)
        plot.setLabel("left", "true class")
        plot.setLabel("bottom", "predicted class (the most probable)")
        ticks = list(zip(np.arange(k) + 0.5, classes))
        for side in ("left", "bottom"):
            class_ticks(plot, side, ticks, most=20)  # 100 classes: every 5th name at most
        plot.showGrid(x=False, y=False)
        plot.invertY(True)
        plot.setAspectLocked(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setXRange(0, k, padding=0.02)
        plot.setYRange(0, k, padding=0.02)
        self.cmap = share_colour_map()
        self.image = pg.ImageItem(np.zeros((k, k)), levels=(0, 1))
        self.image.setColorMap(self.cmap)
        self.image.setRect(QRectF(0, 0, k, k))
        plot.addItem(self.image)
        self.bar = pg.ColorBarItem(values=(0, 1), colorMap=self.cmap, interactive=False, width=10,
                                   label="share of the true class")
        self.bar.setImageItem(self.image, insert_in=plot)
        self.texts = CellTexts(k)
        plot.addItem(self.texts)
        self.outline = pg.PlotCurveItem(pen=theme.pen(theme.PREDICTION, 2.5))
        self.outline.setZValue(6)
        self.outline.setVisible(False)
        plot.addItem(self.outline)
        self.counts = np.zeros((k, k), dtype=np.int64)

    def show(self, counts: np.ndarray) -> None:
        self.counts = counts
        totals = counts.sum(axis=1, keepdims=True)
        share = counts / np.maximum(totals, 1)
        self.image.setImage(share, autoLevels=False, levels=(0, 1))
        rgba = self.cmap.map(share.ravel(), mode=pg.ColorMap.FLOAT)
        luminance = 0.299 * rgba[:, 0] + 0.587 * rgba[:, 1] + 0.114 * rgba[:, 2]
        light = luminance < 0.45
        self.texts.set_cells([str(int(c)) for c in counts.ravel()], light)

    def outline_cell(self, cell) -> None:
        if cell is None:
            self.outline.setVisible(False)
            return
        i, j = cell
        self.outline.setData([j, j + 1, j + 1, j, j], [i, i, i + 1, i + 1, i])
        self.outline.setVisible(True)

    def cell_at(self, scene_pos):
        """(true, predicted) of the cell under a scene position, or None."""
        if not self.plot.vb.sceneBoundingRect().contains(scene_pos):
            return None
        p = self.plot.vb.mapSceneToView(scene_pos)
        i, j = int(np.floor(p.y())), int(np.floor(p.x()))
        if 0 <= i < self.k and 0 <= j < self.k:
            return i, j
        return None


MOSAIC_MOST = 40  # images of a cell drawn at once (the title says how many there are)
MOSAIC_COLS = 10
LISTED_ROWS = 30  # rows of a cell named, for data without images


class MulticlassPredictions:
    """The prediction view's panel for a multi-class run, built into the view's canvas: the
    confusion matrix; for the chosen image its picture and its k probabilities; the images of
    the chosen cell (by default the biggest confusion) as a mosaic, to click one."""

    def __init__(self, view, info, controls):
        self.title = view.title_label  # not the view itself: no reference cycle through the widget
        self.info = info
        self.controls = controls
        self.k = k = len(info.classes)
        self.on_validation = info.y_val is not None
        self.y = np.asarray(info.y_val if self.on_validation else info.y, dtype=np.intp).reshape(-1)
        self.y_train = np.asarray(info.y, dtype=np.intp).reshape(-1)
        self.which = "validation" if self.on_validation else "training"
        self.images = None
        if info.image_shape is not None:
            x = info.x_val if self.on_validation else info.x
            self.images = np.asarray(x, dtype=np.float64).reshape(len(x), *info.image_shape)
        self.noun = "image" if self.images is not None else "row"
        self.counts = np.zeros((k, k), dtype=np.int64)
        self.accuracy = self.train_accuracy = float("nan")
        self.probabilities = None  # of the shown rows, (n, k), from the last snapshot drawn
        self.predicted = np.zeros(len(self.y), dtype=np.intp)
        self.cell_choice = None  # None: follow the biggest confusion
        self.cell = (0, 0)
        self.cell_rows = np.empty(0, dtype=np.intp)  # every row of the cell, in order
        self.mosaic_rows = np.empty(0, dtype=np.intp)  # the ones drawn
        self.chosen = 0  # the chosen row of the shown set
        self.chosen_by_person = False  # until then, the first image of the cell shown
        self._mosaic_key = None

        canvas = view.canvas
        self.matrix = ConfusionMatrix(view.plot, info.classes)
        right = canvas.addLayout(row=0, col=1)
        fg = pg.getConfigOption("foreground")
        self.grey = pg.ColorMap(pos=[0.0, 1.0], color=[pg.mkColor(pg.getConfigOption("background")),
                                                      pg.mkColor(fg)])  # ink in the text's colour
        if self.images is not None:
            self.image_plot = right.addPlot(row=0, col=0)
            self.chosen_image = pg.ImageItem(levels=(0, 1))
            self.chosen_image.setColorMap(self.grey)
            picture_plot(self.image_plot, self.chosen_image, fixed=True)
        self.bar_plot = right.addPlot(row=0, col=1 if self.images is not None else 0,
                                      axisItems=_value_axes())
        self.bar_plot.setLabel("left", "probability")
        self.bar_plot.setYRange(0, 1, padding=0.02)
        self.bar_plot.setXRange(-0.6, k - 0.4, padding=0)
        self.bar_plot.setMouseEnabled(x=False, y=False)
        self.bar_plot.setMenuEnabled(False)
        self.bar_plot.hideButtons()
        class_ticks(self.bar_plot, "bottom", list(enumerate(info.classes)), most=12)
        self.bars = pg.BarGraphItem(x=np.arange(k), height=np.zeros(k), width=0.75, brush=theme.TRAIN)
        self.bar_plot.addItem(self.bars)
        self.brushes = {name: pg.mkBrush(colour) for name, colour in
                        (("other", theme.TRAIN), ("true", theme.METRIC), ("wrong", theme.PREDICTION))}
        if self.images is not None:
            self.mosaic_plot = right.addPlot(row=1, col=0, colspan=2)
            self.mosaic = pg.ImageItem(levels=(0, 1))
            self.mosaic.setColorMap(self.grey)
            picture_plot(self.mosaic_plot, self.mosaic, fixed=True)
            h, w = info.image_shape
            self.mosaic_plot.setXRange(0, MOSAIC_COLS * (w + 1) - 1, padding=0.01)
            self.mosaic_plot.setYRange(0, 4 * (h + 1) - 1, padding=0.01)
            self.mosaic_mark = pg.PlotCurveItem(pen=theme.pen(theme.PREDICTION, 2))
            self.mosaic_mark.setZValue(5)
            self.mosaic_plot.addItem(self.mosaic_mark)
            right.layout.setColumnStretchFactor(0, 2)
            right.layout.setColumnStretchFactor(1, 3)
        else:
            self.row_list = pg.LabelItem("", size="8pt", justify="left")
            relax_width(self.row_list)
            right.addItem(self.row_list, row=1, col=0)
        right.layout.setRowStretchFactor(0, 1)
        right.layout.setRowStretchFactor(1, 1)
        canvas.ci.layout.setColumnStretchFactor(0, 5)
        canvas.ci.layout.setColumnStretchFactor(1, 5)
        controls.start(self)

    # ----- choices ----------------------------------------------------------------------------

    def select_cell(self, cell) -> None:
        """Show cell (true, predicted)'s images; None follows the biggest confusion."""
        self.cell_choice = None if cell is None else (int(cell[0]), int(cell[1]))
        self.controls.show_cell(self.cell_choice)
        self._show_choices()

    def select_row(self, row: int) -> None:
        """Choose row ``row`` of the shown set (validation, else training) for its probabilities."""
        if 0 <= row < len(self.y):
            self.chosen = int(row)
            self.chosen_by_person = True
            self.controls.show_row(self.chosen)
            self._show_choices()

    def clicked(self, scene_pos) -> bool:
        cell = self.matrix.cell_at(scene_pos)
        if cell is not None:
            self.select_cell(cell)
            return True
        if self.images is not None and self.mosaic_plot.vb.sceneBoundingRect().contains(scene_pos):
            p = self.mosaic.mapFromScene(scene_pos)
            h, w = self.info.image_shape
            r, c = int(np.floor(p.y())), int(np.floor(p.x()))
            if r < 0 or c < 0 or r % (h + 1) == h or c % (w + 1) == w or c >= MOSAIC_COLS * (w + 1):
                return False
            tile = (r // (h + 1)) * MOSAIC_COLS + c // (w + 1)
            if tile < len(self.mosaic_rows):
                self.select_row(int(self.mosaic_rows[tile]))
                return True
        return False

    # ----- drawing ----------------------------------------------------------------------------

    def draw(self, snap) -> None:
        probs = self.shown_probabilities(snap)
        self.probabilities = np.asarray(probs, dtype=np.float64)
        self.predicted = predicted_classes(self.probabilities)
        self.counts = confusion_counts(self.y, self.probabilities, self.k)
        self.matrix.show(self.counts)
        n = len(self.y)
        self.accuracy = float(np.trace(self.counts)) / n if n else float("nan")
        parts = f"accuracy after step {snap.evaluated:,}: {self.accuracy:.1%}"
        if self.on_validation:
            train = predicted_classes(snap.predictions) == self.y_train
            self.train_accuracy = float(np.mean(train)) if len(train) else float("nan")
            parts += f" (training {self.train_accuracy:.1%})"
        self.title.setText(f"<b>Predictions</b>: confusion matrix of the {n:,} {self.which} {self.noun}s, {parts}")
        self._show_choices()

    def shown_probabilities(self, snap):
        return snap.val_predictions if self.on_validation else snap.predictions

    def biggest_confusion(self) -> tuple[int, int]:
        off = self.counts.copy()
        np.fill_diagonal(off, 0)
        if off.max() == 0:
            return (0, 0)
        return tuple(int(v) for v in np.unravel_index(int(np.argmax(off)), off.shape))

    def _show_choices(self) -> None:
        if self.probabilities is None:
            return
        self.cell = self.cell_choice if self.cell_choice is not None else self.biggest_confusion()
        i, j = self.cell
        self.matrix.outline_cell(self.cell)
        self.cell_rows = np.flatnonzero((self.y == i) & (self.predicted == j))
        self.mosaic_rows = self.cell_rows[:MOSAIC_MOST]
        if not self.chosen_by_person and len(self.cell_rows) and self.chosen != self.cell_rows[0]:
            self.chosen = int(self.cell_rows[0])
            self.controls.show_row(self.chosen)
        self._show_cell()
        self._show_chosen()

    def _cell_text(self) -> str:
        i, j = self.cell
        names = self.info.classes
        n = len(self.cell_rows)
        what = f"{n} {self.noun}{'s' if n != 1 else ''}"
        head = f"{names[i]}s right: {what}" if i == j else f"{names[i]} taken for {names[j]}: {what}"
        if n > len(self.mosaic_rows):
            head += f" (first {len(self.mosaic_rows)} shown)"
        return head

    def _show_cell(self) -> None:
        text = self._cell_text()
        if self.images is None:
            rows = ", ".join(str(r) for r in self.cell_rows[:LISTED_ROWS])
            more = " ..." if len(self.cell_rows) > LISTED_ROWS else ""
            self.row_list.setText(f"{text}<br>{self.which} rows: {rows}{more}" if len(self.cell_rows) else text)
            return
        key = (tuple(self.mosaic_rows), self.chosen)
        if key != self._mosaic_key:
            self._mosaic_key = key
            self.mosaic.setImage(self.mosaic_grid(), autoLevels=False, levels=(0, 1))
            hits = np.flatnonzero(self.mosaic_rows == self.chosen)
            if hits.size:
                h, w = self.info.image_shape
                r, c = divmod(int(hits[0]), MOSAIC_COLS)
                x0, y0 = c * (w + 1) - 0.5, r * (h + 1) - 0.5
                self.mosaic_mark.setData([x0, x0 + w + 1, x0 + w + 1, x0, x0], [y0, y0, y0 + h + 1, y0 + h + 1, y0])
            else:
                self.mosaic_mark.setData([], [])
        _retitle(self.mosaic_plot, text + (", click one" if len(self.mosaic_rows) else ""))

    def mosaic_grid(self) -> np.ndarray:
        """The cell's first images in rows of MOSAIC_COLS, a pixel of NaN (background) between them."""
        h, w = self.info.image_shape
        rows = 4
        tiles = np.full((rows * MOSAIC_COLS, h + 1, w + 1), np.nan)
        tiles[:len(self.mosaic_rows), :h, :w] = self.images[self.mosaic_rows]
        grid = tiles.reshape(rows, MOSAIC_COLS, h + 1, w + 1).transpose(0, 2, 1, 3)
        return grid.reshape(rows * (h + 1), MOSAIC_COLS * (w + 1))[:-1, :-1]

    @property
    def chosen_probabilities(self) -> np.ndarray:
        return self.probabilities[self.chosen]

    def _show_chosen(self) -> None:
        p = self.chosen_probabilities
        true = int(self.y[self.chosen])
        guess = int(self.predicted[self.chosen])
        brushes = [self.brushes["other"]] * self.k
        brushes[guess] = self.brushes["wrong"]
        brushes[true] = self.brushes["true"]
        self.bars.setOpts(height=np.where(np.isfinite(p), p, 0.0), brushes=brushes)
        names = self.info.classes
        right = f"<span style='color:{theme.METRIC}'>■</span> {names[true]}"
        if guess == true:
            _retitle(self.bar_plot, f"{right}: right")
        else:
            _retitle(self.bar_plot, f"{right} <span style='color:{theme.PREDICTION}'>■</span> {names[guess]} "
                                    "(its answer)")
        if self.images is not None:
            self.chosen_image.setImage(self.images[self.chosen], autoLevels=False, levels=(0, 1))
            _retitle(self.image_plot, f"{self.noun} {self.chosen}: a {names[true]}")


def _retitle(plot, text: str) -> None:
    """A plot's title, set only when it changes (a new title lays the plot out again)."""
    if getattr(plot, "_gdsim_title", None) != text:
        plot._gdsim_title = text
        set_title(plot, text, size="8pt")


def _value_axes():
    from .base import value_axes

    return value_axes()


class MulticlassControls(QWidget):
    """The keyboard's way to the panel's choices: which image's probabilities to show, and which
    cell's images (a click on the matrix or the mosaic does the same)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.panel = None
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.row_box = QSpinBox()
        self.row_box.setToolTip("The image whose class probabilities are drawn (numbered within the set the "
                                "matrix counts). You can also click an image of the mosaic.")
        self.row_box.setAccessibleName("Chosen image")
        self.row_box.setKeyboardTracking(False)
        self.row_box.valueChanged.connect(self._row_changed)
        self.cell_box = QComboBox()
        self.cell_box.setToolTip("The cell of the confusion matrix whose images are shown: by default the "
                                 "biggest confusion, else true class and predicted class. You can also click a cell.")
        self.cell_box.setAccessibleName("Confusion matrix cell")
        self.cell_box.setMinimumContentsLength(12)
        self.cell_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.cell_box.currentIndexChanged.connect(self._cell_changed)
        label = QLabel("Cell:")
        label.setBuddy(self.cell_box)
        row.addWidget(self.row_box)
        row.addWidget(label)
        row.addWidget(self.cell_box, 1)

    def start(self, panel) -> None:
        self.panel = panel
        info, k = panel.info, panel.k
        self.row_box.blockSignals(True)
        self.row_box.setRange(0, max(0, len(panel.y) - 1))
        self.row_box.setPrefix(f"{panel.noun} ")
        self.row_box.setSuffix(f" of {len(panel.y):,} ({panel.which})")
        self.row_box.setValue(panel.chosen)
        self.row_box.blockSignals(False)
        self.cell_box.blockSignals(True)
        self.cell_box.clear()
        self.cell_box.addItem("the biggest confusion")
        for i in range(k):
            for j in range(k):
                self.cell_box.addItem(f"true {info.classes[i]}, predicted {info.classes[j]}")
        self.cell_box.setCurrentIndex(0)
        self.cell_box.blockSignals(False)

    def show_cell(self, cell) -> None:
        self.cell_box.blockSignals(True)
        self.cell_box.setCurrentIndex(0 if cell is None else 1 + cell[0] * self.panel.k + cell[1])
        self.cell_box.blockSignals(False)

    def show_row(self, row: int) -> None:
        self.row_box.blockSignals(True)
        self.row_box.setValue(row)
        self.row_box.blockSignals(False)

    def _row_changed(self, row: int) -> None:
        if self.panel is not None:
            self.panel.select_row(row)

    def _cell_changed(self, index: int) -> None:
        if self.panel is not None and index >= 0:
            self.panel.select_cell(None if index == 0 else divmod(index - 1, self.panel.k))
