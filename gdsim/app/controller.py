"""The GUI thread's handle on the model thread: it starts the thread, sends commands, relays results.

Commands go as one queued call: ``controller.call("reset")`` reaches ``TrainingWorker.reset`` in
the model thread, after every command sent before it (superqt's thread workers have the same
shape: one way in, signals out). The worker's signals are relayed by signals of this object, so
whatever connects to them (even a plain function) runs on the GUI thread. What cannot wait for
the model thread's event loop goes through the worker's ``CrossThread`` flags: Pause is seen
between two chunks of steps, Cancel between two blocks of a CSV file.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QThread, QTimer, Signal

from ..core.settings import Settings


class TrainingController(QObject):
    # Relayed from the worker (see TrainingWorker for what each carries).
    run_started = Signal(object)
    snapshot = Signal(object)
    state_changed = Signal(str, str)
    settings_changed = Signal(object)
    failed = Signal(str, str)
    finished_task = Signal(str, str)
    session_opened = Signal(str, object)
    scenario_added = Signal(str, str, str)
    table_read = Signal(str, object)
    progress = Signal(str, float)
    document_changed = Signal(object)
    branches_changed = Signal(object)
    pins_changed = Signal(object)
    landscape_ready = Signal(object)
    lr_found = Signal(object)
    stability_found = Signal(object)
    challenges_checked = Signal(int, object)
    animation_ready = Signal(object)

    _perform = Signal(str, tuple)

    def __init__(self, settings: Settings, parent=None, drawing=lambda: False):
        super().__init__(parent)
        self.model_thread = QThread()
        self.model_thread.setObjectName("gdsim-model")
        self._settings = settings
        self._worker = None
        # The window's answer to "is a frame still being drawn?": a heavy view is drawn in events
        # of its own after the snapshot's (window._queue_heavy), and the worker waits for them too.
        self.drawing = drawing

    @property
    def worker(self):
        """The ``TrainingWorker``, made the first time it is needed: when the model thread starts
        (after the window's first frame) or a command is sent. Its module imports the engine, the
        files and the snapshots, which the first frame does not need."""
        if self._worker is None:
            from .worker import TrainingWorker

            worker = self._worker = TrainingWorker(self._settings)
            worker.moveToThread(self.model_thread)
            self.model_thread.started.connect(worker.start)
            self._perform.connect(worker.perform)  # queued: the worker lives in the model thread
            for name in TrainingWorker.SIGNALS:
                getattr(worker, name).connect(getattr(self, name))
            worker.idle_check.connect(self._answer_idle_check)
        return self._worker

    def start(self) -> None:
        _ = self.worker  # made, and connected to the thread's start, before the thread starts
        self.model_thread.start()

    def call(self, command: str, *args) -> None:
        """Run a command of the worker (``TrainingWorker``'s methods marked ``@command``) in the
        model thread, after those sent before it."""
        worker = self.worker  # a command sent before the thread starts waits for it in the worker's queue
        worker.flags.commands.add()
        self._perform.emit(command, args)

    def pause(self) -> None:
        self.worker.flags.pause.set()  # seen at once, between two chunks of steps
        self.call("pause")

    def show_step(self, step: int) -> None:
        """Show step ``step`` of the run (scrubbing): only the last of many quick requests is served."""
        self.worker.flags.want_step(step)
        self.call("show_step")

    def cancel(self) -> None:
        self.worker.flags.cancel.set()

    def snapshot_drawn(self) -> None:
        self.worker.flags.frames.take()

    def _answer_idle_check(self) -> None:
        # A zero timer fires once the event queue is empty: paints and input included.
        QTimer.singleShot(0, self._idle_once_drawn)

    def _idle_once_drawn(self) -> None:
        if self.drawing():
            QTimer.singleShot(0, self._idle_once_drawn)  # behind the frame's next event
        else:
            self.worker.flags.gui_idle.set()

    def stop(self, timeout_ms: int = 5000) -> bool:
        """Stop training and the thread; True when the thread has finished."""
        if not self.model_thread.isRunning():
            return True
        self.call("shutdown")
        return self.model_thread.wait(timeout_ms)
