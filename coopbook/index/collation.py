"""The index's collation per language (ICU): sort keys and the letter groups a language files terms under.

One `Collation` per BCP 47 tag, cached. ICU reads the full tag and falls back by itself ('es-419' -> 'es',
'en-GB' -> 'en', an unknown language -> the root order), so 'fr-CA' gets its backwards accents and
'es-u-co-trad' its traditional 'ch' and 'll'. Sort keys are ICU's sort-key bytes at tertiary strength (base
letters, then accents, then case; spaces and punctuation count, so the order is word by word); callers
break ties with the text itself. Letter groups come from ICU's AlphabeticIndex for the same language (Spanish
has Ñ after N, Swedish Å Ä Ö after Z); a term that does not open with a letter files under '#'.

The order depends on ICU's version (`versions()`); the index part's layout cache key hashes the index HTML,
which holds the order and the groups, so a change of ICU cannot bring back a stale index.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import icu

log = logging.getLogger(__name__)

OTHER = "#"
_NORMAL = 0  # AlphabeticIndex label type of an ordinary letter (the others: underflow, inflow, overflow)
_BASE_LETTERS = {"Ø": "O", "Ł": "L", "Đ": "D", "Æ": "A", "Œ": "O", "ß": "S", "ı": "I"}


@dataclass(frozen=True, eq=False)
class Collation:
    """The sort keys and letter groups of one language."""

    tag: str
    collator: icu.Collator
    letters: icu.ImmutableIndex

    def sort_key(self, text: str) -> bytes:
        """ICU's sort key of a text: base letters first, then accents, then case, as the language orders them;
        at each level the part before a comma sorts first ("Quintero, Tomás" before "Quintero Rivas, Tomás", as
        indexes file headings), joined as ICU's ucol_mergeSortkeys joins keys (0x02 between parts, level by level)."""
        keys = [bytes(self.collator.getSortKey(part.strip())).rstrip(b"\x00").split(b"\x01")
                for part in text.split(",")]
        levels = max(len(key) for key in keys)
        return b"\x01".join(b"\x02".join(key[level] if level < len(key) else b"" for key in keys)
                             for level in range(levels)) + b"\x00"

    def letter_of(self, text: str) -> str:
        """The letter group a term files under in this language ('Ñ' for 'Ñandú' in Spanish); '#' if no letter."""
        stripped = text.lstrip()
        if not stripped or not stripped[0].isalpha():
            return OTHER
        label, kind = self.letters.getBucket(self.letters.getBucketIndex(stripped))
        return label if kind == _NORMAL else _first_letter(stripped)


@lru_cache(maxsize=16)
def collation(tag: str) -> Collation:
    """The collation of a BCP 47 tag (the book's language), made once."""
    locale = icu.Locale.forLanguageTag(tag)
    letters = icu.AlphabeticIndex(locale)
    if not _has_letter(letters.buildImmutableIndex(), "A"):
        letters.addLabels(icu.Locale.getEnglish())  # a language in another script still groups Latin names
    log.debug("index collation for %s: %s", tag, versions())
    return Collation(tag, icu.Collator.createInstance(locale), letters.buildImmutableIndex())


def _has_letter(letters: icu.ImmutableIndex, text: str) -> bool:
    """True when the text files under one of the language's own letter groups."""
    return letters.getBucket(letters.getBucketIndex(text))[1] == _NORMAL


def versions() -> str:
    """The ICU and Unicode versions the collation follows (ICU comes from the system, not requirements.lock)."""
    return f"ICU {icu.ICU_VERSION}, Unicode {icu.UNICODE_VERSION}"


def _first_letter(text: str) -> str:
    """A letter outside the language's groups (another script): its base letter, upper-cased."""
    base = unicodedata.normalize("NFKD", text[0])[0]
    base = _BASE_LETTERS.get(base.upper(), _BASE_LETTERS.get(base, base))
    return base.upper()[0]
