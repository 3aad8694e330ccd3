"""Candidate index terms: text that looks like a programme, an organisation or a person but is not in the
registry (acronyms, capitalised multi-word names), reported by `coopbook check` so an editor can add it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from markdown_it.token import Token

from ..errors import Location, Problems
from ..markdown.convert import parse
from ..markdown.mentions import BREAKS, Matcher, is_acronym, next_line, token_line
from ..source.registry import Registry, apostrophe_variants

# ---- terms the registry does not know ---------------------------------------------------------------

MASK = "\ufffc"
ACRONYM = re.compile(r"(?<![\w&-])[A-Za-z0-9]*[A-ZÀ-ÖØ-Þ]{2}[A-Za-z0-9À-ÖØ-öø-ÿ]*(?:[/.&-][A-Z0-9][A-Za-z0-9]*)*")
WORD = re.compile(r"\w+(?:['’./&-]\w+)*")
ROMAN = re.compile(r"^[IVXLCDM]+$")
URL = re.compile(r"\b(?:data|https?|ftp|mailto|file):\S+|\bwww\.\S+", re.IGNORECASE)  # not prose: never a term
CONNECTORS = frozenset("of for and the on in to de du des la le da di von van der del y et".split())
OPENERS = frozenset("""
a about according after again all alone also although among an and another any as at because before being
between both but by can could despite did do does during each even every finally first following for from
further furthermore given having he her here his how however i if in indeed is it its just later less like
many may more moreover most must my no not now once one only or other our over second she should since so
some still such than that the their then there therefore these they this those though through to today
under unlike until was we were what when where whether which while who why will with within without would
yet you your
""".split())


@dataclass(frozen=True)
class Candidate:
    """Text that looks like an index term but is neither registered nor ignored."""

    text: str
    kind: Literal["acronym", "name"]
    location: Location

    def report(self, problems: Problems) -> None:
        """Record this candidate as a warning."""
        problems.warning(self.location, f"{self.kind} not in the registry", self.text,
                         "add it to content/registry/*.yaml, or to registry/ignore.yaml if it is not indexed")


class CandidateFinder:
    """Reports unknown acronyms and capitalised multi-word names in Markdown, given a registry."""

    def __init__(self, registry: Registry, language: str | None = None) -> None:
        """Know the registry's strings in a base language (an interview's: its country names), or in every one."""
        ignored = [(term, "ignore:") for item in registry.ignore for term in apostrophe_variants(item)]
        self.known = Matcher.from_terms([*registry.known_terms(language), *ignored])

    def find(self, text: str, location: Location, *, block: bool = False) -> list[Candidate]:
        """Candidates in one Markdown value at location (block=True for a `|` or `>` YAML scalar)."""
        tokens, _ = parse(text, "check")
        found: dict[str, Candidate] = {}
        for token in tokens:
            if token.type != "inline" or not token.children:
                continue
            line = token_line(location, token, block=block)
            for run, run_line in _free_runs(token.children, line):
                for text_, kind, offset_lines in self._scan(run):
                    where = Location(location.path, run_line + offset_lines) if run_line else Location(location.path)
                    found.setdefault(text_, Candidate(text_, kind, where))
        return list(found.values())

    def _scan(self, text: str) -> list[tuple[str, Literal["acronym", "name"], int]]:
        masked = list(text)
        for m in self.known.find(text):
            masked[m.start:m.end] = MASK * (m.end - m.start)
        for url in URL.finditer(text):
            masked[url.start():url.end()] = MASK * (url.end() - url.start())
        flat = "".join(masked)
        result: list[tuple[int, str, Literal["acronym", "name"]]] = []
        for m in ACRONYM.finditer(flat):
            if not ROMAN.match(m.group()):
                result.append((m.start(), m.group(), "acronym"))
        result.extend((start, name, "name") for start, name in _names(flat))
        result.sort()
        return [(t, kind, text.count("\n", 0, start)) for start, t, kind in result]


def _free_runs(children: list[Token], line: int) -> list[tuple[str, int]]:
    """The text outside code and explicit spans, as runs joined by newlines, with their first line."""
    runs: list[tuple[str, int]] = []
    parts: list[str] = []
    start = line
    depth = 0
    for child in children:
        if child.type == "span_open":
            depth += 1
        elif child.type == "span_close":
            depth = max(0, depth - 1)
        if child.type == "text" and depth == 0:
            if not parts:
                start = line
            parts.append(child.content)
        elif child.type in BREAKS:
            if depth == 0:
                parts.append("\n")
            line = next_line(line)
        elif parts and child.type not in ("em_open", "em_close", "strong_open", "strong_close"):
            runs.append(("".join(parts), start))
            parts = []
    if parts:
        runs.append(("".join(parts), start))
    return runs


def _is_capitalised(word: str) -> bool:
    """A word that can be part of a name: capital initial, not 'I', not an acronym (roman numerals are)."""
    return word[0].isupper() and word != "I" and (not is_acronym(word) or bool(ROMAN.match(word)))


def _names(text: str) -> list[tuple[int, str]]:
    """Capitalised multi-word names: two or more capitalised words, maybe joined by 'of', 'and', 'the'…"""
    words = []
    for m in WORD.finditer(text):
        word = _strip_possessive(m.group())
        words.append((m.start(), m.start() + len(word), word))
    names: list[tuple[int, str]] = []
    seq: list[tuple[int, int, str]] = []
    pending: list[tuple[int, int, str]] = []

    def close() -> None:
        capitals = [w for w in seq if _is_capitalised(w[2])]
        if seq and _sentence_start(text, seq[0][0]) and seq[0][2].lower() in OPENERS:
            capitals = capitals[1:]
            del seq[0]
            while seq and not _is_capitalised(seq[0][2]):
                del seq[0]
        if len(capitals) >= 2:
            names.append((seq[0][0], text[seq[0][0]:seq[-1][1]].replace("\n", " ")))
        seq.clear()
        pending.clear()

    previous_end = -1
    for start, end, word in words:
        adjacent = previous_end >= 0 and text[previous_end:start].isspace() and len(text[previous_end:start]) <= 2
        if seq and not adjacent:
            close()
        if _is_capitalised(word):
            seq.extend(pending)
            pending.clear()
            seq.append((start, end, word))
        elif seq and word in CONNECTORS:
            pending.append((start, end, word))
        elif seq:
            close()
        previous_end = end
    close()
    return names


def _strip_possessive(word: str) -> str:
    for suffix in ("'s", "’s"):
        if word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _sentence_start(text: str, pos: int) -> bool:
    """True when only spaces, opening quotes or brackets stand between pos and a sentence end (or the start)."""
    i = pos - 1
    while i >= 0 and (text[i].isspace() or text[i] in "\"'“‘([«"):
        i -= 1
    return i < 0 or text[i] in ".!?:;"
