"""`coopbook new`: a fresh interview file from the shared YAML template, and the YAML helpers it needs.

The same template (templates/scaffold/interview.yaml.j2) is rendered by `coopbook import`; values reach it
only through the filters defined here, which quote or block them so that any text loads back unchanged.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment

from ..errors import CoopbookError, Location, Problem, display_path
from ..fsutil import atomic_write
from ..slugs import MAX_SLUG, slugify
from ..templating import TEMPLATES, make_environment

TEMPLATE_DIR = TEMPLATES / "scaffold"
INTERVIEW_TEMPLATE = "interview.yaml.j2"
DEFAULT_PUBLISHER = "ILO"
DEFAULT_KIND = "Article"
_YAML_LINE_BREAKS = ("\r", "\x85", "\u2028", "\u2029", "\ufeff")


class ScaffoldError(CoopbookError):
    """A new file could not be made: an existing file is in the way, or a name gives no usable id."""


@dataclass(frozen=True)
class DraftQuestion:
    """One question and its Markdown answer, as written into a draft interview file."""

    q: str
    a: str


@dataclass(frozen=True)
class DraftInterview:
    """Everything the interview template needs; text is raw and is quoted by the template's filters."""

    id: str
    name: str
    role: str
    date: dt.date | None
    questions: tuple[DraftQuestion, ...]
    honorific: str | None = None
    publisher: str = DEFAULT_PUBLISHER
    kind: str = DEFAULT_KIND
    url: str | None = None
    closing: str | None = None
    comments: tuple[str, ...] = ()


def yaml_quoted(value: str) -> str:
    """A YAML double-quoted scalar that loads back as exactly `value` (escapes included)."""
    dumped = yaml.safe_dump(value, default_style='"', allow_unicode=True, width=1_000_000)
    return dumped.rstrip("\n").removesuffix("\n...").rstrip("\n")


def yaml_scalar(value: str) -> str:
    """A plain YAML scalar when that loads back as the same text, else a double-quoted one."""
    plain = (
        value
        and value == value.strip()
        and value.isprintable()
        and not any(mark in value for mark in _YAML_LINE_BREAKS)
    )
    if plain:
        try:
            if yaml.safe_load(f"k: {value}\n") == {"k": value}:
                return value
        except yaml.YAMLError:
            pass
    return yaml_quoted(value)


def yaml_block(value: str, indent: int) -> str:
    """A YAML literal block (`|`) indented by `indent` spaces, or a double-quoted scalar when a block cannot hold it."""
    if value.strip() and not any(mark in value for mark in _YAML_LINE_BREAKS):
        body = value[:-1] if value.endswith("\n") else value
        chomp = "" if value.endswith("\n") else "-"
        pad = " " * indent
        lines = [pad + line if line else "" for line in body.split("\n")]
        block = f"|{chomp}\n" + "\n".join(lines)
        try:
            if yaml.safe_load(f"k: {block}\n") == {"k": value}:
                return block
        except yaml.YAMLError:
            pass
    return yaml_quoted(value)


def comment_line(value: str) -> str:
    """Text made safe for one YAML comment line (line breaks and controls become spaces)."""
    return "".join(ch if ch.isprintable() else " " for ch in value).strip()


def environment() -> Environment:
    """The Jinja2 environment of the scaffold templates, with the YAML quoting filters."""
    env = make_environment(TEMPLATE_DIR, autoescape=False)  # YAML: every value goes through a YAML filter instead
    env.filters["yaml_quoted"] = yaml_quoted
    env.filters["yaml_scalar"] = yaml_scalar
    env.filters["yaml_block"] = yaml_block
    env.filters["comment"] = comment_line
    return env


def interview_yaml(draft: DraftInterview) -> str:
    """The YAML text of a draft interview, through templates/scaffold/interview.yaml.j2."""
    return environment().get_template(INTERVIEW_TEMPLATE).render(interview=draft)


