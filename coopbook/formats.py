"""The outputs a build can make: their names, in build order (the pipeline and the command line share them)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

Format = Literal["pdf", "print", "epub"]
FORMATS: tuple[Format, ...] = ("pdf", "print", "epub")


def makes_screen_pdf(formats: Iterable[Format]) -> bool:
    """Whether a build with these formats makes the screen PDF (the print PDF is made from it)."""
    return not {"pdf", "print"}.isdisjoint(formats)
