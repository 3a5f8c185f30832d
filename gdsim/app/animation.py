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

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPainter, QPicture
from PySide6.QtWidgets import QApplication, QSplitter

from ..core.animation import LANDSCAPE, FrameSource, caption_for, check_size, check_view, default_size
from ..core.errors import GdsimError
from ..core.files.frames import AnimationWriter, Cancelled, Gate, to_pillow


class FrameDrawer:
    """A set of views of one run (``info``), never on screen, that draw a snapshot into an image
    of ``size`` (width, height: the whole frame, caption included) times ``scale``.

    ``longest`` is the longest caption of the animation: every frame keeps room for it, so the
    views stay in place from frame to frame. ``surface`` is the grid the landscape view draws
    every frame on (core.animation.FrameSource.landscape); the landscape needs one.
    """

    def __init__(self, info, view: str = "all", size=None, scale: float = 1, caption: bool = True,
                 longest: str = "", surface=None):
        from . import theme
        from .views.gradient_view import GradientView
        from .views.graph_view import GraphView
        from .views.landscape_view import LandscapeView
        from .views.layout import arranged, fit_to_run
        from .views.loss_view import LossView
        from .views.prediction_view import PredictionView

        check_view(view, info)
        if view == LANDSCAPE and surface is None:
            raise ValueError("an animation of the landscape draws its frames on a grid computed first")
        self.size = tuple(size or default_size(view))
        check_size(*self.size)
        theme.configure_plots()
        self.info, self.scale, self.caption, self.surface = info, scale, caption, surface
        self.map = None  # the landscape view, drawn on ``surface``
        # Only the views drawn are made: a view left without a parent outlives the application.
        kinds = {"loss": LossView, "predictions": PredictionView, "gradients": GradientView, "graph": GraphView,
                 LANDSCAPE: LandscapeView}
        if view == "all":
            loss, predictions, gradients, graph = (kinds[k]() for k in ("loss", "predictions", "gradients", "graph"))
            self.views = (loss, predictions, gradients, graph)
            self.figure = arranged(loss, predictions, gradients, graph)
            for v in self.views:
                v.begin_run(info)
            fit_to_run(self.figure, info, predictions, graph)
        else:
            alone = kinds[view]()
            self.views = (alone,)
            self.figure = QSplitter()  # as in the figure of all views: a frame around the view
            self.figure.addWidget(alone)
            alone.begin_run(info)
            if view == LANDSCAPE:
                self.map = alone
                alone.hide_choices()
                alone.show_replay(surface)
        self.shown = self.views
        self._measure = longest if caption else ""
        # Laid out as if shown, but never on screen (in the window's session too). The window's
        # event loop still paints its views between frames, into nothing seen: each frame is
        # painted without the items' caches (views.base.uncached) for that reason.
        self.figure.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        self.figure.resize(*self.size)
        self.figure.show()
        self._settle()
        self._fit()

    def _fit(self) -> None:
        """The figure resized until its frame is ``size`` exactly (the caption's room and the
        margins taken off); a view's smallest size can leave it larger (``draw`` scales then)."""
        from .export import figure_size, placed

        width, height = self.size
        for _ in range(3):
            got = figure_size(placed(self.shown, self.figure), self._measure)
            dw, dh = width - got.width(), height - got.height()
            if dw == 0 and dh == 0:
                return
            self.figure.resize(max(1, self.figure.width() + dw), max(1, self.figure.height() + dh))
            self._settle()

    def _settle(self) -> None:
        """Layouts done, and the axes sized to their tick labels, before a frame is painted.

        pyqtgraph widens an axis for its labels while painting them, and lays the plot out again
        only after: a frame painted at once would show new labels in the old room (cut, or run
        into the axis's name). Measuring them first (as a paint would) gives the room first.
        Posted layout requests are all this waits for: no other event is handled here, so the
        window's input, and Cancel, wait for the next turn of its event loop.
        """
        import pyqtgraph as pg

        for _ in range(2):
            QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
            picture = QPicture()
            painter = QPainter(picture)
            try:
                for v in self.views:
                    scene = v.canvas.scene()
                    scene.prepareForPaint()  # ranges pyqtgraph updates lazily, as a paint would
                    for item in scene.items():
                        if isinstance(item, pg.AxisItem) and item.isVisible():
                            try:
                                item.generateDrawSpecs(painter)  # widens the axis if its labels need it
                            except Exception:  # noqa: BLE001 - measuring only; the paint says the rest
                                pass
            finally:
                painter.end()
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)

    def measure_caption(self, text: str) -> None:
        if self.caption and len(text) > len(self._measure):
            self._measure = text
            self._fit()

    def draw(self, snapshot, caption: str):
        """``snapshot`` taken in by the views, and the figure painted: a Pillow RGB image."""
        from .export import figure_image, placed

        for v in self.views:
            v.show_snapshot(snapshot)
        self._settle()
        text = caption if self.caption else ""
        image = figure_image(placed(self.shown, self.figure), text, self.scale, measure=self._measure)
        want = (round(self.size[0] * self.scale), round(self.size[1] * self.scale))
        if (image.width(), image.height()) != want:  # a view that cannot be as small as asked
            image = image.scaled(*want, Qt.AspectRatioMode.IgnoreAspectRatio,
                                 Qt.TransformationMode.SmoothTransformation)
        return qimage_to_pillow(image)

    def restart(self) -> None:
        """Empty views again, for the run's first frame (after the palette's picture)."""
        for v in self.views:
            v.begin_run(self.info)
        if self.map is not None:
            self.map.show_replay(self.surface)  # the same grid, the path from its start again
        self._settle()

    def close(self) -> None:
        self.figure.close()
        self.figure.deleteLater()


def qimage_to_pillow(image: QImage):
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    return to_pillow(rgb.width(), rgb.height(), rgb.bytesPerLine(), bytes(rgb.constBits())[:rgb.sizeInBytes()])


def _captions(source) -> list[str]:
    if hasattr(source, "captions"):  # core.animation.PreparedFrames
        return list(source.captions)
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
        drawer = FrameDrawer(source.info, view, size, scale, caption, longest=max(captions, key=len),
                             surface=source.surface)
        drawers.append(drawer)
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
            self._drawer = FrameDrawer(self.source.info, view, size, scale, caption,
                                       longest=max(self._captions, key=len), surface=self.source.surface)
            first = self._drawer.draw(self.source.final(), self._captions[-1])
            self._drawer.restart()
        except Exception as exc:  # noqa: BLE001 - said in the window; the run goes on
            self._end()
            self.failed.emit(str(exc) if isinstance(exc, GdsimError) else f"a frame could not be drawn: {exc}")
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
        except Exception as exc:  # noqa: BLE001 - said in the window; the run goes on
            self._fail(str(exc) if isinstance(exc, GdsimError) else f"frame {k + 1} could not be drawn: {exc}")
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
