"""Run a build stage beside another: in a thread (while the parent mostly waits on its workers) or in a fork.

`Background` runs a function in a daemon thread and hands back its result or re-raises its exception; it suits
work that overlaps a stage in which the main thread only waits (the layout of parts on the workers). `Forked`
computes a function's result (bytes) in a forked child, which sees the parent's memory as it was, so nothing is
pickled but the result; it suits CPU work beside other CPU work in the parent (the EPUB beside the PDF's
assembly). A child that fails for any reason gives no result: the caller computes it again in-process, so an
error surfaces exactly as it would have without the fork.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class Background(Generic[T]):
    """A function running in a daemon thread; `result()` waits for it, then returns or raises what it did."""

    def __init__(self, work: Callable[[], T]) -> None:
        self.value: T | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(work,), name="coopbook-background", daemon=True)
        self.thread.start()

    def _run(self, work: Callable[[], T]) -> None:
        try:
            self.value = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the thread that asks for the result
            self.error = exc

    def result(self) -> T:
        """Wait for the function; its return value, or its exception raised here."""
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


def _child(conn: Connection, work: Callable[[], bytes]) -> None:
    try:
        data = work()
        conn.send_bytes(data)
    except BaseException:  # noqa: BLE001 - the parent computes it again and reports the error itself
        log.debug("a forked stage failed; the parent will do it", exc_info=True)
    finally:
        conn.close()
        os._exit(0)  # no atexit handlers, no flushing of the parent's buffers twice


class Forked:
    """A function computing bytes, run in a forked child from now on; `result()` takes them (or computes them)."""

    def __init__(self, work: Callable[[], bytes]) -> None:
        self.work = work
        context = multiprocessing.get_context("fork")
        self.conn, child = context.Pipe(duplex=False)
        self.process = context.Process(target=_child, args=(child, work), daemon=True)
        self.process.start()
        child.close()

    def result(self) -> bytes:
        """The child's bytes; if it failed or died, the function's result computed here (or its error, raised)."""
        try:
            data = self.conn.recv_bytes()
        except (EOFError, OSError):
            data = None
        finally:
            self.conn.close()
            self.process.join()
        return data if data is not None else self.work()

    def cancel(self) -> None:
        """Stop the child (the build failed or was interrupted)."""
        self.conn.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
