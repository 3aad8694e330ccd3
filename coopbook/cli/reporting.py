"""How the command line shows problems, counts and rebuilds: one located line per problem, coloured on a terminal."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from ..errors import Problem, capped, display_path

if TYPE_CHECKING:
    from ..editorial.watch import Rebuild

err_console = Console(stderr=True, highlight=False, soft_wrap=True)
out_console = Console(highlight=False, soft_wrap=True)

_STYLE = {"error": "bold red", "warning": "yellow"}


def use_colour() -> bool:
    """Colour only on a terminal, and never when NO_COLOR or CI is set."""
    return err_console.is_terminal and not os.environ.get("NO_COLOR") and not os.environ.get("CI")


def report(problems: Sequence[Problem]) -> None:
    """Print problems one per line: `path:line:col: error: message (value)`, coloured on a terminal."""
    colour = use_colour()
    for problem in capped(problems):
        line = problem.format()
        if not colour:
            print(line, file=sys.stderr)
            continue
        location = str(problem.location)
        rest = line[len(location) + len(f": {problem.severity}: "):]
        err_console.print(Text.assemble(location, ": ", (problem.severity, _STYLE[problem.severity]), ": ", rest))


def plural(count: int, word: str) -> str:
    """'1 error', '2 errors'."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def problem_counts(problems: Sequence[Problem]) -> str:
    """'2 errors', or with warnings '0 errors, 1 warning (--strict: warnings fail the build)'."""
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    if not warnings:
        return plural(errors, "error")
    strict = " (--strict: warnings fail the build)" if not errors else ""
    return f"{plural(errors, 'error')}, {plural(warnings, 'warning')}{strict}"


def report_wait(out: Path) -> None:
    """Say why a build does not start: another build holds the output folder's lock."""
    print(f"waiting for the build running in {display_path(out)} …", file=sys.stderr, flush=True)


def print_rebuild(rebuild: Rebuild) -> None:
    """One line per rebuild (after its problems, if any), with the time it took."""
    stamp = dt.datetime.now().strftime("%H:%M:%S")
    why = f" after changes to {', '.join(rebuild.changed[:3])}" if rebuild.changed else ""
    if len(rebuild.changed) > 3:
        why += f" and {len(rebuild.changed) - 3} more"
    took = f"{rebuild.seconds:.1f} s"
    report(rebuild.problems)
    if rebuild.ok:
        written = ", ".join(display_path(o.path) for o in rebuild.outputs)
        line = f"{stamp} build {rebuild.number}{why}: wrote {written} in {took}"
    elif rebuild.problems:
        line = (f"{stamp} build {rebuild.number}{why}: {problem_counts(rebuild.problems)} in {took}; "
                "previous outputs kept")
    else:
        line = (f"{stamp} build {rebuild.number}{why}: internal error: {rebuild.internal} in {took}; "
                "previous outputs kept (run with --debug for the traceback)")
    print(line, flush=True)
