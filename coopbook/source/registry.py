"""The authority registry: people, countries (ISO 3166), places, programmes and organisations.

content/registry/{people,programmes,organisations,places}.yaml add to the countries that come from
pycountry; every interviewee is a person entry. ignore.yaml lists terms known but deliberately not indexed.
This module is the registry as the index uses it; coopbook.source.registryfiles reads and checks the files.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Literal, TypeVar

from ..errors import Location
from .countrynames import country_names
from .languages import base_language

Kind = Literal["person", "country", "place", "programme", "organisation"]
KINDS: tuple[Kind, ...] = ("person", "country", "place", "programme", "organisation")
FILES: tuple[tuple[str, Kind], ...] = (
    ("people.yaml", "person"),
    ("programmes.yaml", "programme"),
    ("organisations.yaml", "organisation"),
)
APOSTROPHES = ("'", "\u2019")
ENGLISH = "en"  # the language of the registry's own names and of pycountry's: a country's name is English
T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Entry:
    """One authority entry: what is indexed, under which heading, and which strings count as mentions."""

    kind: Kind
    id: str
    name: str
    sort_as: str | None = None
    aliases: tuple[str, ...] = ()
    description: str | None = None
    see: tuple[str, ...] = ()
    see_also: tuple[str, ...] = ()
    parent: str | None = None
    noindex: bool = False
    names: tuple[tuple[str, str], ...] = ()  # (language, heading): the name in a book of that language
    local: tuple[tuple[str, str], ...] = ()  # (language, alias): matched only in interviews of that language
    name_language: str | None = None  # set: the name is matched only in that language (a country's is English)

    @property
    def key(self) -> str:
        """The entry's unique key, `kind:id`."""
        return f"{self.kind}:{self.id}"

    @property
    def index_term(self) -> str:
        """The heading printed in the index: 'Surname, Given names' for people, else the name."""
        if self.kind != "person":
            return self.name
        if self.sort_as:
            return self.sort_as
        return invert_name(self.name)

    @property
    def sort_text(self) -> str:
        """The text the entry sorts by: sort_as, else its index term."""
        return self.sort_as or self.index_term

    @property
    def surfaces(self) -> tuple[str, ...]:
        """Every string of the entry in every language (name, names, aliases), without repeats."""
        return tuple(dict.fromkeys((self.name, *(n for _, n in self.names), *(a for _, a in self.local),
                                    *self.aliases)))

    def surfaces_in(self, language: str) -> tuple[str, ...]:
        """The strings matched in interviews of a base language ('es'): the name (unless it belongs to another
        language), the names and aliases given for that language, the aliases of every language."""
        own = [self.name] if self.name_language in (None, language) else []
        own += [n for lang, n in self.names if lang == language]
        own += [a for lang, a in self.local if lang == language]
        return tuple(dict.fromkeys((*own, *self.aliases)))

    def heading_in(self, language: str) -> str:
        """The entry's name in a book of a base language: its own `names`, a country's in that language, else
        its name."""
        for lang, name in self.names:
            if lang == language:
                return name
        if self.kind == "country" and self.name_language not in (None, language):
            translated = country_names(language).get(self.id)
            if translated is not None:
                return translated.heading
        return self.name


def invert_name(name: str) -> str:
    """'Given Names Surname' -> 'Surname, Given Names' (a single word stays as it is)."""
    words = name.split()
    if len(words) < 2:
        return name.strip()
    return f"{words[-1]}, {' '.join(words[:-1])}"


def apostrophe_variants(term: str) -> tuple[str, ...]:
    """The term, plus its spelling with the other apostrophe (' and U+2019) when it has one."""
    variants = [term]
    for old, new in (APOSTROPHES, APOSTROPHES[::-1]):
        if old in term:
            variants.append(term.replace(old, new))
    return tuple(dict.fromkeys(variants))


def normal_surface(term: str) -> str:
    """A term with one apostrophe and single spaces, for comparing registered strings."""
    return " ".join(term.replace(APOSTROPHES[1], APOSTROPHES[0]).split())


