"""coopbook: a publishing pipeline from structured interviews to a PDF anthology and an EPUB 3.

The public API (everything else is internal and may change):

- `build(BuildOptions(content, out, formats))` runs the whole pipeline and returns the `Output`s it wrote;
- `check_content(content)` validates without building and returns a `CheckReport` of `Problem`s;
- `load(content)` reads and validates the book (a `Loaded`: the `Book` and its registry);
- every user-facing problem is a `Problem` at a `Location`; failures raise a `CoopbookError`
  (`ContentError`, `BuildError`, `EnvironmentProblem`) that carries them.
"""

__version__ = "0.1.0"

from .editorial.check import CheckReport, check_content  # noqa: E402 - after __version__, which the stages read
from .errors import BuildError, ContentError, CoopbookError, EnvironmentProblem, Location, Problem  # noqa: E402
from .pipeline import FORMATS, BuildOptions, Format, Loaded, Output, build, load  # noqa: E402
from .source.book import Book  # noqa: E402

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
