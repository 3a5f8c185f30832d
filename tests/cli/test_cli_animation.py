"""gdsim run --animate-out: the animation end to end, and its bad input."""

from __future__ import annotations

import pytest

from gdsim.cli import main


def test_parabola_gif_end_to_end(tmp_path, capsys):
    from PIL import Image

    out = tmp_path / "zigzag.gif"
    assert main(["run", "parabola", "--lr", "0.9", "--steps", "20", "--frames", "8", "--fps", "5",
                 "--animate-out", str(out), "--quiet"]) == 0
    with Image.open(out) as gif:
        assert gif.n_frames == 8
        first = gif.convert("RGB").tobytes()
        gif.seek(7)
        assert gif.info["duration"] == 200 + 1500  # 5 fps, the last frame held
        assert gif.convert("RGB").tobytes() != first
    assert [p.name for p in tmp_path.iterdir()] == ["zigzag.gif"]


def test_png_frames_in_a_folder_at_scale_2(tmp_path):
    from PIL import Image

    assert main(["run", "parabola", "--steps", "3", "--animate-out", str(tmp_path) + "/", "--scale", "2",
                 "--quiet"]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["frame_0001.png", "frame_0002.png", "frame_0003.png", "frame_0004.png"]
    with Image.open(tmp_path / "frame_0001.png") as a, Image.open(tmp_path / "frame_0004.png") as b:
        assert a.size == b.size and a.size[0] > 2000  # 2x the 1400-pixel figure
        assert a.tobytes() != b.tobytes()


@pytest.mark.parametrize("args, message", [
    (["--frames", "1"], "2 to 500 frames"),
    (["--fps", "0"], "frame rate"),
    (["--animate-steps", "3:30"], "outside the run"),
    (["--animate-steps", "9:3"], "ends before it starts"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, message):
    code = main(["run", "parabola", "--steps", "20", "--animate-out", str(tmp_path / "a.gif"), *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_unwritable_targets(tmp_path, capsys):
    for target, message in ((str(tmp_path / "no" / "a.gif"), "does not exist"), ("a.txt", "give a .gif file")):
        assert main(["run", "parabola", "--steps", "5", "--animate-out", target]) == 2
        assert message in capsys.readouterr().err
    assert main(["run", "parabola", "--steps", "5", "--frames", "4"]) == 2
    assert "--frames goes with --animate-out" in capsys.readouterr().err


@pytest.mark.parametrize("view", ["loss", "predictions", "gradients"])
def test_one_view_at_a_chosen_size(tmp_path, view):
    from PIL import Image

    out = tmp_path / f"{view}.gif"
    assert main(["run", "parabola", "--lr", "0.9", "--steps", "6", "--animate-out", str(out), "--animate-view", view,
                 "--animate-size", "640x400", "--quiet"]) == 0
    with Image.open(out) as gif:
        assert gif.n_frames == 7 and gif.size == (640, 400)


def test_default_sizes_and_scale(tmp_path):
    from PIL import Image

    assert main(["run", "parabola", "--steps", "2", "--animate-out", str(tmp_path / "a.gif"), "--quiet"]) == 0
    assert main(["run", "parabola", "--steps", "2", "--animate-out", str(tmp_path / "b.gif"), "--animate-view", "loss",
                 "--scale", "2", "--quiet"]) == 0
    with Image.open(tmp_path / "a.gif") as a, Image.open(tmp_path / "b.gif") as b:
        assert a.size == (1280, 720) and b.size == (1920, 1080)


@pytest.mark.parametrize("args, message", [
    (["--animate-size", "10x10"], "480x300 to 3840x2160"),
    (["--animate-size", "big"], "WIDTHxHEIGHT"),
    (["--animate-view", "weights"], "invalid choice"),
    (["--animate-view", "graph"], "no computation graph"),
    (["--animate-view", "landscape"], "a one-weight model has no landscape to animate"),
])
def test_bad_view_or_size(tmp_path, capsys, args, message):
    code = main(["run", "parabola", "--steps", "3", "--animate-out", str(tmp_path / "a.gif"), *args])
    assert code == 2 and message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_view_and_size_go_with_animate_out(capsys):
    assert main(["run", "parabola", "--steps", "3", "--animate-view", "loss"]) == 2
    assert "--animate-view goes with --animate-out" in capsys.readouterr().err


def test_the_landscape_draws_every_frame_on_one_grid(tmp_path, monkeypatch):
    """One grid and one colour scale for every frame; the path grows to each frame's weights."""
    from PIL import Image

    from gdsim.app import animation as drawing

    seen = []
    draw = drawing.FrameDrawer.draw

    def recorded(self, snapshot, caption):
        image = draw(self, snapshot, caption)
        xs, ys = self.map.path_curve.getData()
        seen.append((snapshot.step, self.map.image.image.tobytes(), tuple(self.map.colour_bar.levels()), len(xs),
                     (xs[-1], ys[-1]), tuple(snapshot.values[:2])))
        return image

    monkeypatch.setattr(drawing.FrameDrawer, "draw", recorded)
    assert main(["run", "fruit", "--steps", "30", "--animate-out", str(tmp_path) + "/", "--animate-view", "landscape",
                 "--landscape", "weight[0,0],weight[0,1]", "--frames", "6", "--quiet"]) == 0
    frames = seen[1:]  # after the palette's picture (the last step)
    assert [f[0] for f in frames] == [0, 6, 12, 18, 24, 30]
    assert len({f[1] for f in seen}) == 1 and len({f[2] for f in seen}) == 1
    assert [f[3] for f in frames] == [1, 7, 13, 19, 25, 31]  # every step's point, up to the frame's
    assert all(end == weights for *_, end, weights in frames)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 6
    images = []
    for name in names:
        with Image.open(tmp_path / name) as png:
            assert png.size == (960, 540)
            images.append(png.convert("RGB").tobytes())
    assert all(a != b for a, b in zip(images, images[1:]))


@pytest.mark.parametrize("args, message", [
    (["fruit", "--landscape", "weight[0,0],weight[0,1]"], "--landscape chooses the landscape of --plot-out's"),
    (["quadratic", "--animate-view", "landscape", "--landscape", "pca", "--animate-steps", "19:20"],
     "no landscape to animate: the principal directions of the path need a few steps"),
])
def test_a_landscape_that_cannot_be_animated_is_one_line_and_no_file(tmp_path, capsys, args, message):
    code = main(["run", *args, "--steps", "20", "--animate-out", str(tmp_path / "a.gif")])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
