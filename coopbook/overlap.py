"""Run a build stage beside another, in a thread, while the main thread mostly waits on the layout workers.

`Background` runs a function in a daemon thread and hands back its result or re-raises its exception (validate
runs so beside paginate). A forked process was tried for the EPUB beside the PDF's assembly and left out: the
fork's copy of the parent's pages counts again in every measure of memory, for ~2 s saved at N = 100.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

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