@dataclasses.dataclass(frozen=True)
class Registry:
    """Every entry of the book's registry, with lookups by key and the terms that are not indexed."""

    entries: tuple[Entry, ...]
    ignore: frozenset[str] = frozenset()
    by_key: Mapping[str, Entry] = dataclasses.field(default_factory=dict, compare=False, repr=False)
    locations: Mapping[str, Location] = dataclasses.field(default_factory=dict, compare=False, repr=False)
    # where the editor wrote each name and alias: (entry key, language or None for every language, surface)
    surface_at: Mapping[tuple[str, str | None, str], Location] = dataclasses.field(
        default_factory=dict, compare=False, repr=False)
    _memo: dict[Any, Any] = dataclasses.field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.by_key and self.entries:
            object.__setattr__(self, "by_key", MappingProxyType({e.key: e for e in self.entries}))

    @classmethod
    def build(cls, entries: Iterable[Entry], ignore: Iterable[str] = (),
              locations: Mapping[str, Location] | None = None,
              surface_at: Mapping[tuple[str, str | None, str], Location] | None = None) -> Registry:
        """Make a registry from entries (first of each key wins) and ignored strings."""
        table: dict[str, Entry] = {}
        for entry in entries:
            table.setdefault(entry.key, entry)
        return cls(tuple(table.values()), frozenset(ignore), MappingProxyType(table),
                   MappingProxyType(dict(locations or {})), MappingProxyType(dict(surface_at or {})))

    def memo(self, key: Any, make: Callable[[], T]) -> T:
        """A value derived from this registry (a language's matcher), made once and kept with it: a warm
        session that reuses the registry reuses what was derived from it."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]  # type: ignore[no-any-return]

    def in_language(self, tag: str) -> Registry:
        """The registry as a book in this language (BCP 47) shows it: every heading in that language (a
        heading that changes drops its English sort_as); the registry itself when nothing changes."""
        language = base_language(tag)

        def make() -> Registry:
            shown = []
            for entry in self.entries:
                heading = entry.heading_in(language)
                shown.append(entry if heading == entry.name else dataclasses.replace(entry, name=heading, sort_as=None))
            if all(a is b for a, b in zip(shown, self.entries, strict=True)):
                return self
            return Registry.build(shown, self.ignore, self.locations, self.surface_at)

        return self.memo(("in_language", language), make)

    def get(self, key: str) -> Entry | None:
        """The entry with this `kind:id` key, or None."""
        return self.by_key.get(key)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def resolve(self, ref: str, kind: str | None = None) -> Entry | None:
        """The entry a reference names: 'kind:id', or a bare id of the given kind (a country by alpha-2)."""
        ref = ref.strip()
        if ":" in ref:
            kind, _, ident = ref.partition(":")
        else:
            ident = ref
        if kind is None or kind not in KINDS:
            return None
        if kind == "country":
            ident = ident.lower()
        return self.by_key.get(f"{kind}:{ident}")

    def canonical(self, key: str) -> str:
        """Follow `see` references from key to the entry its mentions belong to (first target each time)."""
        seen = {key}
        entry = self.by_key.get(key)
        while entry is not None and entry.see:
            target = entry.see[0]
            if target in seen or target not in self.by_key:
                break
            seen.add(target)
            key, entry = target, self.by_key[target]
        return key

    def children(self, key: str) -> tuple[Entry, ...]:
        """The sub-entries (places) whose parent is key."""
        return tuple(e for e in self.entries if e.parent == key)

    def terms(self, language: str | None = None) -> tuple[tuple[str, str], ...]:
        """(surface string, entry key) for every name and alias of every indexed entry, both apostrophes:
        those matched in interviews of a base language ('es': with pycountry's Spanish country names), or
        (None) every string the entries hold in any language."""
        if language is None:
            return _terms(self.entries, with_noindex=False)
        return self.memo(("terms", language), lambda: _terms(self.entries, False, language))

    def known_terms(self, language: str | None = None) -> tuple[tuple[str, str], ...]:
        """Like terms(language), but including the entries marked noindex: every string the registry knows."""
        return _terms(self.entries, True, language)


def surfaces_in(entry: Entry, language: str) -> tuple[str, ...]:
    """The strings an entry is matched by in a base language, with a country's built-in names in it."""
    own = entry.surfaces_in(language)
    if entry.kind != "country" or entry.name_language in (None, language):
        return own
    translated = country_names(language).get(entry.id)
    return tuple(dict.fromkeys((*translated.surfaces, *own))) if translated is not None else own


def _terms(entries: Iterable[Entry], with_noindex: bool, language: str | None = None) -> tuple[tuple[str, str], ...]:
    pairs: dict[tuple[str, str], None] = {}
    for entry in entries:
        if entry.noindex and not with_noindex:
            continue
        for surface in entry.surfaces if language is None else surfaces_in(entry, language):
            for variant in apostrophe_variants(surface):
                pairs[(variant, entry.key)] = None
    return tuple(pairs)


# ---- countries ------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def countries() -> tuple[Entry, ...]:
    """Every ISO 3166 country as an entry `country:<alpha-2 lower>`, named by a readable English common name;
    its English names are matched in English interviews only (other languages: country_names)."""
    return tuple(Entry("country", ident, names.heading, local=tuple((ENGLISH, s) for s in names.surfaces[1:]),
                       name_language=ENGLISH)
                 for ident, names in country_names(ENGLISH).items())
