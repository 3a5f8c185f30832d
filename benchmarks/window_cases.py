"""What the window benchmark trains and the targets it is judged by (issue 12). No Qt, no gdsim:
window_load.py (one run, in the window's process) and window.py (many runs, judged on their
medians) both import it.
"""

from __future__ import annotations

from dataclasses import dataclass

from system import target


@dataclass(frozen=True)
class Case:
    settings: dict | None  # for gdsim.core.settings.Settings; None: own data, from a session
    what: str
    redraws_goal: float | None  # redraws per second at least (None: measured, no target)
    landscape: bool = False  # the Landscape tab shown instead of the predictions


# Issue 12: at least 25 redraws/s for fruit, 15 for digits. The other built-in scenarios are
# one-number or tiny models like fruit (a step takes microseconds), so they get fruit's goal;
# the digits MLP gets digits'. A step of the own-data MLP (784-512-512-1, batch 256) takes tens
# of milliseconds on a slow core, longer than a frame, so it is measured without a redraw goal.
SMALL, DIGITS = 25.0, 15.0
CASES = {
    "fruit": Case({"scenario": "fruit"}, "fruit, default settings", SMALL),
    "quadratic": Case({"scenario": "quadratic"}, "quadratic, default settings", SMALL),
    "micrograd": Case({"scenario": "micrograd"}, "micrograd, default settings", SMALL),
    "digits": Case({"scenario": "digits"}, "digits, linear model, default settings", DIGITS),
    "digits-mlp": Case({"scenario": "digits", "model": "mlp"}, "digits, --model mlp (784-30-1)", DIGITS),
    # Ten classes: ten times digits' weights (784 -> 10) and ten probabilities per image to draw.
    "digits10": Case({"scenario": "digits10"}, "digits10, linear 784 -> 10, default settings", DIGITS),
    "parabola": Case({"scenario": "parabola"}, "parabola, default settings", SMALL),
    # At its own lr the chain-rule's unbounded L diverges at step 82, which ends the run at once.
    "chain-rule": Case({"scenario": "chain-rule", "lr": 1e-7}, "chain-rule at lr 1e-7", SMALL),
    "own-mlp": Case(None, "own CSV, 2,000 x 784, MLP 784-512-512-1, batch 256", None),
    # The loss landscape in place of the predictions: its path grows every frame, and its grid is
    # computed again (in blocks, between the window's turns) each time the run leaves it.
    "fruit-landscape": Case({"scenario": "fruit"}, "fruit with the Landscape tab shown", SMALL, landscape=True),
    "digits-landscape": Case({"scenario": "digits"}, "digits linear with the Landscape tab shown", DIGITS,
                             landscape=True),
}

# Bounds that hold for every case.
UI_DELAY_P99_MS = 50.0
UI_DELAY_WORST_MS = 100.0
APP_VS_HEADLESS = 0.5
PAUSE_MS = 50.0


def judge(case: str, figures: dict, mode: str = "plain") -> list[dict]:
    """Issue 12's targets for one case, judged on ``figures`` (one run's, or the medians of several)."""
    def check(name, key, goal, ok, unit):
        v = figures.get(key)
        return dict(target(f"window {case}: {name}", v, goal, None if v is None or ok is None else ok(v), unit),
                    mode=mode)

    redraws = CASES[case].redraws_goal
    return [
        check("redraws per second", "redraws_per_s", f">= {redraws:g}/s" if redraws else "no target",
              (lambda v: v >= redraws) if redraws else None, "/s"),
        check("UI delay p99", "ui_delay_p99_ms", f"< {UI_DELAY_P99_MS:g} ms", lambda v: v < UI_DELAY_P99_MS, "ms"),
        check("UI delay worst", "ui_delay_worst_ms", f"< {UI_DELAY_WORST_MS:g} ms",
              lambda v: v < UI_DELAY_WORST_MS, "ms"),
        check("training app / headless", "app_vs_headless", f">= {APP_VS_HEADLESS:g}x",
              lambda v: v >= APP_VS_HEADLESS, "x"),
        check("Pause -> last step", "pause_to_last_step_ms", f"<= {PAUSE_MS:g} ms", lambda v: v <= PAUSE_MS, "ms"),
    ]
