"""Language tags (BCP 47) as book.yaml and interviews give them: checked with langcodes, read for their language."""

from __future__ import annotations

import re
from functools import lru_cache

import langcodes

WELL_FORMED = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


def check_tag(value: str) -> str:
    """The tag if it is a valid BCP 47 language tag (hyphens, a registered language); else ValueError."""
    if not WELL_FORMED.fullmatch(value) or not langcodes.tag_is_valid(value):
        raise ValueError("expected a BCP 47 language tag such as en-GB, es or fr-CA")
    return value


@lru_cache(maxsize=64)
def base_language(tag: str) -> str:
    """The language subtag of a tag, lower-cased: 'es' for 'es-419', 'en' for 'en-GB'."""
    return langcodes.Language.get(tag).language or tag.split("-")[0].lower()
