"""File > Export animation: what the animation shows and how (the view, the steps, the number of
frames, their rate and size, GIF or PNG frames, caption and scale). The file is asked for after.

The choices are checked here (``choice()`` raises a GdsimError, shown in the dialog, which stays
open); the window's export (``MainWindow.export_animation``) does the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QSpinBox,
    QVBoxLayout,
)

from ..core import animation
from ..core.errors import GdsimError, sentence
from . import theme
from .views.base import fit_wrapped

GIF, PNG = "gif", "png"


@dataclass(frozen=True)
class AnimationChoice:
    view: str
    first: int
    last: int
    frames: int
    fps: float
    size: tuple[int, int]
    kind: str  # GIF or PNG
    caption: bool
    scale: int


def size_text(size) -> str:
    return f"{size[0]}x{size[1]}"


class AnimationDialog(QDialog):
    """``info``: the run's RunInfo; ``earliest``/``latest``: the steps it can show (the timeline's);
    ``plane``: the Landscape tab's plane in words, which an animation of the landscape shows ("": no
    tab, the default plane)."""

    def __init__(self, info, earliest: int, latest: int, parent=None, scale: int = 1, plane: str = ""):
        super().__init__(parent)
        self.setWindowTitle("Export animation - gdsim")
        self.earliest, self.latest = int(earliest), int(latest)
        layout = QVBoxLayout(self)
        intro = QLabel(f"The run replayed step by step as the views show it, as an animated GIF or numbered PNG "
                       f"frames for slides and handouts. Its steps so far: <b>{self.earliest:,}</b> to "
                       f"<b>{self.latest:,}</b> (training may go on meanwhile: the animation ends at the step "
                       f"chosen here).")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()

        self.view = QComboBox()
        for view in animation.views_of(info):
            self.view.addItem(animation.VIEW_TITLES[view], view)
        self.view.setToolTip("All the views laid out as in the window (the landscape aside), or one of them alone")
        self.view.currentIndexChanged.connect(self._view_changed)
        form.addRow("&Show", self.view)
        # What an animated landscape shows, said before its grid is paid for.
        where = (f"The Landscape tab's plane: {plane}." if plane
                 else "The two weights whose gradients are largest at the last step.")
        self.landscape_note = QLabel(f"{where} One grid, computed at the last step, for every frame; the path "
                                     f"grows on it.")
        self.landscape_note.setWordWrap(True)
        form.addRow("", self.landscape_note)

        steps = QHBoxLayout()
        self.first = QSpinBox()
        self.last = QSpinBox()
        for box, value, tip in ((self.first, self.earliest, "The animation's first step (the run's first: "
                                 f"{self.earliest:,})"),
                                (self.last, self.latest, f"The animation's last step (the run's newest: "
                                 f"{self.latest:,})")):
            box.setRange(self.earliest, max(self.latest, self.earliest))
            box.setValue(value)
            box.setGroupSeparatorShown(True)
            box.setToolTip(tip)
            box.setAccessibleName(tip)
        steps.addWidget(self.first)
        steps.addWidget(QLabel("to"))
        steps.addWidget(self.last)
        steps.addStretch(1)
        form.addRow("S&teps", steps)

        self.frames = QSpinBox()
        self.frames.setRange(animation.MIN_FRAMES, animation.MAX_FRAMES)
        self.frames.setValue(animation.DEFAULT_FRAMES)
        self.frames.setToolTip(f"At most this many frames ({animation.MIN_FRAMES} to {animation.MAX_FRAMES}), "
                               "spread evenly over the steps; fewer steps make one frame each")
        form.addRow("&Frames", self.frames)

        self.fps = QDoubleSpinBox()
        self.fps.setRange(animation.MIN_FPS, animation.MAX_FPS)
        self.fps.setDecimals(1)
        self.fps.setValue(animation.DEFAULT_FPS)
        self.fps.setSuffix(" a second")
        self.fps.setToolTip(f"Frames a second; the last frame stays {animation.HOLD_LAST_MS / 1000:g} s longer "
                            "so the end can be read before the GIF loops")
        form.addRow("Frame &rate", self.fps)

        self.size = QComboBox()
        self.size.setEditable(True)  # any WIDTHxHEIGHT
        self.size.addItems([size_text(s) for s in animation.SIZE_CHOICES])
        self.size.setToolTip(f"Each frame's width x height in pixels, caption included (times the scale); "
                             f"type another as 800x450 ({size_text(animation.MIN_SIZE)} to "
                             f"{size_text(animation.MAX_SIZE)})")
        form.addRow("Si&ze", self.size)

        self.kind = QComboBox()
        self.kind.addItem("Animated GIF (one file, loops)", GIF)
        self.kind.addItem("PNG frames (numbered files in a folder)", PNG)
        self.kind.setToolTip("A GIF plays in slides, web pages and chats; PNG frames for video tools "
                             "(ffmpeg) or handouts")
        form.addRow("F&ormat", self.kind)

        self.caption = QCheckBox("scenario, optimizer, learning rate and step on every frame")
        self.caption.setChecked(True)
        self.caption.setToolTip("A caption line above the views saying which run, which settings and which step")
        form.addRow("&Caption", self.caption)

        self.scale = QComboBox()
        for s in (1, 2, 3):
            self.scale.addItem(f"{s}x", s)
        self.scale.setCurrentIndex(max(0, min(2, int(scale) - 1)))
        self.scale.setToolTip("Draw every line and letter this many times as large: 2x is sharp on a slide "
                              "(and the file larger)")
        form.addRow("Sc&ale", self.scale)
        layout.addLayout(form)

        self.problem = QLabel("")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {theme.BAD};")
        self.problem.hide()
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export...")
        buttons.button(QDialogButtonBox.StandardButton.Ok).setToolTip("Choose the file (or folder) next")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._view_changed()

    def _view_changed(self, *_) -> None:
        view = self.view.currentData() or "all"
        self.size.setCurrentText(size_text(animation.default_size(view)))
        self.landscape_note.setVisible(view == animation.LANDSCAPE)
        self._fit_height()

    def _fit_height(self) -> None:
        """As tall as its texts need at its width: a note or a problem shown after the dialog
        was sized had been laid over the rows below it (seen under Xvfb)."""
        if self.isVisible():
            fit_wrapped(self, self.width())

    def choice(self) -> AnimationChoice:
        """What was chosen, checked; a GdsimError saying what is wrong otherwise."""
        first, last = self.first.value(), self.last.value()
        if self.latest <= self.earliest:
            raise GdsimError(f"the run is at step {self.latest:,}: train it a few steps first")
        if last <= first:
            raise GdsimError(f"the steps {first:,} to {last:,} are no range: the last must come after the first")
        size = animation.parse_size(self.size.currentText())
        return AnimationChoice(self.view.currentData(), first, last, self.frames.value(), float(self.fps.value()),
                               size, self.kind.currentData(), self.caption.isChecked(), int(self.scale.currentData()))

    def accept(self) -> None:
        try:
            self.chosen = self.choice()
        except GdsimError as exc:
            self.problem.setText(sentence(str(exc)) + ".")
            self.problem.show()
            self._fit_height()
            return
        super().accept()
