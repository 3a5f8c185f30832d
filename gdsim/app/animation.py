"""Animations of a run drawn by the views themselves: for ``gdsim run --animate-out`` and for
File > Export animation.

Frames are drawn on the GUI thread (Qt widgets can be drawn nowhere else), one snapshot at a
time, by a set of views laid out as ``figure.render_figure`` lays them out (or one view alone);
which steps become frames, how long each is shown and each frame's snapshot come from
``core.animation``; Pillow encodes them (``core.files.frames``). The window's export
(``AnimationExport``) draws a frame per turn of the event loop and encodes in a thread of its
own, so the window never freezes and Cancel leaves nothing on disk.
"""

from __future__ import annotations

import queue
import threading

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QSplitter

from ..core.animation import FrameSource, caption_for
from ..core.errors import GdsimError
from ..core.files.frames import AnimationWriter, Cancelled, Gate, to_pillow

ALL_SIZE = (1400, 860)  # the --plot-out figure's
VIEW_SIZE = (820, 520)  # one view alone


def default_size(view: str) -> tuple[int, int]:
    return ALL_SIZE if view == "all" else VIEW_SIZE


class FrameDrawer:
    """A set of views of one run (``info``), offscreen, that draw a snapshot into an image."""

    def __init__(self, info, view: str = "all", size=None, scale: float = 1, caption: bool = True):
        from . import theme
        from .views.gradient_view import GradientView
        from .views.graph_view import GraphView
        from .views.layout import arranged, fit_to_run
        from .views.loss_view import LossView
        from .views.prediction_view import PredictionView

        theme.configure_plots()
        self.info, self.scale, self.caption = info, scale, caption
        if view == "graph" and info.graph is None:
            raise GdsimError("this run has no computation graph to animate (choose another view)")
        if view == "predictions" and info.graph == "expression":
            raise GdsimError("this run shows its expression's graph, not predictions (choose the graph view)")
        # Only the views drawn are made: a view left without a parent outlives the application.
        kinds = {"loss": LossView, "predictions": PredictionView, "gradients": GradientView, "graph": GraphView}
        if view != "all":
            # KNOWN BUG: one view alone (at 820x520) keeps an earlier frame's tick labels; not
            # shipped until that is understood (the figure of all views is checked frame by frame).
            raise GdsimError("only the figure of all views can be animated for now")
        if view == "all":
            loss, predictions, gradients, graph = (kind() for kind in kinds.values())
            self.views = (loss, predictions, gradients, graph)
            self.figure = arranged(loss, predictions, gradients, graph)
            for v in self.views:
                v.begin_run(info)
            fit_to_run(self.figure, info, predictions, graph)
        else:
            alone = kinds[view]()
            self.views = (alone,)
            # In a splitter, as in the figure of all views: a view that is itself the window
            # had its ranges frozen at the first frame's.
            self.figure = QSplitter()
            self.figure.addWidget(alone)
            alone.begin_run(info)
        self.shown = self.views
        self.figure.resize(*(size or default_size(view)))
        self.figure.show()  # offscreen or hidden from the window: lays everything out, shows nothing
        QApplication.processEvents()
        self._measure = ""  # the longest caption: every frame keeps room for it, so frames are one size

    def measure_caption(self, text: str) -> None:
        self._measure = text if len(text) > len(self._measure) else self._measure

    def draw(self, snapshot, caption: str):
        """``snapshot`` taken in by the views, and the figure painted: a Pillow RGB image."""
        from .export import figure_image, placed

        for v in self.views:
            if v.isVisible():
                v.show_snapshot(snapshot)
        QApplication.processEvents()
        text = caption if self.caption else ""
        image = figure_image(placed(self.shown, self.figure), text, self.scale,
                             measure=self._measure if self.caption else "")
        return qimage_to_pillow(image)

    def restart(self) -> None:
        """Empty views again, for the run's first frame (after the palette's picture)."""
        for v in self.views:
            v.begin_run(self.info)
        QApplication.processEvents()

    def close(self) -> None:
        self.figure.close()


def qimage_to_pillow(image: QImage):
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    return to_pillow(rgb.width(), rgb.height(), rgb.bytesPerLine(), bytes(rgb.constBits())[:rgb.sizeInBytes()])


def _captions(source: FrameSource) -> list[str]:
    return [caption_for(source.info, source.settings_at(step), step) for step in source.steps]


