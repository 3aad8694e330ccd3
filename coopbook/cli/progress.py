"""Build progress for the command line: a live rich bar on a terminal, one summary line otherwise."""

from __future__ import annotations

from collections import Counter
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


class BuildProgress:
    """Counts parts laid out, written and taken from the cache; shows them live when attached to a terminal."""

    def __init__(self, console: Console, live: bool) -> None:
        self.counts: Counter[str] = Counter()
        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                 TimeElapsedColumn(), console=console, transient=True) if live else None
        self.task = self.progress.add_task("laying out parts", total=None) if self.progress else None

    def __enter__(self) -> BuildProgress:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.progress is not None:
            self.progress.stop()

    def __call__(self, event: str, name: str) -> None:
        """Record one scheduler event ("cached", "laid", "written") for a part."""
        if name.startswith(("blank", "furniture-")):  # blank versos and page furniture are not parts
            return
        self.counts[event] += 1
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, description=f"parts: {self.counts['written']} laid out and written, "
                                                        f"{self.counts['cached']} from the cache (now: {name})")

    def summary(self) -> str:
        """One line: how many parts were laid out and how many came from the cache."""
        return (f"parts: {self.counts['written']} laid out, {self.counts['cached']} from the cache")
