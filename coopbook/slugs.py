"""Ids and file names made from names and titles: one slugifier for interview ids and output file names."""

from __future__ import annotations

import re
import unicodedata

MAX_SLUG = 80

# Letters that Unicode decomposition does not reduce to ASCII.
_TRANSLITERATE = str.maketrans({
    "ß": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d",
    "ł": "l", "Ł": "l", "þ": "th", "Þ": "th", "ð": "d", "Ð": "d", "ı": "i", "ħ": "h", "Ħ": "h",
})


def slugify(name: str) -> str:
    """A lower-case ASCII id made from a name: accents dropped, words joined by hyphens ('' when none)."""
    text = unicodedata.normalize("NFKD", name.translate(_TRANSLITERATE))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG].rsplit("-", 1)[0] if "-" in slug[:MAX_SLUG] else slug[:MAX_SLUG]
    return slug