def render_animation(writer: AnimationWriter, source: FrameSource, view="all", size=None, scale=1,
                     caption=True, progress=None) -> list[str]:
    """Every frame of ``source`` drawn and handed to ``writer``, then written (the command line:
    all at once, on this thread). ``progress(done, total)`` after each frame."""
    from .figure import _offscreen_app

    _offscreen_app()
    captions = _captions(source)
    drawers = []
    try:
        drawer = FrameDrawer(source.info, view, size, scale, caption)
        drawers.append(drawer)
        drawer.measure_caption(max(captions, key=len))
        writer.set_palette(drawer.draw(source.final(), captions[-1]))
        drawer.restart()
        for k in range(len(source)):
            writer.add(drawer.draw(source.next(), captions[k]))
            if progress is not None:
                progress(k + 1, len(source))
        return writer.finish()
    except BaseException:
        writer.discard()
        raise
    finally:
        for d in drawers:
            d.close()


class AnimationExport(QObject):
    """The window's export: a frame drawn per timer turn, encoded in a thread, written at the end.

    ``progress(done, total)`` after each frame drawn; then exactly one of ``finished(names)``,
    ``failed(message)`` or ``cancelled()``. Cancel (``cancel()``) or a failure writes nothing.
    """

    progress = Signal(int, int)
    finished = Signal(list)
    failed = Signal(str)
    cancelled = Signal()
    _encoded = Signal(object, str)  # (names or None, error message) from the encoder thread

    def __init__(self, source: FrameSource, writer: AnimationWriter, view="all", size=None, scale=1,
                 caption=True, parent=None):
        super().__init__(parent)
        self.source, self.writer = source, writer
        self._options = (view, size, scale, caption)
        self._captions = _captions(source)
        self._queue: queue.Queue = queue.Queue()
        self._cancel = threading.Event()
        self._gate = Gate()
        self._thread: threading.Thread | None = None
        self._drawer: FrameDrawer | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(0)  # a frame per turn of the event loop: input is handled between
        self._timer.timeout.connect(self._slice)
        self._encoded.connect(self._on_encoded)
        self.ended = False

    def start(self) -> None:
        try:
            view, size, scale, caption = self._options
            self._drawer = FrameDrawer(self.source.info, view, size, scale, caption)
            self._drawer.measure_caption(max(self._captions, key=len))
            first = self._drawer.draw(self.source.final(), self._captions[-1])
            self._drawer.restart()
        except GdsimError as exc:
            self._end()
            self.failed.emit(str(exc))
            return
        self._thread = threading.Thread(target=self._encode, args=(first,), name="gdsim-animation", daemon=True)
        self._thread.start()
        self._timer.start()

    def cancel(self) -> None:
        """Stop drawing and encoding; nothing is written (``cancelled`` follows)."""
        if self.ended or not self._gate.close():  # written already: ``finished`` is on its way
            return
        self._cancel.set()
        self._timer.stop()
        self._queue.put(None)
        self._end()
        self.cancelled.emit()

    def _slice(self) -> None:
        k = self.source.done
        try:
            image = self._drawer.draw(self.source.next(), self._captions[k])
        except GdsimError as exc:
            self._fail(str(exc))
            return
        self._queue.put(image)
        self.progress.emit(k + 1, len(self.source))
        if self.source.done == len(self.source):
            self._timer.stop()
            self._queue.put(None)  # the encoder finishes and writes

    def _encode(self, first) -> None:
        """The encoder thread: the palette, then each frame as it comes, then the files."""
        try:
            self.writer.set_palette(first)
            while True:
                image = self._queue.get()
                if self._cancel.is_set():
                    self.writer.discard()
                    return
                if image is None:
                    break
                self.writer.add(image)
            if self._cancel.is_set():
                self.writer.discard()
                return
            names = self.writer.finish(self._gate)
        except Cancelled:
            return
        except GdsimError as exc:
            self.writer.discard()
            self._encoded.emit(None, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - said in the window, not lost in a thread
            self.writer.discard()
            self._encoded.emit(None, f"the animation could not be encoded: {exc}")
            return
        self._encoded.emit(names, "")

    def _on_encoded(self, names, message: str) -> None:
        if self.ended:
            return
        self._end()
        if names is None:
            self.failed.emit(message)
        else:
            self.finished.emit(names)

    def _fail(self, message: str) -> None:
        self._cancel.set()
        self._timer.stop()
        self._queue.put(None)
        self._end()
        self.failed.emit(message)

    def _end(self) -> None:
        self.ended = True
        if self._drawer is not None:
            self._drawer.close()
            self._drawer = None

    def wait(self, seconds: float = 30.0) -> None:
        """Wait for the encoder thread (tests, closing the window)."""
        if self._thread is not None:
            self._thread.join(seconds)
