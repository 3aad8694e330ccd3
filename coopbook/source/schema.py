"""Validate YAML data against frozen dataclass models, turning every failure into a located Problem."""

from __future__ import annotations

import dataclasses
import difflib
from functools import cache
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

from pydantic import TypeAdapter, ValidationError

from ..errors import Problems, shorten
from .yamlreader import YamlDoc

T = TypeVar("T")

_MESSAGES = {
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "bool_type": "expected true or false",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
    "dict_type": "expected a mapping of fields",
    "dataclass_type": "expected a mapping of fields",
    "date_type": "expected a date (YYYY-MM-DD)",
    "date_parsing": "not a valid date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "not a valid date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "expected a date without a time",
    "too_short": "must not be empty",
    "string_too_short": "must not be empty",
    "greater_than_equal": "is too small",
    "string_pattern_mismatch": "has a form that is not allowed",
    "literal_error": "is not one of the allowed values",
}


@cache
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


SYNONYMS = {"answer": "a", "question": "q", "answers": "a"}


def validate(doc: YamlDoc, model: type[T], problems: Problems) -> T | None:
    """Validate doc.data as model; record each failure at the line of the value at fault."""
    try:
        return _adapter(model).validate_python(doc.data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        for err in errors:
            if err["type"] == "too_short" and _has_inner_errors(err, errors):
                continue  # a list whose items are wrong is not empty: report the items
            _report(doc, model, err, problems)
        return None


def _has_inner_errors(err: Any, errors: list[Any]) -> bool:
    loc = tuple(err["loc"])
    return any(len(other["loc"]) > len(loc) and tuple(other["loc"][: len(loc)]) == loc for other in errors)


def field_label(loc: tuple[str | int, ...]) -> str:
    """A field path as an editor reads it: questions[2].a (list items counted from 1)."""
    label = ""
    for part in loc:
        label += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if label else str(part))
    return label or "(document)"


def _report(doc: YamlDoc, model: Any, err: Any, problems: Problems) -> None:
    loc = tuple(p for p in err["loc"] if not isinstance(p, str) or not p.startswith("function-"))
    kind = err["type"]
    field = field_label(loc)
    if kind == "missing":
        problems.error(doc.where(loc[:-1]), f"missing required field '{field}'")
        return
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        name = str(loc[-1])
        match = difflib.get_close_matches(name, sorted(field_names(model)), n=1, cutoff=0.6)
        guess = SYNONYMS.get(name) or (match[0] if match else None)
        hint = f"did you mean '{guess}'?" if guess else None
        problems.error(doc.where(loc, key=True), f"unknown field '{field}'", None, hint)
        return
    message = _MESSAGES.get(kind)
    if kind == "value_error":
        message = str(err.get("ctx", {}).get("error", err["msg"]))
    if kind in ("date_parsing", "date_from_datetime_parsing") and err.get("ctx", {}).get("error"):
        message = f"not a valid date, {err['ctx']['error']} (write YYYY-MM-DD)"
    if kind == "literal_error":
        message = f"must be one of {err.get('ctx', {}).get('expected', '')}"
    if message is None:
        message = str(err["msg"]).removeprefix("Value error, ")
    value = err.get("input")
    shown = None if isinstance(value, (dict, list)) else "null" if value is None else shorten(str(value))
    if loc and loc[-1] == "[key]":  # a mapping's key is at fault: point at the key
        problems.error(doc.where(loc[:-1], key=True), f"{field_label(loc[:-1])} (a key): {message}", shown)
        return
    problems.error(doc.where(loc), f"{field}: {message}", shown)


@cache
def field_names(model: Any) -> frozenset[str]:
    """Every field name used anywhere in a dataclass model tree (for 'did you mean' hints)."""
    names: set[str] = set()
    if dataclasses.is_dataclass(model):
        hints = get_type_hints(model)
        for f in dataclasses.fields(model):
            names.add(f.name)
            names |= field_names(hints[f.name])
    for arg in get_args(model):
        names |= field_names(arg)
    origin = get_origin(model)
    if origin is not None and dataclasses.is_dataclass(origin):
        names |= field_names(origin)
    return frozenset(names)
