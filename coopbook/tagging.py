"""Find index mentions in Markdown tokens and wrap them in anchored spans.

Registry names and aliases are matched at word boundaries, longest first; acronyms (no lower-case letter)
match case-sensitively, other terms case-insensitively except that a term written with a capital initial
needs a capital initial in the text (so "turkey" and "china" are not countries, "CAMEROON" is).
Explicit spans `[text]{.programme ref=acopam}` override, `[text]{.noindex}` suppresses; links, code
and existing mentions are never tagged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from markdown_it.token import Token

from .errors import Location, Problems
from .markup import parse
from .registry import KINDS, Registry, apostrophe_variants

BREAKS = ("softbreak", "hardbreak")


def is_acronym(term: str) -> bool:
    """True for a term with a capital letter and no lower-case letter (GTZ, ILO/ACOPAM, COOP/MUT)."""
    return any(ch.isupper() for ch in term) and not any(ch.islower() for ch in term)


def normal_text(text: str) -> str:
    """Collapse every run of whitespace to one space, for looking matched text up."""
    return " ".join(text.split())


def _pattern(term: str) -> str:
    words = [re.escape(w) for w in term.split()]
    if is_acronym(term):
        return r"\s+".join(words)
    body = r"\s+".join(words)
    first = term[0]
    if first.isupper():
        # the initial must be a capital (any capital that folds to it), the rest may be in any case
        head = re.escape(first)
        rest = body[len(head):]
        return f"{head}(?i:{rest})" if rest else head
    return f"(?i:{body})"


def _alternation(ordered: Iterable[str]) -> str:
    """The terms' patterns grouped by first character, each group behind a one-character lookahead.

    The regex engine then tries only the terms that can start at a position instead of all of them (ten times
    faster on a real registry); within a group the terms keep their longest-first order.
    """
    groups: dict[str, list[str]] = {}
    for term in ordered:
        first = term[0]
        any_case = not is_acronym(term) and not first.isupper() and first.isalpha()
        for char in {first.lower(), first.upper()} if any_case else {first}:
            groups.setdefault(char, []).append(_pattern(term))
    return "|".join(f"(?={re.escape(char)})(?:{'|'.join(patterns)})" for char, patterns in sorted(groups.items()))


@dataclass(frozen=True)
class Match:
    """One term found in a text: offsets, the entry key, the text as written."""

    start: int
    end: int
    key: str
    text: str


@dataclass(frozen=True)
class Matcher:
    """A compiled alternation over registry terms, longest first, with word boundaries."""

    pattern: re.Pattern[str] | None
    exact: Mapping[str, str] = field(compare=False, repr=False)
    folded: Mapping[str, str] = field(compare=False, repr=False)

    @classmethod
    def from_registry(cls, registry: Registry) -> Matcher:
        """A matcher over registry.terms() (every indexed name and alias)."""
        return cls.from_terms(registry.terms())

    @classmethod
    def from_terms(cls, terms: Iterable[tuple[str, str]]) -> Matcher:
        """A matcher over (surface, key) pairs; the first pair of a surface wins."""
        exact: dict[str, str] = {}
        folded: dict[str, str] = {}
        for surface, key in terms:
            norm = normal_text(surface)
            if not norm:
                continue
            exact.setdefault(norm, key)
            if not is_acronym(norm):
                folded.setdefault(norm.casefold(), key)
        ordered = sorted(exact, key=lambda t: (-len(t), t))
        pattern = None
        if ordered:
            pattern = re.compile(rf"(?<!\w)(?:{_alternation(ordered)})(?!\w)")
        return cls(pattern, MappingProxyType(exact), MappingProxyType(folded))

    def lookup(self, text: str) -> str | None:
        """The key of a surface string as matched (exact first, then case-insensitively for names)."""
        norm = normal_text(text)
        return self.exact.get(norm) or self.folded.get(norm.casefold())

    def find(self, text: str) -> list[Match]:
        """Every non-overlapping term in text, leftmost first, the longest at each place."""
        if self.pattern is None:
            return []
        found = []
        for m in self.pattern.finditer(text):
            key = self.lookup(m.group())
            if key is not None:
                found.append(Match(m.start(), m.end(), key, m.group()))
        return found


@dataclass(frozen=True)
class Mention:
    """One mention of a registry entry in an interview: its anchor id, entry key and where it is."""

    id: str
    key: str
    interview: str
    text: str
    explicit: bool
    location: Location


class InterviewTagger:
    """A markup transform that tags the mentions of one interview; call set_field before each field."""

    def __init__(self, matcher: Matcher, registry: Registry, interview_id: str, problems: Problems) -> None:
        self.matcher = matcher
        self.registry = registry
        self.interview_id = interview_id
        self.problems = problems
        self.mentions: list[Mention] = []
        self._origin = Location(interview_id)
        self._block = False

    def set_field(self, location: Location, *, block: bool = False) -> None:
        """Set where the next Markdown value is in its YAML file (block=True for a `|` or `>` scalar)."""
        self._origin = location
        self._block = block

    def add_mention(self, key: str, text: str, location: Location | None = None) -> Mention:
        """Record a mention the caller anchors itself (e.g. an interview heading); returns it with its id."""
        mention = Mention(self._next_id(), self.registry.canonical(key), self.interview_id, text, True,
                          location or self._origin)
        self.mentions.append(mention)
        return mention

    def __call__(self, tokens: list[Token]) -> list[Token]:
        """Tag every inline token of a block token stream (or of one parseInline result)."""
        for token in tokens:
            if token.type == "inline" and token.children:
                token.children = self._inline(token.children, self._line(token))
        return tokens

    # ---- internals ----

    def _next_id(self) -> str:
        return f"m-{self.interview_id}-{len(self.mentions) + 1}"

    def _line(self, token: Token) -> int:
        if not self._origin.line:
            return 0
        offset = token.map[0] if token.map else 0
        return self._origin.line + (1 if self._block else 0) + offset

    def _where(self, line: int) -> Location:
        return Location(self._origin.path, line) if line else Location(self._origin.path)

    def _inline(self, children: list[Token], line: int) -> list[Token]:
        out: list[Token] = []
        run: list[Token] = []
        run_line = line
        stack: list[bool] = []  # one per open span: True when it suppresses tagging inside
        links = 0
        for index, child in enumerate(children):
            free = links == 0 and not any(stack)
            if child.type == "text" or child.type in BREAKS:
                if free:
                    if not run:
                        run_line = line
                    run.append(child)
                else:
                    out.append(child)
                if child.type in BREAKS and line:
                    line += 1
                continue
            out.extend(self._tag_run(run, run_line))
            run = []
            if child.type == "link_open":
                links += 1
            elif child.type == "link_close":
                links = max(0, links - 1)
            elif child.type == "span_open":
                stack.append(self._span(child, children, index, line))
            elif child.type == "span_close" and stack:
                stack.pop()
            out.append(child)
        out.extend(self._tag_run(run, run_line))
        return out

    def _span(self, token: Token, children: list[Token], index: int, line: int) -> bool:
        """Handle an explicit span; rewrite its attributes; return whether it suppresses tagging."""
        attrs = {k: str(v) for k, v in token.attrs.items()}
        ref = attrs.pop("ref", None)
        classes = attrs.get("class", "").split()
        where = self._where(line)
        unknown = [c for c in classes if c not in KINDS and c != "noindex"]
        kinds = [c for c in classes if c in KINDS]
        token.attrs = dict(attrs)
        for name in unknown:
            self.problems.error(where, "unknown index class in span", name,
                                "use one of " + ", ".join(KINDS) + ", or noindex")
        if "noindex" in classes:
            token.attrs = {"class": "noindex"}
            return True
        if len(kinds) > 1:
            self.problems.error(where, "a span may name only one index class", " ".join(kinds))
            return True
        if not kinds:
            if ref is not None:
                self.problems.error(where, "ref needs an index class, e.g. {.programme ref=...}", ref)
            return bool(unknown)
        text = _span_text(children, index)
        key = self._resolve(kinds[0], ref, text, where)
        if key is None:
            return True
        mention = Mention(self._next_id(), key, self.interview_id, text, True, where)
        self.mentions.append(mention)
        token.attrs = {"id": mention.id, "class": "ix", "data-ref": key}
        return True

    def _resolve(self, kind: str, ref: str | None, text: str, where: Location) -> str | None:
        if ref is None:
            key = self.matcher.lookup(text)
            if key is None or not key.startswith(f"{kind}:"):
                self.problems.error(where, f"span text is not a registered {kind}; add ref=...", text)
                return None
            return self.registry.canonical(key)
        if ":" in ref and ref.partition(":")[0] != kind:
            self.problems.error(where, f"ref names another kind than .{kind}", ref)
            return None
        entry = self.registry.resolve(ref, kind)
        if entry is None:
            self.problems.error(where, f"unknown {kind} in span ref", ref,
                                f"add it to the registry or use the id of a registered {kind}")
            return None
        return self.registry.canonical(entry.key)

    def _tag_run(self, run: list[Token], line: int) -> list[Token]:
        """Split a run of text and line-break tokens around the terms found in it."""
        if not run:
            return []
        text = "".join(t.content if t.type == "text" else "\n" for t in run)
        matches = self.matcher.find(text)
        if not matches:
            return run
        starts = {m.start: m for m in matches}
        ends = {m.end for m in matches}
        cuts = sorted(starts.keys() | ends)
        out: list[Token] = []
        pos = 0
        for token in run:
            size = len(token.content) if token.type == "text" else 1
            if token.type == "text" and not size:
                out.append(token)
                continue
            if token.type != "text":
                out.append(token)
                pos += size
                if line:
                    line += 1
                continue
            piece_start = pos
            for cut in [c for c in cuts if pos < c < pos + size] + [pos + size]:
                if piece_start in starts:
                    out.append(self._open(starts[piece_start], line))
                out.append(_text(token.content[piece_start - pos: cut - pos]))
                if cut in ends:
                    out.append(Token("span_close", "span", -1))
                piece_start = cut
            pos += size
        return out

    def _open(self, match: Match, line: int) -> Token:
        key = self.registry.canonical(match.key)
        mention = Mention(self._next_id(), key, self.interview_id, normal_text(match.text), False,
                          self._where(line))
        self.mentions.append(mention)
        token = Token("span_open", "span", 1)
        token.attrs = {"id": mention.id, "class": "ix", "data-ref": key}
        return token


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _span_text(children: list[Token], index: int) -> str:
    """The plain text inside the span opened at children[index]."""
    depth = 0
    parts: list[str] = []
    for child in children[index:]:
        if child.type == "span_open":
            depth += 1
        elif child.type == "span_close":
            depth -= 1
            if depth == 0:
                break
        elif child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in BREAKS:
            parts.append(" ")
    return normal_text("".join(parts))


# ---- terms the registry does not know ---------------------------------------------------------------

MASK = "\ufffc"
ACRONYM = re.compile(r"(?<![\w&-])[A-Za-z0-9]*[A-ZÀ-ÖØ-Þ]{2}[A-Za-z0-9À-ÖØ-öø-ÿ]*(?:[/.&-][A-Z0-9][A-Za-z0-9]*)*")
WORD = re.compile(r"\w+(?:['’./&-]\w+)*")
ROMAN = re.compile(r"^[IVXLCDM]+$")
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

    def __init__(self, registry: Registry) -> None:
        ignored = [(term, "ignore:") for item in registry.ignore for term in apostrophe_variants(item)]
        self.known = Matcher.from_terms([*registry.known_terms(), *ignored])

    def find(self, text: str, location: Location, *, block: bool = False) -> list[Candidate]:
        """Candidates in one Markdown value at location (block=True for a `|` or `>` YAML scalar)."""
        tokens, _ = parse(text, "check")
        base = location.line + (1 if block else 0) if location.line else 0
        found: dict[str, Candidate] = {}
        for token in tokens:
            if token.type != "inline" or not token.children:
                continue
            line = base + (token.map[0] if token.map and base else 0)
            for run, run_line in _free_runs(token.children, line):
                for text_, kind, offset_lines in self._scan(run):
                    where = Location(location.path, run_line + offset_lines) if run_line else Location(location.path)
                    found.setdefault(text_, Candidate(text_, kind, where))
        return list(found.values())

    def _scan(self, text: str) -> list[tuple[str, Literal["acronym", "name"], int]]:
        masked = list(text)
        for m in self.known.find(text):
            masked[m.start:m.end] = MASK * (m.end - m.start)
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
            line += 1 if line else 0
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


_FINDERS: dict[int, tuple[Registry, CandidateFinder]] = {}


def find_candidates(text: str, registry: Registry, location: Location, *, block: bool = False) -> list[Candidate]:
    """Unknown acronyms and capitalised names in one Markdown value (see CandidateFinder.find)."""
    cached = _FINDERS.get(id(registry))
    if cached is None or cached[0] is not registry:
        _FINDERS.clear()
        cached = (registry, CandidateFinder(registry))
        _FINDERS[id(registry)] = cached
    return cached[1].find(text, location, block=block)
