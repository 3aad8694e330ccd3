"""The book's language for every generated word: gettext catalogues under templates/locale, dates with Babel.

Each language has templates/locale/<lang>/LC_MESSAGES/coopbook.po (its messages extracted from templates/ and
coopbook/ into coopbook.pot by `make messages`). The book's language picks a catalogue by its base language
("es" for "es-419"), English when there is none (a build warning says so); Babel reads the .po in memory (no
compiled .mo files) and formats dates for the full tag ("22 July 2020" in en-GB, "22 de julio de 2020" in es).
"""

from __future__ import annotations

import datetime as dt
import io
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from .errors import Location, Problem, display_path
from .source.languages import base_language

if TYPE_CHECKING:
    from .source.book import Book

DOMAIN = "coopbook"
FALLBACK = "en"  # the catalogue of a language that has none, and the locale of dates Babel cannot format
FALLBACK_LOCALE = "en_GB"
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def N_(message: str) -> str:  # noqa: N802 (gettext's conventional name for a marker)
    """Mark a message for extraction without translating it (it is translated where it is shown)."""
    return message


def catalogue_path(language: str, templates: Path = TEMPLATES) -> Path:
    """The .po file of a language's catalogue (which may not exist)."""
    return templates / "locale" / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def catalogue_language(tag: str, templates: Path = TEMPLATES) -> str:
    """The catalogue a book in this language reads: its base language's, else English."""
    base = base_language(tag)
    return base if catalogue_path(base, templates).is_file() else FALLBACK


def catalogue_stamp(tag: str, templates: Path = TEMPLATES) -> tuple[str, int, int]:
    """The catalogue a tag reads and its file's change time and size: a changed translation is read again."""
    language = catalogue_language(tag, templates)
    try:
        stat = catalogue_path(language, templates).stat()
    except OSError:
        return language, 0, 0
    return language, stat.st_mtime_ns, stat.st_size


def translations(tag: str, templates: Path = TEMPLATES) -> Translations:
    """The translations for a book's language (its base language's catalogue, else English), read once per
    version of the catalogue file."""
    return _translations(templates, *catalogue_stamp(tag, templates))


@lru_cache(maxsize=16)
def _translations(templates: Path, language: str, mtime: int, size: int) -> Translations:
    path = catalogue_path(language, templates)
    if not mtime and not path.is_file():
        return Translations(domain=DOMAIN)  # no catalogue at all: every message prints as written
    with path.open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    mo = io.BytesIO()
    write_mo(mo, catalog)  # fuzzy entries are left out: they print in English until reviewed
    mo.seek(0)
    return Translations(mo, domain=DOMAIN)


@lru_cache(maxsize=64)
def date_locale(tag: str) -> Locale:
    """The Babel locale that formats a tag's dates: the tag itself, its base language, else en-GB."""
    for candidate in (tag, base_language(tag)):
        try:
            return Locale.parse(candidate, sep="-")
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse(FALLBACK_LOCALE)


def long_date(value: dt.date, tag: str) -> str:
    """A date as a reader of the language expects it: 22 July 2020 (en-GB), 22 de julio de 2020 (es)."""
    return format_date(value, format="long", locale=date_locale(tag))


def language_warnings(book: Book, templates: Path = TEMPLATES) -> tuple[Problem, ...]:
    """A warning at book.yaml's `language:` when no catalogue has the book's language (its words print in English)."""
    tag = book.config.language
    base = base_language(tag)
    if catalogue_language(tag, templates) == base:
        return ()
    doc = book.config_source
    where = doc.where(("language",)) if doc is not None else Location(display_path(book.root / "book.yaml"))
    shown = f"templates/locale/{base}/LC_MESSAGES/{DOMAIN}.po"
    return (Problem(where, "no message catalogue for this language: the book's generated words (Contents, Index, "
                    "see also…) print in English, its dates in the language", tag,
                    f"translate them in {shown} (README: \"The book's language\")", "warning"),)
