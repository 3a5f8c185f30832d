"""A learning-rate range test, as fastai's ``Learner.lr_find`` runs it, and what it suggests.

From a run's current weights and state, a copy of the run trains with the learning rate growing
exponentially each step; each step's loss (computed before its update, as the history records
it) is smoothed, and a rule reads a learning rate off the smoothed curve. The run itself is never
touched: the copy is a second trainer built from the same settings and given the run's checkpoint.

What follows fastai (``fastai/callback/schedule.py``: ``LRFinder``, ``lr_find``, ``valley`` and
``minimum``; the smoothing is ``AvgSmoothLoss`` in ``fastai/learner.py``):

- step k of n (k from 0) trains at ``start * (end / start) ** (k / n)`` (``SchedExp`` at
  ``train_iter / num_it``): the last step is just below ``end``;
- the smoothed loss is an exponential moving average with beta 0.98, debiased:
  ``avg = beta * avg + (1 - beta) * loss``, read as ``avg / (1 - beta ** steps_so_far)``;
- the test stops after the step whose smoothed loss passes 4 times the lowest smoothed loss so
  far (that step is recorded, as fastai's Recorder records it before the stop), or when the
  steps run out;
- both rules read the smoothed losses less the first tenth of the steps asked for and the last 5
  recorded (``[num_it//10:-5]``);
- ``minimum``: a tenth of the learning rate at the lowest smoothed loss (fastai's ``minimum``,
  Leslie Smith's "an order of magnitude below" and fastai 1's default);
- ``valley``: the longest valley is the longest strictly falling sequence of smoothed losses
  (not necessarily consecutive), found as fastai's loop finds it, its start included (see
  ``longest_valley``); the suggestion lies a third and half a third (about half) of the way
  into it (fastai 2's default).

Where this differs, and why:

- a step whose loss, gradient or new weights are not finite is not taken by the engine (a
  divergence, not an exception): the test ends there, without that step. fastai records a NaN
  and drops it and everything after; here there is nothing to drop;
- fastai always names a learning rate. Here a rule gives none, and says why, when fewer than
  ``MIN_POINTS`` points are left after the cuts (a test that diverged early, or too few steps),
  when the smoothed loss never fell twice (valley) or was lowest at the first point kept
  (minimum): no learning rate in the range was seen to train. (fastai's valley would name the
  first point, or for a two-point valley at the very start the LAST point, by index -1.)

Why ``minimum`` is the default rule, not fastai 2's ``valley``: a copy that keeps training makes
the loss fall at every learning rate below the largest stable one, so on these lessons (full
batches, few weights, steep surfaces) the smoothed loss falls from the first step to the blow-up.
The valley is then the whole range the rules read, and its suggestion the middle of that range
on a log scale, whatever the lesson: with fastai's range parabola, micrograd and digits all get
0.0012, and the quadratic 8.3e-6, below its lesson's 1e-5 and slower. Only the blow-up says
something about the lesson. SGD is stable below 2 / (the loss's largest curvature): 3.5e-5 for
the quadratic (its t**2 reaches 361), 1.1e-4 for fruit, 1 for the parabola. Just past that limit
the loss grows slowly at first: the smoothed loss is lowest 3.3 to 3.7 times past it (20% steps),
and a tenth of that is about a third of the limit: 1.3e-5 for the quadratic, 4e-5 for fruit,
0.33 for the parabola. For the quadratic, whose best rate is just under its limit, that is only
a little faster than the lesson's 1e-5; fruit's 200 steps end 4 times lower than at 1e-5.

Neither rule is right from every state. A range test sees that a learning rate is too large only
once the loss has grown, and from weights whose steep direction has settled that takes longer:
after the quadratic's 100 lesson steps the smoothed loss is lowest at 4.8e-4, and the minimum
rule's 4.8e-5 is past the limit (200 steps at it take the loss from 325 to 1.7e62; the valley's
1.45e-5 trains). From digits' weights after 30 steps the loss hardly moves before it falls, and
the minimum rule names 7.6e-8 where the valley, whose premise (a plateau, then a fall) holds
there, names 0.91.

Defaults: fastai's own range, 1e-7 to 10 in 100 steps. It spans every lesson's learning rate,
from the quadratic's 1e-5 to digits' 1.0, and each step multiplies the rate by 10**0.08 (20%).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .data.dataset import OBJECTIVE
from .errors import GdsimError
from .settings import MAX_LR, Number

DEFAULT_START = 1e-7
DEFAULT_END = 10.0
DEFAULT_STEPS = 100
MAX_STEPS = 10_000  # the valley rule compares every pair of points: 10**8 comparisons at most

BETA = 0.98  # fastai's AvgSmoothLoss
BLOWUP = 4.0  # fastai's LRFinder: stop once the smoothed loss passes 4x its lowest
SKIP_START = 10  # the rules leave out the first tenth of the steps asked for...
SKIP_END = 5  # ... and the last 5 recorded
MIN_POINTS = 3  # fewer left after the cuts are not a curve to read
MIN_VALLEY = 3  # a fall of the loss seen twice; fewer is no valley

STOP_STEPS = "steps"
STOP_BLOWUP = "blowup"
STOP_DIVERGED = "diverged"

MINIMUM, VALLEY = "minimum", "valley"
RULES = (MINIMUM, VALLEY)
RULE_NAMES = {MINIMUM: "fastai's minimum rule", VALLEY: "fastai's valley rule"}
DEFAULT_RULE = MINIMUM

START = Number("the range test's first learning rate", low=0, above_low=True, high=MAX_LR)
END = Number("the range test's last learning rate", low=0, above_low=True, high=MAX_LR)
STEPS = Number("the number of test steps", whole=True, low=1, high=MAX_STEPS)


@dataclass(frozen=True)
class Suggestion:
    """What one rule reads off a test."""

    rule: str  # MINIMUM or VALLEY
    lr: float | None  # None: the rule had too little to go on
    # The learning rates it read: the valley's first and last, or the first kept and the one where
    # the smoothed loss was lowest.
    came_from: tuple[float, float] | None
    how: str  # how ``lr`` was reached, or why there is none: a clause for a sentence


@dataclass(frozen=True, eq=False)
class RangeTest:
    """What a range test trained and what its rules suggest. Arrays hold one entry per step taken."""

    start: float
    end: float
    steps: int  # asked for
    from_step: int  # the run's step the test started after
    lrs: np.ndarray
    losses: np.ndarray  # each step's loss, before its update
    smoothed: np.ndarray  # fastai's debiased moving average of ``losses``
    stopped: str  # STOP_STEPS, STOP_BLOWUP or STOP_DIVERGED
    why_stopped: str
    rule: str  # the rule whose suggestion ``suggestion`` is
    by_minimum: Suggestion
    by_valley: Suggestion

    @property
    def suggested(self) -> Suggestion:
        return self.by_minimum if self.rule == MINIMUM else self.by_valley

    @property
    def suggestion(self) -> float | None:
        return self.suggested.lr

    @property
    def why_no_suggestion(self) -> str | None:
        return None if self.suggestion is not None else self.suggested.how

    @property
    def valley(self) -> tuple[float, float] | None:
        """The first and last learning rate of fastai's valley, whichever rule suggests."""
        return self.by_valley.came_from

    @property
    def taken(self) -> int:
        return len(self.lrs)


