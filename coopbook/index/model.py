"""The back-of-book index: sections > letters > entries > locators (pages and ranges, or interviews).

Entries sort by the rules of the book's language (ICU, coopbook.index.collation): accents and case only break
ties, and the letter groups are the language's (Spanish Ñ after N, Swedish Å Ä Ö after Z).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..i18n import N_
from ..markdown.mentions import Mention
from ..source.registry import Entry, Registry
from .collation import Collation, collation

SECTION_TITLES: Mapping[str, str] = {  # translated where they are shown (coopbook.i18n)
    "people": N_("People"),
    "countries": N_("Countries"),
    "programmes": N_("ILO programmes"),
    "organisations": N_("Organisations"),
}
SECTION_OF_KIND: Mapping[str, str] = {
    "person": "people",
    "country": "countries",
    "place": "countries",
    "programme": "programmes",
    "organisation": "organisations",
}
RANGE_DASH = "\u2013"
ENGLISH = "en"


@dataclass(frozen=True)
class Locator:
    """Where an entry is mentioned: a page or page range (with the anchors to link), or an interview."""

    first: int | None
    last: int | None
    first_target: str
    last_target: str | None
    label: str

    @property
    def is_range(self) -> bool:
        """True for a page range such as 15–17."""
        return self.last is not None


@dataclass(frozen=True)
class CrossRef:
    """The target of a 'see' or 'see also' reference."""

    key: str
    term: str


@dataclass(frozen=True)
class IndexEntry:
    """One heading of the index with its locators, sub-entries and cross-references."""

    key: str
    term: str
    locators: tuple[Locator, ...] = ()
    subentries: tuple[IndexEntry, ...] = ()
    see: tuple[CrossRef, ...] = ()
    see_also: tuple[CrossRef, ...] = ()


@dataclass(frozen=True)
class LetterGroup:
    """The entries under one initial letter ('#' for digits and symbols)."""

    letter: str
    entries: tuple[IndexEntry, ...]


@dataclass(frozen=True)
class IndexSection:
    """One part of the index (People, Countries, ...); groups may be empty."""

    name: str
    title: str
    groups: tuple[LetterGroup, ...]

    @property
    def is_empty(self) -> bool:
        """True when the section has no entry to print."""
        return not self.groups


@dataclass(frozen=True)
class Index:
    """The whole index, its sections in printing order."""

    sections: tuple[IndexSection, ...]


def sort_key(text: str, language: str = ENGLISH) -> bytes:
    """The collation key of a text in a language: base letters first, then accents, then case."""
    return collation(language).sort_key(text)


def letter_of(text: str, language: str = ENGLISH) -> str:
    """The letter group an index term files under in a language (its first letter's group); else '#'."""
    return collation(language).letter_of(text)


def page_locators(mentions: Sequence[Mention], pages: Mapping[str, int]) -> tuple[Locator, ...]:
    """Pages of the mentions, de-duplicated, consecutive pages as ranges, each end linked to its first mention."""
    first_on_page: dict[int, str] = {}
    for mention in mentions:
        page = pages.get(mention.id)
        if page is not None:
            first_on_page.setdefault(page, mention.id)
    numbers = sorted(first_on_page)
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    locators = []
    for run in runs:
        first, last = run[0], run[-1]
        if first == last:
            locators.append(Locator(first, None, first_on_page[first], None, str(first)))
        else:
            locators.append(Locator(first, last, first_on_page[first], first_on_page[last],
                                    f"{first}{RANGE_DASH}{last}"))
    return tuple(locators)


def interview_locators(mentions: Sequence[Mention], short_titles: Mapping[str, str]) -> tuple[Locator, ...]:
    """One locator per interview, in book order, linked to the entry's first mention in it."""
    first: dict[str, str] = {}
    for mention in mentions:
        first.setdefault(mention.interview, mention.id)
    return tuple(Locator(None, None, target, None, short_titles.get(interview, interview))
                 for interview, target in first.items())


def build_index(registry: Registry, mentions: Sequence[Mention], sections: Sequence[str],
                pages: Mapping[str, int] | None = None, short_titles: Mapping[str, str] | None = None,
                language: str = ENGLISH) -> Index:
    """The index of the given sections from the mentions (in book order) and, if known, their pages, sorted and
    grouped by the rules of the book's language (a BCP 47 tag)."""
    unknown = [s for s in sections if s not in SECTION_TITLES]
    if unknown:
        raise ValueError(f"unknown index section: {', '.join(unknown)}")
    by_key: dict[str, list[Mention]] = {}
    for mention in mentions:
        by_key.setdefault(registry.canonical(mention.key), []).append(mention)
    printed = set(sections)
    locators: dict[str, tuple[Locator, ...]] = {}
    for key, found in by_key.items():
        entry = registry.get(key)
        if entry is None or entry.noindex or SECTION_OF_KIND[entry.kind] not in printed:
            continue
        found_locators = (page_locators(found, pages) if pages is not None
                          else interview_locators(found, short_titles or {}))
        if found_locators:
            locators[key] = found_locators
    listed = set(locators)
    for key in locators:
        entry = registry.get(key)
        if entry is not None and entry.parent is not None:
            listed.add(entry.parent)
    builder = _Builder(registry, locators, listed, collation(language))
    return Index(tuple(builder.section(name) for name in sections))


class _Builder:
    """Turns the registry entries of one section into sorted, grouped index entries."""

    def __init__(self, registry: Registry, locators: Mapping[str, tuple[Locator, ...]], listed: set[str],
                 rules: Collation) -> None:
        self.registry = registry
        self.locators = locators
        self.listed = listed
        self.rules = rules

    def section(self, name: str) -> IndexSection:
        """The sorted, grouped entries of one section."""
        entries = [e for e in self.registry if SECTION_OF_KIND[e.kind] == name and e.parent is None]
        built = [self._entry(e) for e in entries]
        groups: dict[str, list[IndexEntry]] = {}
        for item in self._sorted(built):
            groups.setdefault(self.rules.letter_of(self._sort_text(item)), []).append(item)
        return IndexSection(name, SECTION_TITLES[name],
                            tuple(LetterGroup(letter, tuple(items)) for letter, items in groups.items()))

    def _entry(self, entry: Entry) -> IndexEntry | None:
        if entry.noindex:
            return None
        if entry.key in self.listed:
            children = [self._entry(c) for c in self.registry.children(entry.key)]
            return IndexEntry(entry.key, entry.index_term, self.locators.get(entry.key, ()),
                              tuple(self._sorted(children)), (), self._refs(entry.see_also))
        see = self._refs(entry.see)
        if see:
            return IndexEntry(entry.key, entry.index_term, see=see)
        return None

    def _refs(self, keys: Sequence[str]) -> tuple[CrossRef, ...]:
        refs = []
        for key in keys:
            target = self.registry.get(self.registry.canonical(key))
            if target is not None and target.key in self.listed:
                refs.append(CrossRef(target.key, _full_term(self.registry, target)))
        unique = {r.key: r for r in refs}
        return tuple(sorted(unique.values(), key=lambda r: (self.rules.sort_key(r.term), r.term, r.key)))

    def _sorted(self, entries: Sequence[IndexEntry | None]) -> list[IndexEntry]:
        present = [e for e in entries if e is not None]
        return sorted(present, key=lambda e: (self.rules.sort_key(self._sort_text(e)), e.term, e.key))

    def _sort_text(self, item: IndexEntry) -> str:
        entry = self.registry.get(item.key)
        return entry.sort_text if entry is not None else item.term


def _full_term(registry: Registry, entry: Entry) -> str:
    """A cross-reference target as the reader finds it: 'Senegal: Dakar' for a sub-entry."""
    parent = registry.get(entry.parent) if entry.parent else None
    return f"{parent.index_term}: {entry.index_term}" if parent else entry.index_term


def index_as_text(index: Index) -> str:
    """A plain-text rendering of the index (for `coopbook index`)."""
    lines: list[str] = []
    for section in index.sections:
        if lines:
            lines.append("")
        lines += [section.title, "=" * len(section.title)]
        if section.is_empty:
            lines += ["", "(no entries)"]
        for group in section.groups:
            lines += ["", group.letter]
            for entry in group.entries:
                lines += _entry_lines(entry, "")
    return "\n".join(lines) + "\n"


def _entry_lines(entry: IndexEntry, indent: str) -> list[str]:
    text = entry.term
    if entry.locators:
        text += "  " + ", ".join(loc.label for loc in entry.locators)
    if entry.see:
        text += ", see " + "; ".join(r.term for r in entry.see)
    if entry.see_also:
        text += (". See also " if entry.locators else ", see also ") + "; ".join(r.term for r in entry.see_also)
    lines = [indent + text]
    for sub in entry.subentries:
        lines += _entry_lines(sub, indent + "    ")
    return lines
