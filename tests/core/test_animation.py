"""Animations without a window: frame steps, durations, step ranges, frames rebuilt from the timeline."""

from __future__ import annotations

import numpy as np
import pytest

from gdsim.core import animation
from gdsim.core.errors import GdsimError
from gdsim.core.files.frames import GIF, PNG, AnimationWriter, Gate, Cancelled, parse_target
from gdsim.core.scenarios import get_scenario
from gdsim.core.settings import Settings
from gdsim.core.snapshot import run_info, trace_indices
from gdsim.core.timeline import Timeline


def test_short_runs_have_a_frame_a_step():
    assert animation.frame_steps(0, 5, 60) == [0, 1, 2, 3, 4, 5]


def test_long_runs_spread_frames_evenly_from_first_to_last():
    steps = animation.frame_steps(0, 1000, 11)
    assert steps == list(range(0, 1001, 100))
    steps = animation.frame_steps(3, 997, 7)
    assert steps[0] == 3 and steps[-1] == 997 and len(set(steps)) == 7 and steps == sorted(steps)


@pytest.mark.parametrize("frames", [0, 1, 501])
def test_frames_out_of_range_are_refused(frames):
    with pytest.raises(GdsimError, match="2 to 500 frames"):
        animation.frame_steps(0, 10, frames)


def test_durations_add_up_to_the_frame_rate_in_gif_ticks():
    d = animation.frame_durations(30, 15, hold_last_ms=0)
    assert all(x % 10 == 0 for x in d)
    assert sum(d) == 2000  # 30 frames at 15 fps
    d = animation.frame_durations(4, 10)
    assert d == [100, 100, 100, 100 + animation.HOLD_LAST_MS]


def test_step_ranges():
    assert animation.parse_step_range("3:9") == (3, 9)
    assert animation.parse_step_range(":9") == (None, 9)
    assert animation.parse_step_range("3:") == (3, None)
    for bad in ("", ":", "a:b", "9:3", "-1:4"):
        with pytest.raises(GdsimError):
            animation.parse_step_range(bad)
    assert animation.resolve_range(None, None, 0, 20) == (0, 20)
    with pytest.raises(GdsimError, match=r"outside the run \(the run's steps are 0 to 20\)"):
        animation.resolve_range(5, 30, 0, 20)


def test_targets():
    assert parse_target("run.gif").kind == GIF
    t = parse_target("out/f_%04d.png")
    assert t.kind == PNG and t.frame_name(12) == "out/f_0012.png"
    for bad in ("run.png", "run.txt", "a_%d_%d.png", "a_%d.gif"):
        with pytest.raises(GdsimError):
            parse_target(bad)


def _run(steps=40, scenario="parabola", **settings):
    scenario = get_scenario(scenario)
    settings = {"lr": 0.9, **settings} if scenario.name == "parabola" else settings
    trainer = scenario.build(Settings(scenario=scenario.name, steps=steps, **settings), track_tensor_norms=True)
    info = run_info(1, scenario, trainer, trainer.settings)
    trainer.start_trace(trace_indices(info, info.tracked))
    timeline = Timeline(trainer)
    while trainer.step_count < steps:
        trainer.run(limit=3)
        timeline.after_steps(trainer)
    return scenario, trainer, info, timeline


def test_frames_are_the_run_as_it_was_at_each_step():
    scenario, trainer, info, timeline = _run()
    steps = animation.frame_steps(0, trainer.step_count, 9)
    source = animation.FrameSource(info, trainer, timeline, animation.scratch_for(scenario, trainer), steps)
    snaps = [source.next() for _ in steps]
    assert [s.step for s in snaps] == steps
    assert snaps[0].step == 0 and len(snaps[0].steps) == 0  # the initial weights, no loss yet
    assert snaps[-1].values.tolist() == trainer.params.values.tolist()  # the last is the run's last step
    rows = np.concatenate([s.steps for s in snaps])
    assert rows.tolist() == list(range(1, trainer.step_count + 1))  # every row once: the curve grows
    assert len({float(s.values[0]) for s in snaps}) == len(snaps)  # the zig-zag moves every frame
    final = source.final()
    assert final.step == trainer.step_count and len(final.steps) == trainer.step_count


