"""Checked reading of JSON records (what the caches read back): each value taken as the type it must be.

A record that does not fit raises ValueError or TypeError (coopbook.fsutil.RECORD_ERRORS), which the cache that
read it turns into a corrupt entry, removed and made again; nothing read is trusted as it comes.
"""

from __future__ import annotations

from typing import Any


def fields(value: Any, names: set[str]) -> dict[str, Any]:
    """value as a JSON object with exactly these fields (ValueError otherwise)."""
    if not isinstance(value, dict) or set(value) != names:
        raise ValueError(f"expected the fields {', '.join(sorted(names))}")
    return value


def items(value: Any) -> list[Any]:
    """value as a JSON list (TypeError otherwise)."""
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def text(value: Any) -> str:
    """value as a string (TypeError otherwise)."""
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def maybe_text(value: Any) -> str | None:
    """value as a string or None (TypeError otherwise)."""
    return None if value is None else text(value)


def whole(value: Any) -> int:
    """value as an integer, not a boolean (TypeError otherwise)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected a whole number, got {type(value).__name__}")
    return value


def flag(value: Any) -> bool:
    """value as a boolean (TypeError otherwise)."""
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {type(value).__name__}")
    return value


def pair(value: Any) -> list[Any]:
    """value as a JSON list of two (ValueError otherwise)."""
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError("expected a pair")
    return value


def number(value: Any) -> int | float:
    """value as a number, not a boolean (TypeError otherwise)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return value
