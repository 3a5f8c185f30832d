"""File > Export animation: the dialog, an export end to end (GIF and PNG frames), Cancel, a window
that stays responsive meanwhile, and frames whose tick labels are the frame's own."""

from __future__ import annotations

import pytest
from gui_helpers import TIMEOUT, wait_paused_at
from PySide6.QtCore import QTimer

from gdsim.app.animation_dialog import GIF, PNG, AnimationChoice

pytestmark = pytest.mark.gui


def stepped(make_window, qtbot, steps=12, lr=0.9):
    w = make_window(scenario="parabola", lr=lr)
    w.step(steps)
    wait_paused_at(qtbot, w, steps)
    qtbot.waitUntil(lambda: w.timeline.latest == steps, timeout=TIMEOUT)
    return w


def choice(**changes):
    base = dict(view="all", first=0, last=12, frames=5, fps=10.0, size=(640, 400), kind=GIF, caption=True, scale=1)
    return AnimationChoice(**{**base, **changes})


def exported(qtbot, w, path, c):
    """Export, wait for the end; the job's outcome: ("finished", names) / ("cancelled",) / ("failed", msg)."""
    w.export_animation(str(path), c)
    qtbot.waitUntil(lambda: w.animation_export is not None and not w.animation_exporting, timeout=TIMEOUT)
    w.animation_export.wait()
    return w.animation_export


def test_the_dialog_shows_the_run_and_refuses_bad_input(qtbot, make_window):
    w = stepped(make_window, qtbot)
    assert w.animation_action.shortcut().toString() == "Ctrl+Shift+A"
    w.animation_action.trigger()
    d = w.animation_dialog
    qtbot.waitUntil(d.isVisible, timeout=TIMEOUT)
    assert (d.first.value(), d.last.value()) == (0, 12) and "<b>0</b> to <b>12</b>" in d.findChildren(
        type(d.problem))[0].text()
    assert (d.frames.value(), d.fps.value(), d.size.currentText()) == (60, 10.0, "1280x720")
    assert d.kind.currentData() == GIF and d.caption.isChecked()
    assert [d.view.itemData(k) for k in range(d.view.count())] == ["all", "loss", "predictions", "gradients"]
    d.view.setCurrentIndex(1)
    assert d.size.currentText() == "960x540"  # one view's default size
    for control in (d.view, d.first, d.last, d.frames, d.fps, d.size, d.kind, d.caption, d.scale):
        assert control.toolTip()

    d.first.setValue(7)
    d.last.setValue(7)
    d.accept()
    assert d.isVisible() and "no range" in d.problem.text() and d.problem.isVisible()
    d.last.setValue(12)
    d.size.setCurrentText("12x")
    d.accept()
    assert d.isVisible() and "WIDTHxHEIGHT" in d.problem.text()
    d.size.setCurrentText("800x450")
    chosen = []
    w._animation_chosen = chosen.append  # the file dialog is not the dialog's business
    d.accept()
    qtbot.waitUntil(lambda: bool(chosen), timeout=TIMEOUT)
    assert chosen[0] == AnimationChoice("loss", 7, 12, 60, 10.0, (800, 450), GIF, True, 2)
    assert not d.isVisible()


def test_a_gif_end_to_end_while_the_window_stays_responsive(qtbot, make_window, tmp_path):
    from PIL import Image

    w = stepped(make_window, qtbot)
    events = []
    ticker = QTimer()
    ticker.timeout.connect(lambda: events.append("tick"))
    ticker.start(0)
    out = tmp_path / "zigzag.gif"
    try:
        w.export_animation(str(out), choice(frames=6, fps=5.0))
        qtbot.waitUntil(lambda: w.animation_export is not None, timeout=TIMEOUT)
        w.animation_export.progress.connect(lambda done, total: events.append("frame"))
        with qtbot.waitSignal(w.animation_export.finished, timeout=TIMEOUT) as blocker:
            pass
    finally:
        ticker.stop()
    assert blocker.args[0] == [str(out)]
    frames = [k for k, e in enumerate(events) if e == "frame"]
    assert len(frames) >= 2 and "tick" in events[frames[0]:frames[-1]]  # the event loop turned between frames
    with Image.open(out) as gif:
        assert gif.n_frames == 6 and gif.size == (640, 400)
        gif.seek(5)
        assert gif.info["duration"] == 200 + 1500
    assert [p.name for p in tmp_path.iterdir()] == ["zigzag.gif"]
    qtbot.waitUntil(lambda: "saved the animation" in w.statusBar().currentMessage().lower(), timeout=TIMEOUT)
    assert w.animation_progress is None


def test_png_frames_of_one_view_at_scale_2(qtbot, make_window, tmp_path):
    from PIL import Image

    w = stepped(make_window, qtbot, steps=3)
    job = exported(qtbot, w, tmp_path / "loss_%04d.png",
                   choice(view="loss", last=3, frames=60, kind=PNG, size=(480, 300), scale=2))
    assert job.ended
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["loss_0001.png", "loss_0002.png", "loss_0003.png", "loss_0004.png"]
    with Image.open(tmp_path / "loss_0004.png") as png:
        assert png.size == (960, 600)


