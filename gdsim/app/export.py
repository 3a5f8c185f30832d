"""Views drawn for slides and handouts: the plots themselves, not the widgets around them.

A figure is a list of views, each placed where it sits on screen, with each view's title
above its plot and one caption line saying what run it shows (scenario, model, optimizer,
learning rate, zeroing, step). It is painted, not grabbed: at 2x every line and every
letter is drawn twice as large and stays sharp, and an SVG is vectors throughout.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from ..core.errors import GdsimError
from ..core.files.atomic import atomic_writer
from . import theme

SCALES = (1, 2, 3)
DEFAULT_SCALE = 2  # sharp on a slide or in print
MARGIN = 8


def caption_text(info, settings, step: int) -> str:
    """One line that tells two exported figures apart."""
    if info is None or settings is None:
        return ""
    zeroing = "zeroing on" if settings.zero_grad else "zeroing OFF (gradients accumulate)"
    return (f"gdsim: {info.scenario} ({info.title})  |  {info.model_text}  |  {info.loss_text}  |  "
            f"{settings.optimizer} lr {settings.lr:g}  |  {zeroing}  |  step {step:,}")


def placed(views, relative_to: QWidget) -> list[tuple[object, QRect]]:
    """Each visible view with its rectangle in ``relative_to``'s coordinates (the screen layout)."""
    out = []
    for view in views:
        if view.isVisible() and view.width() > 0:
            out.append((view, QRect(view.mapTo(relative_to, QPoint(0, 0)), view.size())))
    return out


def export_figure(path, parts: list[tuple[object, QRect]], caption: str, scale: float = DEFAULT_SCALE) -> None:
    """Write the views in ``parts`` as one PNG (at ``scale``) or SVG, chosen by the suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise GdsimError(f"cannot export to {path.name!r}: choose a .png or .svg file name")
    if not parts:
        raise GdsimError("there is no view to export")
    data = figure_bytes(parts, caption, suffix == ".svg", scale, title=caption or path.stem)
    # Written by Python, which reports a full disk (Qt's writers do not), and checked before it
    # replaces anything (gdsim.core.files.atomic).
    with atomic_writer(path, "wb") as fh:
        fh.write(data)


def figure_bytes(parts, caption: str, svg: bool, scale: float = 1.0, title: str = "gdsim") -> bytes:
    """The figure encoded in memory: a PNG at ``scale`` times the size on screen, or an SVG."""
    layout, size, caption_h = _layout(parts, caption)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    paint = functools.partial(_paint, layout=layout, caption=caption, size=size, caption_h=caption_h)
    if svg:
        _paint_svg(buffer, paint, size, title, caption)
    else:
        image = _paint_image(paint, size, scale)
        if not image.save(buffer, "PNG"):
            raise GdsimError("cannot draw the figure as a PNG image")
    return bytes(buffer.data())


def figure_image(parts, caption: str, scale: float = 1.0, measure: str = "") -> QImage:
    """The figure painted into an image at ``scale`` times its size on screen (an animation's
    frame), with room for the caption ``measure`` when that is longer (frames of one size)."""
    layout, size, caption_h = _layout(parts, caption, measure)
    return _paint_image(functools.partial(_paint, layout=layout, caption=caption, size=size, caption_h=caption_h),
                        size, scale)


def _caption_font() -> QFont:
    font = QFont(QApplication.font())
    font.setPointSizeF(max(9.0, font.pointSizeF()))
    return font


def _caption_height(caption: str, width: int) -> int:
    """The caption's lines at ``width`` (a single view is narrower than one line), plus room."""
    metrics = QFontMetrics(_caption_font())
    box = metrics.boundingRect(QRect(0, 0, max(1, width - 2 * MARGIN), 10_000), _WRAPPED, caption)
    return box.height() + metrics.height() // 2


_WRAPPED = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap


def _layout(parts, caption: str, measure: str = ""):
    """Shift the parts below the caption, inside a margin; the figure's size and caption height
    (of ``measure`` instead, when that is given and is longer)."""
    left = min(r.left() for _, r in parts)
    top = min(r.top() for _, r in parts)
    width = max(r.right() for _, r in parts) + 1 - left + 2 * MARGIN
    room = measure if len(measure) > len(caption) else caption
    caption_h = _caption_height(room, width) if room else 0
    moved = [(view, r.translated(MARGIN - left, MARGIN + caption_h - top)) for view, r in parts]
    bottom = max(r.bottom() for _, r in moved) + 1 + MARGIN
    return moved, QSize(width, bottom), caption_h


def _paint(painter: QPainter, layout, caption: str, size: QSize, caption_h: int) -> None:
    palette = QApplication.palette()
    painter.fillRect(QRect(QPoint(0, 0), size), palette.color(QPalette.ColorRole.Window))
    if caption:
        painter.setPen(palette.color(QPalette.ColorRole.WindowText))
        painter.setFont(_caption_font())
        painter.drawText(QRectF(MARGIN, MARGIN, size.width() - 2 * MARGIN, caption_h), _WRAPPED, caption)
    for view, rect in layout:
        view.paint_for_export(painter, rect)


def _paint_image(paint, size: QSize, scale: float) -> QImage:
    image = QImage(size * scale, QImage.Format.Format_ARGB32)
    image.fill(QColor(theme.EXPORT_BACKGROUND))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    painter.scale(scale, scale)
    try:
        paint(painter)
    finally:
        painter.end()
    return image


def _paint_svg(device, paint, size: QSize, title: str, caption: str) -> None:
    from PySide6.QtSvg import QSvgGenerator

    generator = QSvgGenerator()
    generator.setOutputDevice(device)
    generator.setSize(size)
    generator.setViewBox(QRect(QPoint(0, 0), size))
    generator.setTitle(title)
    generator.setDescription(caption)
    painter = QPainter()
    if not painter.begin(generator):
        raise GdsimError("cannot draw the figure as an SVG image")
    try:
        paint(painter)
    finally:
        painter.end()  # ends the SVG document: the file is complete


def figure_size(parts, measure: str = "") -> QSize:
    """The size (at scale 1) of the figure of ``parts`` with room for the caption ``measure``."""
    return _layout(parts, "", measure)[1]
