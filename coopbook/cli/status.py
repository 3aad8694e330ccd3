"""The exit statuses of the coopbook command, the help text that lists them, and SIGTERM made to end a command
as Ctrl-C does (`Terminated`)."""

from __future__ import annotations

import signal
from enum import IntEnum
from typing import NoReturn


class ExitStatus(IntEnum):
    """How a coopbook command ends: its process exit status."""

    OK = 0
    CONTENT = 1
    USAGE = 2
    INTERNAL = 3
    ENVIRONMENT = 4
    INTERRUPTED = 130
    CLOSED_PIPE = 141  # 128 + SIGPIPE: what a program stopped by a closed pipe ends with
    TERMINATED = 143  # 128 + SIGTERM: what a program stopped by `kill`, `timeout` or a service manager ends with

    @property
    def meaning(self) -> str:
        """What the status tells the caller, as the help text says it."""
        return MEANINGS[self]


MEANINGS = {
    ExitStatus.OK: "success",
    ExitStatus.CONTENT: "the content has errors (or warnings with --strict)",
    ExitStatus.USAGE: "wrong usage",
    ExitStatus.INTERNAL: "internal error (rerun with --debug for the traceback)",
    ExitStatus.ENVIRONMENT: "the build could not write or read its files (a full disk, a read-only or missing folder)",
    ExitStatus.INTERRUPTED: "interrupted (Ctrl-C); the previous outputs are untouched",
    ExitStatus.CLOSED_PIPE: "what read its output stopped reading (a closed pipe, as `| head`): it says no more",
    ExitStatus.TERMINATED: "stopped by SIGTERM (`kill`, `timeout`); the previous outputs are untouched",
}


def exit_statuses_help() -> str:
    """The help epilog: every exit status and its meaning, generated from ExitStatus."""
    return "Exit codes: " + "; ".join(f"{status.value} {status.meaning}" for status in ExitStatus) + "."


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised wherever the process is: the command stops as on Ctrl-C (its clean-ups run), status 143."""


def stop_on_sigterm() -> None:
    """End on SIGTERM as on Ctrl-C, through `Terminated`: by default the process ended at once, leaving the
    assembly's temporary folder and its fonts' behind in /tmp, and its layout workers ending on their own."""
    signal.signal(signal.SIGTERM, _terminated)


def _terminated(signum: int, frame: object) -> NoReturn:
    raise Terminated
