"""The authority registry: people, countries (ISO 3166), places, programmes and organisations.

content/registry/{people,programmes,organisations,places}.yaml add to the countries that come from
pycountry; every interviewee is a person entry. ignore.yaml lists terms known but deliberately not indexed.
This module is the registry as the index uses it; coopbook.source.registryfiles reads and checks the files.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Literal

import pycountry

from ..errors import Location

Kind = Literal["person", "country", "place", "programme", "organisation"]
KINDS: tuple[Kind, ...] = ("person", "country", "place", "programme", "organisation")
FILES: tuple[tuple[str, Kind], ...] = (
    ("people.yaml", "person"),
    ("programmes.yaml", "programme"),
    ("organisations.yaml", "organisation"),
)
APOSTROPHES = ("'", "\u2019")

# pycountry names that read badly in running text, by alpha-2 code (they win over common_name).
COUNTRY_NAMES: Mapping[str, str] = MappingProxyType({
    "KR": "Republic of Korea",
    "KP": "Democratic People's Republic of Korea",
    "PS": "Palestine",
    "CD": "Democratic Republic of the Congo",
    "FM": "Micronesia",
    "VG": "British Virgin Islands",
    "VI": "United States Virgin Islands",
    "VA": "Holy See",
    "FK": "Falkland Islands",
})


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
        """The name and the aliases, without repeats."""
        return tuple(dict.fromkeys((self.name, *self.aliases)))


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

    def __post_init__(self) -> None:
        if not self.by_key and self.entries:
            object.__setattr__(self, "by_key", MappingProxyType({e.key: e for e in self.entries}))

    @classmethod
    def build(cls, entries: Iterable[Entry], ignore: Iterable[str] = (),
              locations: Mapping[str, Location] | None = None) -> Registry:
        """Make a registry from entries (first of each key wins) and ignored strings."""
        table: dict[str, Entry] = {}
        for entry in entries:
            table.setdefault(entry.key, entry)
        return cls(tuple(table.values()), frozenset(ignore), MappingProxyType(table),
                   MappingProxyType(dict(locations or {})))

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

    def terms(self) -> tuple[tuple[str, str], ...]:
        """(surface string, entry key) for every name and alias of every indexed entry, both apostrophes."""
        return _terms(self.entries, with_noindex=False)

    def known_terms(self) -> tuple[tuple[str, str], ...]:
        """Like terms(), but including the entries marked noindex: every string the registry knows."""
        return _terms(self.entries, with_noindex=True)


def _terms(entries: Iterable[Entry], with_noindex: bool) -> tuple[tuple[str, str], ...]:
    pairs: dict[tuple[str, str], None] = {}
    for entry in entries:
        if entry.noindex and not with_noindex:
            continue
        for surface in entry.surfaces:
            for variant in apostrophe_variants(surface):
                pairs[(variant, entry.key)] = None
    return tuple(pairs)


# ---- countries ------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def countries() -> tuple[Entry, ...]:
    """Every ISO 3166 country as an entry `country:<alpha-2 lower>`, named by a readable common name."""
    result = []
    for country in sorted(pycountry.countries, key=lambda c: c.alpha_2):
        name = COUNTRY_NAMES.get(country.alpha_2) or getattr(country, "common_name", None) or country.name
        name = name.replace(APOSTROPHES[0], APOSTROPHES[1])  # typographic in print; both spellings match
        variants = (getattr(country, "common_name", None), country.name, getattr(country, "official_name", None))
        aliases = tuple(dict.fromkeys(
            v for v in variants if v and normal_surface(v) != normal_surface(name) and ", " not in v))
        result.append(Entry("country", country.alpha_2.lower(), name, aliases=aliases))
    return tuple(result)
