"""coopbook: a publishing pipeline from structured interviews to a PDF anthology and an EPUB 3.

The public API (everything else is internal and may change):

- `build(BuildOptions(content, out, formats))` runs the whole pipeline and returns the `Output`s it wrote;
- `check_content(content)` validates without building and returns a `CheckReport` of `Problem`s;
- `load(content)` reads and validates the book (a `Loaded`: the `Book` and its registry);
- every user-facing problem is a `Problem` at a `Location`; failures raise a `CoopbookError`
  (`ContentError`, `BuildError`, `EnvironmentProblem`) that carries them.

The names are imported on first use (PEP 562), so importing one submodule (the command line, a layout worker)
does not import the whole pipeline and its libraries (WeasyPrint, pikepdf, ebooklib...).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .editorial.check import CheckReport, check_content
    from .errors import BuildError, ContentError, CoopbookError, EnvironmentProblem, Location, Problem
    from .formats import FORMATS, Format
    from .pipeline import BuildOptions, Loaded, Output, build, load
    from .source.book import Book

_HOMES = {  # each public name -> the module that defines it
    "CheckReport": ".editorial.check",
    "check_content": ".editorial.check",
    "BuildError": ".errors",
    "ContentError": ".errors",
    "CoopbookError": ".errors",
    "EnvironmentProblem": ".errors",
    "Location": ".errors",
    "Problem": ".errors",
    "FORMATS": ".formats",
    "BuildOptions": ".pipeline",
    "Format": ".formats",
    "Loaded": ".pipeline",
    "Output": ".pipeline",
    "build": ".pipeline",
    "load": ".pipeline",
    "Book": ".source.book",
}

__all__ = [
    "FORMATS",
    "Book",
    "BuildError",
    "BuildOptions",
    "CheckReport",
    "ContentError",
    "CoopbookError",
    "EnvironmentProblem",
    "Format",
    "Loaded",
    "Location",
    "Output",
    "Problem",
    "__version__",
    "build",
    "check_content",
    "load",
]


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use (then kept here)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names and the module's own, as if they were all imported."""
    return sorted(set(globals()) | set(__all__))
