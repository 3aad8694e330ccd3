"""Country names per language: pycountry's ISO 3166 names, their gettext translations (pycountry.LOCALES_DIR,
domain iso3166-1) and the headings of countrynames.yaml where pycountry reads badly."""

from __future__ import annotations

import gettext
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

import pycountry
import yaml

HEADINGS = Path(__file__).with_name("countrynames.yaml")
DOMAIN = "iso3166-1"
SOURCE_LANGUAGE = "en"  # pycountry's names are English; its catalogues translate them
TYPOGRAPHIC = ("'", "\u2019")


@dataclass(frozen=True)
class CountryNames:
    """One country's names in one language: its heading, and every string matched (the heading first)."""

    heading: str
    surfaces: tuple[str, ...]


@lru_cache(maxsize=1)
def headings() -> Mapping[str, Mapping[str, str]]:
    """countrynames.yaml: per base language, the heading of each alpha-2 code where pycountry's will not do."""
    data = yaml.safe_load(HEADINGS.read_text("utf-8")) or {}
    for language, table in data.items():
        bad = [code for code in table if not (isinstance(code, str) and len(code) == 2 and code.isupper())]
        if bad:
            raise ValueError(f"{HEADINGS.name}: {language}: not an alpha-2 code: {bad} (quote NO, ON, YES)")
    return MappingProxyType({lang: MappingProxyType(dict(table)) for lang, table in data.items()})


def translator(language: str) -> Callable[[str], str]:
    """pycountry's translation of an English country name into a base language (unchanged when it has none)."""
    if language == SOURCE_LANGUAGE:
        return str
    return gettext.translation(DOMAIN, pycountry.LOCALES_DIR, languages=[language], fallback=True).gettext


def _plain(text: str) -> str:
    return " ".join(text.replace(TYPOGRAPHIC[1], TYPOGRAPHIC[0]).split())


@lru_cache(maxsize=32)
def country_names(language: str) -> Mapping[str, CountryNames]:
    """Every country's names in a base language, by alpha-2 code in lower case, in code order.

    The heading is countrynames.yaml's, else the (translated) common name, else the name, with a typographic
    apostrophe; the matched strings add the translated common, short and official names, but not the inverted
    forms ("Korea, Republic of"), which no one writes in running text, nor one that another country has too.
    """
    translate = translator(language)
    fixed = headings().get(language, {})
    found: dict[str, tuple[str, tuple[str, ...]]] = {}
    for country in sorted(pycountry.countries, key=lambda c: c.alpha_2):
        common = getattr(country, "common_name", None)
        heading = (fixed.get(country.alpha_2) or translate(common or country.name)).replace(*TYPOGRAPHIC)
        variants = (translate(v) for v in (common, country.name, getattr(country, "official_name", None)) if v)
        others = dict.fromkeys(v for v in variants if _plain(v) != _plain(heading) and ", " not in v)
        found[country.alpha_2.lower()] = (heading, tuple(others))
    owners: dict[str, set[str]] = {}
    for code, (heading, others) in found.items():
        for surface in (heading, *others):
            owners.setdefault(_plain(surface).casefold(), set()).add(code)
    # a translation two countries share (Slovak gives Gambia's official name as "Slovenská republika") names
    # neither: only headings are kept when shared
    return MappingProxyType({code: CountryNames(heading, (heading, *(s for s in others
                                                                      if len(owners[_plain(s).casefold()]) == 1)))
                             for code, (heading, others) in found.items()})
