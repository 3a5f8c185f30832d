"""Writing an animation's frames: an animated GIF, or numbered PNG files, encoded by Pillow.

Frames arrive one at a time (``AnimationWriter.add``, RGB Pillow images of one size) and are
kept encoded in memory (a GIF's frames as palette images, a PNG's as its bytes); ``finish``
writes everything at once, atomically (``files.atomic``): until then nothing is on disk, so a
cancelled or failed animation leaves nothing behind and nothing it would have replaced changes.

A GIF's frames share one palette, taken from one picture that has the animation's colours
(``set_palette``: its last frame, drawn first), so Pillow stores only what changed from frame
to frame and the file stays small; it loops forever.

Targets (``parse_target``):
- ``run.gif``: one animated GIF;
- ``frames/`` (an existing folder, or a name ending in ``/``): ``frames/frame_0001.png``, ...;
- ``frames/fruit_%04d.png``: ``fruit_0001.png``, ... (a printf-style number, as ffmpeg's).
"""

from __future__ import annotations

import io
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from ..errors import GdsimError
from .atomic import all_or_none, atomic_path, atomic_writer, check_writable

GIF, PNG = "gif", "png"
DEFAULT_PATTERN = "frame_%04d.png"
_NUMBER = re.compile(r"%0?\d*d")


class Cancelled(Exception):
    """The animation was cancelled before its files were renamed into place: none was."""


class Gate:
    """Cancel from another thread, decided once: either the files are renamed into place (and a
    late ``close`` returns False) or they never are (``close`` came first, and returned True)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.closed = False
        self.passed = False

    def close(self) -> bool:
        with self.lock:
            if self.passed:
                return False
            self.closed = True
            return True


@dataclass(frozen=True)
class Target:
    kind: str  # GIF or PNG
    path: str  # the GIF, or the PNG frames' pattern (one %d)

    def frame_name(self, number: int) -> str:
        """The file of frame ``number`` (from 1)."""
        if self.kind == GIF:
            return self.path
        folder, name = os.path.split(self.path)
        return os.path.join(folder, _NUMBER.sub(lambda m: m.group(0) % number, name, count=1))

    def describe(self, n: int) -> str:
        if self.kind == GIF:
            return self.path
        return f"{self.frame_name(1)} ... {self.frame_name(n)}" if n > 1 else self.frame_name(1)


def parse_target(text: str) -> Target:
    """Where an animation goes, from a name (see the module's notes); a ``GdsimError`` else."""
    if not text or not text.strip():
        raise GdsimError("the animation's file name is empty")
    lower = text.lower()
    if lower.endswith(".gif"):
        if _NUMBER.search(text):
            raise GdsimError(f"{text!r}: a GIF is one file; a %d numbers PNG frames (NAME_%04d.png)")
        return Target(GIF, text)
    if text.endswith(("/", os.sep)) or Path(text).is_dir():
        return Target(PNG, os.path.join(text, DEFAULT_PATTERN))
    if lower.endswith(".png"):
        name, parent = Path(text).name, str(Path(text).parent)
        if len(_NUMBER.findall(name)) != 1 or "%" in _NUMBER.sub("", name) or "%" in parent:
            raise GdsimError(f"{text!r}: name PNG frames with one number in the file's name, as NAME_%04d.png "
                             f"(or give a folder, for {DEFAULT_PATTERN})")
        return Target(PNG, text)
    raise GdsimError(f"cannot write an animation to {text!r}: give a .gif file, a folder for PNG frames, "
                     f"or NAME_%04d.png")


def check_target(target: Target, frames: int) -> None:
    """Fail before any work if the animation could not be written."""
    if target.kind == GIF:
        check_writable(target.path)
        return
    folder = Path(target.path).parent
    if str(folder) and not folder.is_dir():
        raise GdsimError(f"cannot write the frames {target.describe(frames)!r}: folder {str(folder)!r} does not exist")
    check_writable(target.frame_name(1))


class AnimationWriter:
    """Frames in (``add``), files out (``finish``), or nothing (``discard``). Not thread-safe:
    one thread adds and finishes (the window's encoder thread, or the command line)."""

    def __init__(self, target: Target, durations_ms: list[int]):
        from PIL import Image  # here: only an animation needs Pillow

        self._image = Image
        self.target = target
        self.durations = list(durations_ms)
        self._palette = None
        self._frames: list = []  # GIF: palette images; PNG: encoded bytes
        self.size = None

    def __len__(self) -> int:
        return len(self._frames)

    def set_palette(self, image) -> None:
        """The colours every GIF frame is drawn with: those of ``image`` (of the frames' size)."""
        if self.target.kind == GIF:
            self._palette = self._quantized_palette(image)

    def _quantized_palette(self, image):
        Image = self._image
        return image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)

    def add(self, image) -> None:
        """The next frame (a Pillow image; every frame has the first's size)."""
        Image = self._image
        image = image.convert("RGB")
        if self.size is None:
            self.size = image.size
        elif image.size != self.size:
            raise ValueError(f"frame {len(self._frames) + 1} is {image.size}, the first was {self.size}")
        if len(self._frames) >= len(self.durations):
            raise ValueError(f"more frames than durations ({len(self.durations)})")
        if self.target.kind == GIF:
            if self._palette is None:
                self._palette = self._quantized_palette(image)
            self._frames.append(image.quantize(palette=self._palette, dither=Image.Dither.NONE))
        else:
            out = io.BytesIO()
            image.save(out, format="PNG", optimize=False, compress_level=6)
            self._frames.append(out.getvalue())

    def finish(self, gate: Gate | None = None) -> list[str]:
        """Write the frames (all of them, or none); the names written. With ``gate``, closed
        (cancelled) before the renames, nothing is written and ``Cancelled`` is raised."""
        if len(self._frames) != len(self.durations):
            raise ValueError(f"{len(self._frames)} frames for {len(self.durations)} durations")
        gate = gate or Gate()
        held = False
        try:
            if self.target.kind == GIF:
                first, *rest = self._frames
                with atomic_path(self.target.path) as tmp:
                    first.save(tmp, format="GIF", save_all=True, append_images=rest, duration=self.durations,
                               loop=0, optimize=False, disposal=1)
                    held = gate.lock.acquire()
                    if gate.closed:
                        raise Cancelled
                written = [self.target.path]
            else:
                written = []
                with all_or_none():
                    for k, data in enumerate(self._frames, start=1):
                        name = self.target.frame_name(k)
                        with atomic_writer(name, "wb") as fh:
                            fh.write(data)
                        written.append(name)
                    held = gate.lock.acquire()
                    if gate.closed:
                        raise Cancelled
            gate.passed = True
        finally:
            if held:
                gate.lock.release()
            self._frames = []
        return written

    def discard(self) -> None:
        self._frames = []


def to_pillow(width: int, height: int, stride: int, rgb: bytes):
    """A Pillow RGB image of rows of ``stride`` bytes (a QImage's Format_RGB888 bits)."""
    from PIL import Image

    return Image.frombuffer("RGB", (width, height), bytes(rgb), "raw", "RGB", stride, 1).copy()
