"""Any past step of a run, rebuilt exactly: checkpoints every so often, and replay between them.

A run is deterministic: from the state after step c (weights, gradient buffer, optimizer state,
the sampler's place in its batch order) and the live settings in effect, the steps c+1, c+2, ...
come out the same, bit for bit, however often they are taken again. So the timeline keeps the
state at some steps (``Trainer.checkpoint``) and rebuilds step k by restoring the last one at or
before k into a second trainer of the same run and taking the steps between again.

Memory stays bounded: past ``most`` checkpoints, every other one goes and the spacing doubles (as
the history thins), so a replay takes at most about twice ``every`` steps. A change of live settings
(the learning rate, zeroing, the optimizer, ...) takes a checkpoint of its own, which stays: the
steps after it ran with the new settings, and a replay from an older checkpoint would not know.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .settings import Settings

BUDGET_BYTES = 48 * 2**20  # one run's checkpoints together
MOST = 1024  # checkpoints of one run, however small


@dataclass(frozen=True)
class Checkpoint:
    step: int
    settings: Settings  # the live settings the steps after this one were taken with
    scalars: dict
    arrays: dict
    kept: bool  # a settings change (or the run's start): never thinned away
    nbytes: int  # of the arrays


class Timeline:
    """The checkpoints of one run, and the steps between them replayed on request."""

    def __init__(self, trainer, budget_bytes: int = BUDGET_BYTES, most: int = MOST):
        first = _checkpoint(trainer, kept=True)
        self.most = max(4, min(most, budget_bytes // max(1, first.nbytes)))
        self.budget_bytes = budget_bytes
        self.every = 1
        self.marks: list[Checkpoint] = [first]
        self._bytes = first.nbytes

    @property
    def last_step(self) -> int:
        return self.marks[-1].step

    @property
    def nbytes(self) -> int:
        return self._bytes

    def after_steps(self, trainer) -> None:
        """Call after the trainer took steps: a checkpoint once ``every`` steps have passed."""
        if trainer.step_count >= self.last_step + self.every:
            self._add(_checkpoint(trainer, kept=False))

    def settings_changed(self, trainer) -> None:
        """Call after ``trainer.apply(settings)``: the steps from here run with them."""
        mark = _checkpoint(trainer, kept=True)
        if self.marks[-1].step == mark.step:
            self._bytes -= self.marks[-1].nbytes
            self.marks[-1] = mark  # the steps after it have not been taken yet
            self._bytes += mark.nbytes
        else:
            self._add(mark)

    @property
    def first_step(self) -> int:
        """The earliest step that can be rebuilt (0 unless settings changed more than ``most`` times)."""
        return self.marks[0].step

    def up_to(self, step: int) -> "Timeline":
        """This run's timeline until ``step``, for a branch that goes on from there (the
        checkpoints are shared: none is ever changed)."""
        other = object.__new__(Timeline)
        other.most, other.every, other.budget_bytes = self.most, self.every, self.budget_bytes
        other.marks = [m for m in self.marks if m.step <= step]
        other._bytes = sum(m.nbytes for m in other.marks)
        return other

    def weights(self) -> list:
        """(step, every weight) at each checkpoint: a landscape's path where the trace does not
        hold the weights of its plane (a big model's)."""
        return [(m.step, m.arrays["values"]) for m in self.marks]

    def checkpoint_before(self, step: int) -> Checkpoint:
        """The last checkpoint at or before ``step``."""
        steps = [m.step for m in self.marks]
        return self.marks[int(np.searchsorted(steps, step, side="right")) - 1]

    def rebuild(self, step: int, scratch) -> None:
        """Put ``scratch`` (a trainer built from this run's settings) in the state after ``step``
        of this run: the last checkpoint before it, restored, and the steps since, taken again.
        ``step`` must be between ``first_step`` and the run's last step."""
        mark = self.checkpoint_before(step)
        scratch.apply(mark.settings)
        scratch.restore(mark.scalars, mark.arrays)
        stop = scratch.advance(step - mark.step)
        if stop is not None or scratch.step_count != step:
            raise RuntimeError(f"replaying steps {mark.step + 1}-{step} gave another run: "
                               f"{stop.message if stop else scratch.step_count}")

    def _add(self, mark: Checkpoint) -> None:
        self.marks.append(mark)
        self._bytes += mark.nbytes
        # Count and bytes: an optimizer switched mid-run (Adam keeps two more vectors) makes
        # checkpoints bigger than the first one.
        while len(self.marks) > self.most or (self._bytes > self.budget_bytes and len(self.marks) > 2):
            self._thin()

    def _thin(self) -> None:
        """Double the spacing until some go: keep the kept ones and those at least ``every``
        steps after the last one kept."""
        if all(mark.kept for mark in self.marks):
            # Every one is a change of settings (a slider dragged for a long time): the oldest
            # steps go out of reach rather than be rebuilt with the wrong settings.
            self.marks = self.marks[len(self.marks) // 2:]
            self._bytes = sum(m.nbytes for m in self.marks)
            return
        while True:
            self.every *= 2
            thinned = [self.marks[0]]
            for mark in self.marks[1:]:
                if mark.kept or mark.step >= thinned[-1].step + self.every:
                    thinned.append(mark)
            if len(thinned) < len(self.marks):
                self.marks = thinned
                self._bytes = sum(m.nbytes for m in self.marks)
                return


def _checkpoint(trainer, kept: bool) -> Checkpoint:
    scalars, arrays = trainer.checkpoint()
    return Checkpoint(trainer.step_count, trainer.settings, scalars, arrays, kept,
                      sum(a.nbytes for a in arrays.values()))