def check_range(start: float, end: float, steps: int, rule: str = DEFAULT_RULE) -> tuple[float, float, int]:
    """The test's choices checked in one place: (start, end, steps), or a GdsimError."""
    start, end, steps = START.check(start), END.check(end), STEPS.check(steps)
    if not end > start:
        raise GdsimError(f"the range test's last learning rate ({end:g}) must be above its first ({start:g})")
    if rule not in RULES:
        raise GdsimError(f"unknown rule {rule!r:.40}; choose from {', '.join(RULES)}")
    return start, end, steps


def check_loss(trainer) -> None:
    """A GdsimError if the run's loss can fall without bound (the chain-rule lesson's L): the 4x
    stop and the smoothing compare losses as sizes."""
    if trainer.loss.target_kind == OBJECTIVE:
        raise GdsimError(f"a range test compares the loss with its lowest value, so it needs a loss that "
                         f"cannot go below 0; {trainer.loss.describe()} has no lower bound")


def schedule(start: float, end: float, steps: int) -> np.ndarray:
    """The learning rate of each step: fastai's SchedExp at k / steps."""
    return np.array([start * (end / start) ** (k / steps) for k in range(steps)])


def find_lr(scenario, trainer, start: float = DEFAULT_START, end: float = DEFAULT_END,
            steps: int = DEFAULT_STEPS, rule: str = DEFAULT_RULE) -> RangeTest:
    """The range test from ``trainer``'s current state (``scenario`` built it), on a copy.

    Uses the run's optimizer (its state too), batch size, batch order, gradient zeroing and
    penalties; only the learning rate is the test's. ``trainer`` is left exactly as it was.
    """
    start, end, steps = check_range(start, end, steps, rule)
    check_loss(trainer)
    lrs, losses, smoothed, stopped, why = _train(_copy(scenario, trainer), schedule(start, end, steps))
    kept = slice(steps // SKIP_START, max(len(smoothed) - SKIP_END, 0))  # fastai's [num_it//10:-5]
    return RangeTest(start, end, steps, trainer.step_count, lrs, losses, smoothed, stopped, why, rule,
                     minimum_rule(lrs[kept], smoothed[kept], steps, len(smoothed)),
                     valley_rule(lrs[kept], smoothed[kept], steps, len(smoothed)))


def _copy(scenario, trainer):
    """A second trainer of the same run at the same step: same weights, gradients, optimizer
    state and batch order, recording only what the test reads."""
    copy = scenario.build(trainer.settings, dtype=trainer.params.dtype, record_updates=False)
    copy.restore(*trainer.checkpoint())
    copy.zero_grad, copy.l1, copy.l2 = trainer.zero_grad, trainer.l1, trainer.l2
    return copy


def _train(copy, lrs: np.ndarray):
    """Train ``copy`` one step per learning rate until the smoothed loss blows up or a step diverges."""
    losses, smoothed = [], []
    average, best = 0.0, math.inf
    stopped, why = STOP_STEPS, f"all {len(lrs)} steps were taken, up to lr {lrs[-1]:.3g}"
    for k, lr in enumerate(lrs):
        copy.lr = float(lr)
        stop = copy.advance(1)
        if stop is not None:
            stopped, why = STOP_DIVERGED, _diverged(k + 1, lr, stop.divergence.quantity)
            break
        loss = copy.last_loss
        average = BETA * average + (1 - BETA) * loss
        smooth = average / (1 - BETA ** (k + 1))
        if not math.isfinite(smooth):  # a loss near float64's largest, averaged
            stopped, why = STOP_DIVERGED, f"step {k + 1} (lr {lr:.3g}) made the smoothed loss overflow"
            break
        losses.append(loss)
        smoothed.append(smooth)
        best = min(best, smooth)
        if smooth > BLOWUP * best:
            stopped = STOP_BLOWUP
            why = (f"at step {k + 1} (lr {lr:.3g}) the smoothed loss passed {BLOWUP:g} times its lowest "
                   f"({smooth:.4g} > {BLOWUP:g} x {best:.4g})")
            break
    n = len(losses)
    return _read_only(lrs[:n].copy()), _read_only(losses), _read_only(smoothed), stopped, why


def _read_only(values) -> np.ndarray:
    """An array a frozen RangeTest can hand out: nobody who reads it can change it."""
    array = np.array(values, dtype=float)
    array.flags.writeable = False
    return array


def _diverged(step: int, lr: float, quantity: str) -> str:
    what = {"loss": "its loss", "gradient": "its gradient", "parameters": "the weights it gave"}[quantity]
    return f"step {step} (lr {lr:.3g}) diverged: {what} would not be finite, so it was not taken"


def _too_short(rule: str, lrs: np.ndarray, steps: int, taken: int) -> Suggestion | None:
    if len(lrs) >= MIN_POINTS:
        return None
    return Suggestion(rule, None, None, (
        f"the test took {taken} step{'s' * (taken != 1)}, which leaves {len(lrs)} after "
        f"the first tenth of the {steps} asked for and the last {SKIP_END}; the rule needs {MIN_POINTS}"))


def minimum_rule(lrs: np.ndarray, smoothed: np.ndarray, steps: int, taken: int) -> Suggestion:
    """fastai's ``minimum`` on the kept points: a tenth of the learning rate at the lowest smoothed loss."""
    short = _too_short(MINIMUM, lrs, steps, taken)
    if short is not None:
        return short
    lowest = int(np.argmin(smoothed))
    if lowest == 0:
        return Suggestion(MINIMUM, None, None, "the smoothed loss was lowest at the first learning rate "
                                               "kept, so none in the range was seen to train")
    lr = float(lrs[lowest])
    return Suggestion(MINIMUM, lr / 10, (float(lrs[0]), lr), f"a tenth of lr {lr:.3g}, where the smoothed loss "
                                                              f"was lowest ({smoothed[lowest]:.4g}) but for the first "
                                                              f"tenth of the steps and the last {SKIP_END}")


def valley_rule(lrs: np.ndarray, smoothed: np.ndarray, steps: int, taken: int) -> Suggestion:
    """fastai's ``valley`` on the kept points."""
    short = _too_short(VALLEY, lrs, steps, taken)
    if short is not None:
        return short
    start, end, length = longest_valley(smoothed)
    if length < MIN_VALLEY:
        return Suggestion(VALLEY, None, None, "the smoothed loss never fell twice, so no learning rate in "
                                              "the range was seen to train")
    sections = (end - start) / 3
    index = start + int(sections) + int(sections / 2)
    first, last = float(lrs[max(start, 0)]), float(lrs[end])
    return Suggestion(VALLEY, float(lrs[index]), (first, last),
                      f"about half way into the longest fall of the smoothed loss, "
                      f"from lr {first:.3g} to {last:.3g}")


def longest_valley(losses: np.ndarray) -> tuple[int, int, int]:
    """fastai's ``valley`` search, step for step: (start, end, length of the longest strictly
    falling sequence of ``losses``). ``end`` is the first point that ends a longest one. ``start``
    is fastai's: ``end`` minus the sequence's length as it stood when that point first outgrew
    every earlier one (fastai's inner loop stops updating it then). It is -1 for a sequence from
    the first point, and may lie after the sequence's true start."""
    n = len(losses)
    falling = np.ones(n, dtype=np.int64)  # the longest falling sequence ending at each point
    start = end = 0
    for i in range(1, n):
        # fastai's inner loop over j < i, as a running maximum: the length at i after each j.
        lengths = np.maximum.accumulate(np.where(losses[:i] > losses[i], falling[:i] + 1, 1))
        falling[i] = lengths[-1]
        longer = np.flatnonzero(lengths > falling[end])
        if longer.size:
            start, end = i - int(lengths[longer[0]]), i
    return start, end, int(falling[end])


def typed(lr: float) -> float:
    """A suggested learning rate as a person types it, to three significant figures: what the
    window applies (Use this lr) and what a race's racers are given."""
    return float(f"{lr:.3g}")


def fair_lr(scenario, trainer) -> tuple[float, str | None]:
    """A race's fair learning rate for ``trainer``'s run: its own range test's suggestion (``typed``),
    since one learning rate shared by every optimizer favours some; where the test suggests none,
    the run's own lr and why."""
    test = find_lr(scenario, trainer)
    if test.suggestion is None:
        return trainer.lr, test.why_no_suggestion
    return typed(test.suggestion), None