def write_new_file(path: Path, text: str, *, overwrite: bool = False) -> bool:
    """Write an editor's file atomically (fsutil.atomic_write); without overwrite, False if path exists."""
    return atomic_write(path, text.encode("utf-8"), overwrite=overwrite, mode=_mode_for(path))


def _mode_for(path: Path) -> int:
    """The permissions of a file the editor gets: those of the file it replaces, else 0666 less the umask."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def file_exists_problem(path: Path) -> Problem:
    """The problem reported when a file would be overwritten without --force."""
    shown = display_path(path)
    return Problem(Location(shown), "the file exists already", None, "use --force to replace it")


def new_interview(content_root: Path, name: str, *, today: dt.date) -> Path:
    """Create interviews/<slug>.yaml under content_root from the template, with the next free id; return its path."""
    base = slugify(name)
    if not base or not name.strip():
        raise ScaffoldError([Problem(Location("<command line>"), "cannot make an id from this name", name,
                                     "use a name with Latin letters or digits")])
    folder = content_root / "interviews"
    display_name = " ".join(name.split())
    for n in range(1, 10_000):
        ident = base if n == 1 else _with_suffix(base, n)
        path = folder / f"{ident}.yaml"
        if path.exists():
            continue
        draft = _placeholder(ident, display_name, today)
        if write_new_file(path, interview_yaml(draft)):
            return path
    raise ScaffoldError([Problem(Location(display_path(folder)), "no free id left for this name", base)])


def _with_suffix(base: str, n: int) -> str:
    suffix = f"-{n}"
    return base[: MAX_SLUG - len(suffix)].rstrip("-") + suffix


def _placeholder(ident: str, name: str, today: dt.date) -> DraftInterview:
    return DraftInterview(
        id=ident,
        name=name,
        role=f"TODO: the role of {name}",
        date=today,
        questions=(DraftQuestion("TODO: the first question?", "TODO: the answer, in Markdown.\n"),),
        comments=(
            f"Interview with {name}, created by coopbook new on {today.isoformat()}.",
            "Replace every TODO, set date to the date of first publication, then add the id to order in book.yaml.",
        ),
    )


def add_to_order(book_yaml: Path, interview_id: str) -> bool:
    """Append interview_id to the `order:` list of book.yaml, keeping comments and layout; False if nothing done."""
    text = book_yaml.read_text(encoding="utf-8")
    before = _order_of(text)
    if before is None or interview_id in before:
        return False
    edited = _append_block_item(text, interview_id) or _append_flow_item(text, interview_id)
    if edited is None or _order_of(edited) != [*before, interview_id]:
        return False
    write_new_file(book_yaml, edited, overwrite=True)
    return True


def _order_of(text: str) -> list[Any] | None:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    order = data.get("order") if isinstance(data, Mapping) else None
    if isinstance(order, Sequence) and not isinstance(order, str):
        return list(order)
    return None


_ORDER_KEY = re.compile(r"^order:[ \t]*(?:#.*)?$")
_FLOW_ORDER = re.compile(r"^(order:[ \t]*\[)(?P<items>[^\]\n]*)(\])", re.M)


def _append_block_item(text: str, interview_id: str) -> str | None:
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if _ORDER_KEY.match(line.rstrip("\r\n"))), None)
    if start is None:
        return None
    last_item = None
    prefix = "  - "
    for i in range(start + 1, len(lines)):
        stripped = lines[i].strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = re.match(r"^([ \t]*-[ \t]+)", lines[i])
        if match is None:
            break
        last_item, prefix = i, match.group(1)
    at = (last_item if last_item is not None else start) + 1
    if at == len(lines) and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    newline = "\r\n" if lines[start].endswith("\r\n") else "\n"
    lines.insert(at, f"{prefix}{interview_id}{newline}")
    return "".join(lines)


def _append_flow_item(text: str, interview_id: str) -> str | None:
    match = _FLOW_ORDER.search(text)
    if match is None:
        return None
    items = match.group("items")
    joined = f"{items.rstrip()}, {interview_id}" if items.strip() else interview_id
    return text[: match.start("items")] + joined + text[match.end("items") :]