def test_cancel_midway_leaves_nothing(qtbot, make_window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QPushButton

    from gdsim.app import animation

    start = animation.AnimationExport.start
    cancelled = []

    def started(job):  # Cancel pressed after the third frame
        job.progress.connect(lambda done, total: done == 3 and w.animation_progress.findChild(QPushButton).click())
        job.cancelled.connect(lambda: cancelled.append(True))
        start(job)

    monkeypatch.setattr(animation.AnimationExport, "start", started)
    w = stepped(make_window, qtbot, steps=30)
    out = tmp_path / "cancelled.gif"
    w.export_animation(str(out), choice(last=30, frames=30))
    qtbot.waitUntil(lambda: bool(cancelled), timeout=TIMEOUT)
    job = w.animation_export
    job.wait()
    assert job.ended and job.source.done == 3
    assert list(tmp_path.iterdir()) == []
    assert "cancelled: nothing was written" in w.statusBar().currentMessage().lower()
    # The run is untouched and goes on.
    w.step(1)
    wait_paused_at(qtbot, w, 31)


def test_a_bad_range_is_a_message_and_costs_nothing(qtbot, make_window, tmp_path):
    w = stepped(make_window, qtbot, steps=4)
    with qtbot.waitSignal(w.controller.failed, timeout=TIMEOUT) as blocker:
        w.export_animation(str(tmp_path / "a.gif"), choice(first=2, last=9))
    assert "outside the run" in blocker.args[0]
    assert not w.animation_exporting and list(tmp_path.iterdir()) == []
    w.export_animation(str(tmp_path / "no" / "a.gif"), choice(last=4))
    assert "does not exist" in w.banner.text


@pytest.mark.parametrize("view", ["loss", "gradients", "predictions", "all"])
def test_every_frame_has_its_own_tick_labels(qtbot, make_window, tmp_path, monkeypatch, view):
    """Each frame as painted is the frame painted afresh. The window's event loop turns between
    frames and paints the drawer's views into their viewports too, though they are never on screen:
    that paint takes Qt's one "out of date" mark of an axis's cached pixmaps, and a frame painted
    from its own pixmap after it showed the ticks of the frame before (the first frame, step 0,
    those of the palette's frame, the last step). The reference drops both caches: pyqtgraph's
    picture of the axis and Qt's pixmaps (``update`` marks them out of date for every device)."""
    import pyqtgraph as pg

    from gdsim.app import animation
    from gdsim.app.export import figure_image, placed

    stale = []
    draw = animation.FrameDrawer.draw

    def checked(self, snapshot, caption):
        image = draw(self, snapshot, caption)
        for v in self.views:
            for item in v.canvas.scene().items():
                if isinstance(item, pg.AxisItem):
                    item.picture = None  # its labels made again from its range now
                item.update()
        again = figure_image(placed(self.shown, self.figure), caption, self.scale, measure=self._measure)
        if animation.qimage_to_pillow(again).tobytes() != image.tobytes():
            stale.append(snapshot.step)
        return image

    monkeypatch.setattr(animation.FrameDrawer, "draw", checked)
    w = stepped(make_window, qtbot, steps=20)
    job = exported(qtbot, w, tmp_path / "a.gif", choice(view=view, last=20, frames=21, size=(820, 520)))
    assert job.ended and (tmp_path / "a.gif").exists() and job.source.done == 21
    assert stale == []


def test_the_landscape_is_offered_and_drawn_on_the_plane_its_tab_shows(qtbot, make_window, tmp_path):
    w = make_window(scenario="micrograd")
    w.step(8)
    wait_paused_at(qtbot, w, 8)
    v = w.landscape_view
    with qtbot.waitSignal(w.controller.landscape_ready, timeout=TIMEOUT):
        w.toggle_landscape()
    with qtbot.waitSignal(w.controller.landscape_ready, timeout=TIMEOUT):
        v.first_box.setCurrentIndex(3)
        v.second_box.setCurrentIndex(7)
        v._weights_chosen(7)
    w.animation_action.trigger()
    d = w.animation_dialog
    qtbot.waitUntil(d.isVisible, timeout=TIMEOUT)
    views = [d.view.itemData(k) for k in range(d.view.count())]
    assert views[-1] == "landscape" and d.view.itemText(len(views) - 1) == "Loss landscape"
    assert not d.landscape_note.isVisible()
    d.view.setCurrentIndex(len(views) - 1)
    plane = f"two weights, {w.info.labels[3]} across, {w.info.labels[7]} up"
    assert d.landscape_note.isVisible() and plane in d.landscape_note.text()
    # The dialog grew for the note: laid over the rows below it, it had been cut (seen under Xvfb).
    assert d.height() >= d.layout().totalHeightForWidth(d.width())
    d.reject()

    job = exported(qtbot, w, tmp_path / "map_%04d.png", choice(view="landscape", last=8, frames=9, kind=PNG,
                                                               size=(640, 360)))
    assert job.ended and job.source.surface.plane.indices == (3, 7) and job.source.surface.step == 8
    assert len(list(tmp_path.iterdir())) == 9
    assert "saved the animation" in w.statusBar().currentMessage().lower()


def test_cancel_while_the_landscape_is_computed_leaves_nothing(qtbot, make_window, tmp_path):
    """The grid an animated landscape is drawn on shows its progress with Cancel: a big model's
    takes seconds. Cancelled, nothing is drawn or written and the run goes on."""
    w = make_window(scenario="micrograd")
    w.step(8)
    wait_paused_at(qtbot, w, 8)
    shares = []

    def computing(what, done):
        if done >= 0 and "landscape" in what:
            shares.append(done)
            w.controller.cancel()  # as the progress dialog's Cancel does

    w.controller.progress.connect(computing)
    w.export_animation(str(tmp_path / "map.gif"), choice(view="landscape", last=8, frames=9))
    qtbot.waitUntil(lambda: not w.animation_exporting, timeout=TIMEOUT)
    assert shares and 0 < shares[0] < 1
    assert w.animation_export is None and list(tmp_path.iterdir()) == []
    assert "cancelled: nothing was written" in w.statusBar().currentMessage().lower()
    assert w.progress_dialog is None
    w.step(1)
    wait_paused_at(qtbot, w, 9)
