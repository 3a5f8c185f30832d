"""``gdsim lesson FILE|NAME``: a lesson file (gdsim.core.lessons, docs/lesson-format.md) from the
command line. ``--check`` plays every page's action headless and checks every ``expect:`` line (exit
0 all hold, 1 one fails, 2 the file is malformed); ``--list`` lists the shipped lessons. Without
``--check`` the lesson opens in the window: ``open_lesson_in_app`` is where the app joins in."""

from __future__ import annotations

import sys

from .cli import EXIT_OK, _CliError

EXIT_CLAIM_FAILS = 1


def add_arguments(parser) -> None:
    parser.add_argument("lesson", nargs="?", metavar="FILE|NAME",
                        help="a lesson file, or the name of a lesson gdsim ships (see --list)")
    parser.add_argument("--check", action="store_true",
                        help="play every page's action headless and check every expectation (exit 0: all hold, "
                             "1: one fails, 2: the file is malformed)")
    parser.add_argument("--list", action="store_true", help="list the lessons gdsim ships")
    parser.add_argument("--theme", choices=("system", "light", "dark", "high-contrast"), default="system",
                        help="colours of the window (default: the desktop's)")


def cmd_lesson(args) -> int:
    from .core.errors import GdsimError
    from .core.lessons import find_lesson, load_lesson

    if args.list:
        if args.lesson is not None or args.check:
            raise _CliError("--list lists the shipped lessons: give it alone")
        return _list()
    if args.lesson is None:
        raise _CliError("name a lesson file or a shipped lesson (see gdsim lesson --list)")
    try:
        path = find_lesson(args.lesson)
        lesson = load_lesson(path)
    except GdsimError as exc:
        raise _CliError(str(exc)) from None
    if args.check:
        return check(lesson, sys.stdout)
    return open_lesson_in_app(str(path), args.theme)


def _list() -> int:
    from .core.lessons import load_lesson, shipped_lesson, shipped_lessons

    names = shipped_lessons()
    width = max(map(len, names), default=0)
    for name in names:
        lesson = load_lesson(shipped_lesson(name))
        print(f"{name:<{width}}  {lesson.title} ({len(lesson.pages)} pages)")
    return EXIT_OK


def check(lesson, out) -> int:
    """Every page played, one line each, and one line per expectation: 'ok' or 'FAILS' with what
    the run showed. Exit 0 if every expectation holds, 1 if one does not."""
    from .core.lessons import check_page

    print(f"{lesson.source}: {lesson.title}, {len(lesson.pages)} pages", file=out)
    total = failed = 0
    for number, page in enumerate(lesson.pages, start=1):
        result = check_page(page)
        print(f"page {number} ({page.title}): {result.summary}", file=out)
        for expectation, verdict in result.verdicts:
            total += 1
            failed += not verdict.holds
            word = "ok   " if verdict.holds else "FAILS"
            print(f"  {word} line {expectation.line}: {expectation.text} ({verdict.found})", file=out)
    if failed:
        print(f"{failed} of {total} expectations fail", file=out)
        return EXIT_CLAIM_FAILS
    print(f"all {total} expectations hold", file=out)
    return EXIT_OK


def open_lesson_in_app(path: str, theme: str = "system") -> int:
    """Open the lesson file ``path`` (already read and valid) in the window, at its first page."""
    from .app.main import run_app  # Qt is imported only here

    return run_app(theme=theme, lesson=path)
