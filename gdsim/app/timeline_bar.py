"""Under the views: the run's steps as a slider to go back to any of them, and the run's branches.

Dragging the slider (or Left, Right, Home, End, PgUp, PgDn) asks the model thread for a step; it
rebuilds that step exactly (``core.timeline``) and sends its snapshot, which moves every view.
Run or Step from an earlier step goes on from there as a new branch; the list on the right shows
the branches and switches between them. The bar only asks and shows: the worker decides.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSlider, QToolButton, QWidget


POSITIONS = 1_000_000  # the slider's positions at the most: a longer run is shown a few steps per position


class TimelineBar(QWidget):
    wanted = Signal(object)  # a step to show (an int: steps pass 2**31 in long runs)
    branch_chosen = Signal(int)  # the index of a branch to show

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 0, 4, 0)
        self.title = QLabel("Timeli&ne")  # Alt+N: Alt+T is the Training menu
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.setAccessibleName("Timeline: the step every view shows")
        self._slider_tip = ("Drag to go back to any step of the run; every view shows it as it was. "
                            "Left/Right: one step, PgUp/PgDn: a tenth of the run, Home/End: the first "
                            "and the newest step. Run or Step from an earlier step starts a new branch.")
        self.slider.setToolTip(self._slider_tip)
        self.title.setBuddy(self.slider)
        self.where = QLabel("step 0")
        self.where.setMinimumWidth(150)
        self.newest = QToolButton()
        self.newest.setText("Newest")
        self.newest.setToolTip("Back to the run's newest step (End)")
        self.newest.setEnabled(False)
        self.branches = QComboBox()
        self.branches.setAccessibleName("Branches of this run")
        self.branches.setToolTip("The run and the branches started from its earlier steps: choose one to show it")
        self.branches.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.branches.setMaximumWidth(260)
        for w in (self.title, self.slider, self.where, self.newest, self.branches):
            lay.addWidget(w, 1 if w is self.slider else 0)
        self.step = self.latest = self.earliest = 0
        self.unit = 1  # steps per slider position (Qt's slider holds 32-bit ints; runs go on for longer)
        self.past = False
        self.slider.valueChanged.connect(self._moved)
        self.newest.clicked.connect(lambda: self.wanted.emit(self.latest))
        self.branches.activated.connect(self.branch_chosen)

    def show_snapshot(self, snap) -> None:
        self.step, self.latest, self.earliest, self.past = snap.step, snap.latest, snap.earliest, snap.past
        span = max(0, snap.latest - snap.earliest)
        self.unit = max(1, -(-span // POSITIONS))
        self.slider.blockSignals(True)
        if span == 0:  # nothing to go back to: the handle at the end, where the run is
            self.slider.setRange(0, 1)
            self.slider.setValue(1)
        else:
            self.slider.setRange(0, -(-span // self.unit))
            if not self.slider.isSliderDown():  # a drag under way is the person's
                self.slider.setValue((snap.step - snap.earliest) // self.unit)
        self.slider.blockSignals(False)
        self.where.setText(f"step {snap.step:,} of {snap.latest:,}" if snap.past else f"step {snap.step:,}")
        tip = ("An earlier step: Run or Step goes on from here as a new branch" if snap.past
               else "The run's newest step")
        if snap.earliest > 0:  # an opened session, or a branch with another loss: no checkpoints before
            tip += (f". Steps before {snap.earliest:,} cannot be shown: this run was opened from a file, or "
                    f"changed its loss, there")
        self.where.setToolTip(tip)
        self.slider.setToolTip(self._slider_tip + (f" (from step {snap.earliest:,})" if snap.earliest else ""))
        self.slider.setEnabled(span > 0)
        self.title.setBuddy(self.slider if span > 0 else self.branches)  # Alt+N reaches what can be used
        self.newest.setEnabled(snap.past)

    def show_branches(self, names, index: int) -> None:
        self.branches.blockSignals(True)
        self.branches.clear()
        self.branches.addItems(list(names))
        self.branches.setCurrentIndex(index)
        self.branches.blockSignals(False)
        self.branches.setEnabled(len(names) > 1)

    def _moved(self, value: int) -> None:
        self.wanted.emit(min(self.latest, self.earliest + int(value) * self.unit))
