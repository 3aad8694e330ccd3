"""The registry's names that collide across languages: one string (case- and accent-folded) for two entries.

Each interview is tagged with the matcher of its own language, so the same string may mean different entries in
different languages (French "Guinea" for one country, English "Guinea" for another) without harm. What is reported:

- error: in one language, a string the editor wrote (an alias, a name, a `names:` entry) is also another entry's
  string there, up to case (its neutral aliases count in every language; pycountry's translations are compared
  here, in the book's languages, because loading only claims the English names): the matcher would index every
  such mention under one of the two, silently. The editor can fix it (drop the alias, or give it a language).
- warning: the two strings differ only by accents in one language (the matcher keeps them apart, but a mention
  typed without its accent goes to the other entry); or they are the same string in two different languages
  (right as long as each interview's `language:` is right); or both are pycountry's headings (nothing to edit;
  the first country in code order gets the mentions: a span with ref= marks the other's).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

from babel import Locale

from ..errors import Location, Problem
from .book import Book
from .languages import base_language
from .registry import Registry, normal_surface, surfaces_in


@dataclass(frozen=True)
class Claim:
    """One string an entry is matched by in one language, and where it comes from (None: pycountry's)."""

    surface: str
    key: str
    language: str
    where: Location | None

    @property
    def origin(self) -> str:
        """Where the string comes from, as a report names it."""
        return str(self.where) if self.where is not None else f"pycountry {self.language}"


def book_languages(book: Book) -> tuple[str, ...]:
    """The base languages of the book and of its interviews, sorted."""
    tags = {book.config.language, *(i.language_of(book.config.language) for i in book.interviews)}
    return tuple(sorted({base_language(tag) for tag in tags}))


def language_name(language: str) -> str:
    """A base language as an editor reads it in a message: 'Spanish (es)'."""
    return f"{Locale('en').languages.get(language, language)} ({language})"


def fold(text: str) -> str:
    """A string without case, accents or apostrophe and space differences, for comparing names."""
    decomposed = unicodedata.normalize("NFKD", normal_surface(text))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def claims(registry: Registry, language: str) -> list[Claim]:
    """Every string every indexed entry is matched by in interviews of a base language."""
    found = []
    for entry in registry:
        if entry.noindex:
            continue
        for surface in surfaces_in(entry, language):
            where = (registry.surface_at.get((entry.key, language, surface))
                     or registry.surface_at.get((entry.key, None, surface)))
            if where is None and entry.kind == "person":
                where = registry.locations.get(entry.key)  # an interviewee's name, from their interview
            found.append(Claim(surface, entry.key, language, where))
    return found


def collisions(registry: Registry, languages: Iterable[str]) -> list[Problem]:
    """Every pair of entries that share a folded string in the given base languages, once, at its worst."""
    table: dict[str, list[Claim]] = {}
    for language in sorted(set(languages)):
        for claim in claims(registry, language):
            table.setdefault(fold(claim.surface), []).append(claim)
    problems = []
    for group in table.values():
        worst: dict[tuple[str, str], tuple[int, Claim, Claim]] = {}
        for a, b in combinations(group, 2):
            first, second = sorted((registry.canonical(a.key), registry.canonical(b.key)))
            if first == second:
                continue
            rank = _rank(a, b)
            if (first, second) not in worst or rank > worst[(first, second)][0]:
                worst[(first, second)] = (rank, a, b)
        problems += [_problem(rank, a, b) for rank, a, b in worst.values()]
    return problems


def _rank(a: Claim, b: Claim) -> int:
    """3: same string in one language, one of them the editor's; 2: both pycountry's; 1: accents only; 0: two
    languages."""
    if a.language != b.language:
        return 0
    if normal_surface(a.surface).casefold() != normal_surface(b.surface).casefold():
        return 1
    return 3 if a.where is not None or b.where is not None else 2


def _problem(rank: int, a: Claim, b: Claim) -> Problem:
    """The report of one pair, at the editor's string when there is one (else at 'pycountry <language>')."""
    here, there = (b, a) if b.where is not None and (a.where is None or a.where < b.where) else (a, b)
    location = here.where or Location(f"pycountry {here.language}")
    other = f"{there.key} ({there.origin}: {there.surface})"
    language = language_name(here.language)
    if rank == 3:
        return Problem(location, f"in {language} interviews, {here.key} has the string of {other}", here.surface,
                       "every mention would be indexed under one of them: remove it, or give it another language",
                       "error")
    if rank == 2:
        return Problem(location, f"in {language} interviews, {here.key} has the string of {other}", here.surface,
                       f"its mentions go to {min(here.key, there.key)}: mark the other's as [...]{{.country "
                       f"ref={max(here.key, there.key).partition(':')[2].upper()}}}", "warning")
    if rank == 1:
        return Problem(location, f"in {language} interviews, {here.key} has a string that differs only by accents "
                       f"from {other}", here.surface, f"a mention typed without the accents is indexed under "
                       f"{there.key}", "warning")
    return Problem(location, f"{here.key}'s string in {language} interviews is {other} in "
                   f"{language_name(there.language)} interviews", here.surface,
                   "right while each interview's language: is right", "warning")


def book_collisions(registry: Registry, book: Book) -> Sequence[Problem]:
    """The collisions in the languages of a book (what `coopbook check` and the build report), found once per
    registry and set of languages (a warm session's rebuilds reuse them)."""
    languages = book_languages(book)
    return registry.memo(("collisions", languages), lambda: tuple(collisions(registry, languages)))
