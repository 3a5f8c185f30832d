"""`gdsim lesson`: --check's lines and exit statuses, shipped lessons by name, --list, and the
window's hook, all headless."""

from __future__ import annotations

import pytest
from cli_helpers import QT, imported_by

from gdsim.cli import main
from gdsim.core.lessons import shipped_lessons

GOOD = """\
gdsim lesson 1
title: Parabola
page: Steady
scenario: parabola
text: lr 0.1 moves in steadily.
action: run 20
expect: x after step 20 is 0.035
expect: loss falls at every step
"""


def cli(capsys, *args):
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def test_check_prints_a_line_per_page_and_expectation_and_exits_0(tmp_path, capsys):
    path = tmp_path / "mine.txt"
    path.write_text(GOOD)
    rc, out, err = cli(capsys, "lesson", path, "--check")
    assert (rc, err) == (0, "")
    assert out.splitlines() == [
        "mine.txt: Parabola, 1 pages",
        "page 1 (Steady): run 20: 20 steps, loss 0.00186923",
        "  ok    line 7: x after step 20 is 0.035 (0.035)",
        "  ok    line 8: loss falls at every step (falls)",
        "all 2 expectations hold",
    ]


def test_a_claim_that_does_not_hold_exits_1(tmp_path, capsys):
    path = tmp_path / "mine.txt"
    path.write_text(GOOD.replace("is 0.035", "is 0.04"))
    rc, out, err = cli(capsys, "lesson", path, "--check")
    assert (rc, err) == (1, "")
    assert "  FAILS line 7: x after step 20 is 0.04 (0.03)\n" in out and out.endswith("1 of 2 expectations fail\n")


def test_a_malformed_file_exits_2_with_one_line(tmp_path, capsys):
    path = tmp_path / "mine.txt"
    path.write_text(GOOD.replace("scenario: parabola", "scenaro: parabola"))
    rc, out, err = cli(capsys, "lesson", path, "--check")
    assert (rc, out) == (2, "")
    assert err == "gdsim: mine.txt, line 4: unknown setting 'scenaro' (did you mean scenario?)\n"


@pytest.mark.parametrize("args, message", [
    (["lesson", "--check"], "gdsim: name a lesson file or a shipped lesson (see gdsim lesson --list)\n"),
    (["lesson", "nosuch", "--check"], "gdsim: no lesson file 'nosuch' and no shipped lesson of that name; "
                                      "shipped lessons: chain-rule, digits, fruit, micrograd, parabola, quadratic\n"),
    (["lesson", "no/such.txt"], "gdsim: no lesson file 'no/such.txt'\n"),
    (["lesson", "--list", "parabola"], "gdsim: --list lists the shipped lessons: give it alone\n"),
])
def test_usage_mistakes(capsys, args, message):
    rc, out, err = cli(capsys, *args)
    assert (rc, out, err) == (2, "", message)


def test_a_shipped_lesson_by_its_bare_name(capsys):
    rc, out, _ = cli(capsys, "lesson", "parabola", "--check")
    assert rc == 0 and out.startswith("parabola.txt: Rolling down x**2, 5 pages\n")
    assert "FAILS" not in out and out.endswith(" expectations hold\n")


def test_list_names_every_shipped_lesson(capsys):
    rc, out, _ = cli(capsys, "lesson", "--list")
    assert rc == 0 and [line.split()[0] for line in out.splitlines()] == shipped_lessons()
    assert "parabola    Rolling down x**2 (5 pages)\n" in out


def test_check_imports_no_qt():
    modules = imported_by((["lesson", "fruit", "--check"], 0), (["lesson", "--list"], 0))
    assert not QT & modules and "gdsim.app" not in modules


def test_help_lists_the_lesson_command(capsys):
    rc, out, _ = cli(capsys, "--help")
    assert rc == 0 and "    lesson    open a lesson file, or check its claims (--check)\n" in out
    rc, out, _ = cli(capsys, "lesson", "--help")
    assert rc == 0 and "--check" in out and "--list" in out
