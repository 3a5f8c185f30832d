"""Predictions of a multi-class run: the confusion matrix, live.

True class down, predicted class (the most probable) across, on the validation rows when the
run has any, else on the training rows; each cell says how many images (rows) it holds, and its
colour is that count's share of its true class, so a row reads as "where do the 4s go?".

Everything is made once per run (``MulticlassPredictions.__init__``) and each frame only
replaces data: one ``setImage`` for the colours, one repaint of the counts (``CellTexts``).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont

from .. import theme


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
    light_blue = QColor("#9ecae1") if not dark else QColor("#2b5d85")
    strong = QColor("#08519c") if not dark else QColor("#6baed6")
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


class ConfusionMatrix:
    """The matrix in one plot: colours (ImageItem), counts (CellTexts), a colour bar, the chosen
    cell outlined."""

    def __init__(self, plot: pg.PlotItem, classes: tuple[str, ...]):
        self.plot = plot
        self.k = k = len(classes)
        plot.setLabel("left", "true class")
        plot.setLabel("bottom", "predicted class (the most probable)")
        ticks = list(zip(np.arange(k) + 0.5, classes))
        every = max(1, int(np.ceil(k / 20)))  # 100 classes: every 5th name
        for side in ("left", "bottom"):
            plot.getAxis(side).setTicks([ticks[::every], []])
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
        self.outline = pg.PlotCurveItem(pen=pg.mkPen(theme.PREDICTION, width=2.5))
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


class MulticlassPredictions:
    """The prediction view's panel for a multi-class run (built into the view's canvas)."""

    def __init__(self, view, info):
        self.title = view.title_label  # not the view itself: no cycle that outlives the QApplication
        self.info = info
        self.k = len(info.classes)
        self.on_validation = info.y_val is not None
        self.y = np.asarray(info.y_val if self.on_validation else info.y, dtype=np.intp).reshape(-1)
        self.y_train = np.asarray(info.y, dtype=np.intp).reshape(-1)
        self.which = "validation" if self.on_validation else "training"
        self.matrix = ConfusionMatrix(view.plot, info.classes)
        self.counts = np.zeros((self.k, self.k), dtype=np.int64)
        self.accuracy = float("nan")
        self.train_accuracy = float("nan")

    def shown_probabilities(self, snap):
        return snap.val_predictions if self.on_validation else snap.predictions

    def draw(self, snap) -> None:
        probs = self.shown_probabilities(snap)
        self.counts = confusion_counts(self.y, probs, self.k)
        self.matrix.show(self.counts)
        n = len(self.y)
        self.accuracy = float(np.trace(self.counts)) / n if n else float("nan")
        parts = f"accuracy {self.accuracy:.1%}"
        if self.on_validation:
            train = predicted_classes(snap.predictions) == self.y_train
            self.train_accuracy = float(np.mean(train)) if len(train) else float("nan")
            parts += f" (training {self.train_accuracy:.1%})"
        self.title.setText(
            f"<b>Predictions</b>: confusion matrix of the {n:,} {self.which} "
            f"{'images' if self.info.image_shape else 'rows'}, {parts}")
