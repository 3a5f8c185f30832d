"""ZoomCanvas.apply_to_all with a canvas whose C++ object is already gone."""

from __future__ import annotations


def test_zooming_skips_a_canvas_deleted_before_its_python_side(qtbot):
    import shiboken6

    from gdsim.app.presentation import ZoomCanvas

    kept = ZoomCanvas()  # a Python reference outlives the C++ object (as a reference cycle does till GC)
    alive = ZoomCanvas()
    qtbot.addWidget(alive)
    shiboken6.delete(kept)
    assert kept in ZoomCanvas._all and not shiboken6.isValid(kept)
    ZoomCanvas.apply_to_all()  # had raised "Internal C++ object (ZoomCanvas) already deleted"