def test_writer_makes_a_looping_gif_of_the_frames(tmp_path):
    from PIL import Image

    frames = [Image.new("RGB", (40, 30), (k * 40, 0, 0)) for k in range(5)]
    every = Image.new("RGB", (40, 30))
    for k, f in enumerate(frames):
        every.paste(f.crop((0, 0, 8, 30)), (8 * k, 0))  # a picture with every frame's colour
    durations = animation.frame_durations(5, 10)
    writer = AnimationWriter(parse_target(str(tmp_path / "a.gif")), durations)
    writer.set_palette(every)
    for f in frames:
        writer.add(f)
    assert writer.finish() == [str(tmp_path / "a.gif")]
    with Image.open(tmp_path / "a.gif") as gif:
        assert gif.n_frames == 5 and gif.size == (40, 30) and gif.info["loop"] == 0
        got = []
        for k in range(5):
            gif.seek(k)
            got.append(gif.info["duration"])
        assert got == durations
    assert [p.name for p in tmp_path.iterdir()] == ["a.gif"]


def test_png_frames_are_numbered_and_a_cancel_leaves_nothing(tmp_path):
    from PIL import Image

    writer = AnimationWriter(parse_target(str(tmp_path) + "/"), [100, 100, 100])
    for k in range(3):
        writer.add(Image.new("RGB", (8, 8), (k, k, k)))
    gate = Gate()
    assert gate.close()
    with pytest.raises(Cancelled):
        writer.finish(gate)
    assert list(tmp_path.iterdir()) == []
    writer = AnimationWriter(parse_target(str(tmp_path) + "/"), [100, 100, 100])
    for k in range(3):
        writer.add(Image.new("RGB", (8, 8), (k, k, k)))
    writer.finish()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frame_0001.png", "frame_0002.png", "frame_0003.png"]


# ----- the landscape -------------------------------------------------------------------------------


def test_the_landscape_is_a_view_of_runs_with_a_plane_of_weights():
    fruit = _run(2, "fruit")[2]
    parabola = _run(2)[2]
    assert animation.LANDSCAPE in animation.views_of(fruit)
    assert animation.LANDSCAPE not in animation.views_of(parabola)
    assert animation.views_of(parabola) == ["all", "loss", "predictions", "gradients"]
    with pytest.raises(GdsimError, match="one-weight model has no landscape to animate.*predictions view"):
        animation.check_view(animation.LANDSCAPE, parabola)


def test_the_landscape_is_one_grid_at_the_last_step_over_the_animated_path():
    from gdsim.core import landscape, surface

    scenario, trainer, info, timeline = _run(30, "fruit")
    steps = animation.frame_steps(10, 25, 6)
    source = animation.FrameSource(info, trainer, timeline, animation.scratch_for(scenario, trainer), steps)
    s = source.landscape(surface.Request(surface.WEIGHTS, 0, 1))
    assert source.surface is s and s.step == 25 and s.plane.indices == (0, 1)
    # The grid is the loss at step 25's weights, every other weight held as it was then.
    at_25 = scenario.build(trainer.settings.replace(steps=None))
    assert at_25.advance(25) is None
    np.testing.assert_array_equal(s.plane.origin, at_25.params.values)
    np.testing.assert_array_equal(s.loss, landscape.loss_grid(at_25, s.plane, s.a, s.b))
    # The path and the extent are the animated steps': 10 to 25, not the run's first steps.
    np.testing.assert_array_equal(s.path_steps, np.arange(10, 26))
    np.testing.assert_array_equal(s.path, trainer.trace.values[10:26][:, [0, 1]])
    assert s.box == landscape.extent(s.path)
    (a0, a1), _ = s.box
    assert not a0 <= trainer.trace.values[0, 0] <= a1  # step 0 is off this map: it fits the steps animated
    # The frames are made as before, and the prepared ones carry the grid.
    frames = animation.PreparedFrames.made_from(source)
    assert frames.surface is s and [frames.next().step for _ in steps] == steps


def test_the_path_slice_of_an_animation_is_that_of_its_steps():
    from gdsim.core import surface

    scenario, trainer, info, timeline = _run(30, "quadratic")
    source = animation.FrameSource(info, trainer, timeline, animation.scratch_for(scenario, trainer), [12, 20, 30])
    s = source.landscape(surface.Request(surface.PCA))
    np.testing.assert_array_equal(s.path_steps, np.arange(12, 31))
    np.testing.assert_allclose(s.path[-1], [0.0, 0.0], atol=1e-9)  # through the last step's weights
    short = animation.FrameSource(info, trainer, timeline, animation.scratch_for(scenario, trainer), [29, 30])
    with pytest.raises(GdsimError, match="no landscape to animate: the principal directions of the path need"):
        short.landscape(surface.Request(surface.PCA))
