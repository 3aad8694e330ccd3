"""The outputs a build can make: their names, in build order (the pipeline and the command line share them)."""

from __future__ import annotations

from typing import Literal

Format = Literal["pdf", "print", "epub"]
FORMATS: tuple[Format, ...] = ("pdf", "print", "epub")
