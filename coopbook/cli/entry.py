"""The `coopbook` program (console script and `python -m coopbook`): the command line, then a quick exit.

A build leaves its process holding the book's objects (parsed content, the registry, the assembled PDF's
pieces); an interpreter's normal exit deallocates every one of them and tears its modules down after the exit
handlers have run, which took 0.15-0.2 s at the end of every rebuild of the bench book (N = 100, measured: about
5 % of a one-word correction), with nothing left to write. So once a command is done, the exit handlers run as
they would (the layout fonts' temporary folders are removed, logging is flushed: `atexit`), the standard streams
are flushed, and the process ends with the command's exit status (`os._exit`). The command line itself (`main`,
which tests call in-process) exits as click does.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
from typing import NoReturn

from .commands import main, stopped
from .status import stop_on_sigterm


def run() -> NoReturn:
    """Run the command line, then end the process once its exit handlers have run."""
    stop_on_sigterm()
    try:
        main()
        status: object = 0
    except SystemExit as done:
        status = done.code
    except KeyboardInterrupt as stop:  # outside click's handling, which turns one into "Aborted!" (commands.main
        # guards its slow imports; run_guarded each command): the same line
        status = stopped(stop)
    finally:  # the command is over: a SIGTERM now would cut its exit handlers short (the fonts' folders stay)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    quick_exit(status)


def quick_exit(status: object) -> NoReturn:
    """End the process as `sys.exit(status)` would, without the interpreter's teardown of what it still holds."""
    if threading.active_count() > 1:  # a thread still running: leave it to the interpreter's exit, which waits
        sys.exit(status)
    if status is None:
        code = 0
    elif isinstance(status, int):
        code = status
    else:  # sys.exit("message"): the message on stderr, status 1
        print(status, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()  # noqa: SLF001 - the handlers a normal exit runs (CPython's, since 2.x)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    os._exit(code & 0xFF)
