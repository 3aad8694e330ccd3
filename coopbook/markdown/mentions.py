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

from markdown_it.token import Token

from ..errors import Location, Problems
from ..source.registry import KINDS, Registry
from . import anchors

BREAKS = ("softbreak", "hardbreak")
SPAN_ATTRS = ("class", "ref")  # the attributes markup keeps on `{...}` spans


def token_line(origin: Location, token: Token, *, block: bool = False) -> int:
    """The file line where a block token's text starts, in a Markdown value whose YAML scalar is at origin
    (block=True for a `|` or `>` scalar, whose text starts on the next line); 0 when the line is unknown."""
    if not origin.line:
        return 0
    return origin.line + (1 if block else 0) + (token.map[0] if token.map else 0)


def next_line(line: int) -> int:
    """The line after a line break (0, unknown, stays 0)."""
    return line + 1 if line else 0


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
    def from_registry(cls, registry: Registry, language: str | None = None) -> Matcher:
        """A matcher over registry.terms(language): the names and aliases matched in interviews of a base
        language, or (None) every string of every indexed entry."""
        return cls.from_terms(registry.terms(language))

    @classmethod
    def for_language(cls, registry: Registry, language: str) -> Matcher:
        """The matcher of a base language's interviews, compiled once and kept with the registry (a warm
        session that reuses the registry reuses its matchers)."""
        return registry.memo(("matcher", language), lambda: cls.from_registry(registry, language))

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
                token.children = self._inline(link_spans(token.children), self._line(token))
        return tokens

    # ---- internals ----

    def _next_id(self) -> str:
        return anchors.mention(self.interview_id, len(self.mentions) + 1)

    def _line(self, token: Token) -> int:
        return token_line(self._origin, token, block=self._block)

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
                if child.type in BREAKS:
                    line = next_line(line)
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
                line = next_line(line)
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


def link_spans(children: list[Token]) -> list[Token]:
    """Move `{...}` attributes written after a link onto a span around its text: `[ACOPAM](url){.programme}`
    marks the link text as a mention, like `[ACOPAM]{.programme}`, and the link keeps only its target."""
    out: list[Token] = []
    closes: list[bool] = []  # per open link: whether a span was opened inside it
    for child in children:
        if child.type == "link_open":
            moved = {k: v for k, v in child.attrs.items() if k in SPAN_ATTRS}
            closes.append(bool(moved))
            out.append(child)
            if moved:
                child.attrs = {k: v for k, v in child.attrs.items() if k not in SPAN_ATTRS}
                span = Token("span_open", "span", 1)
                span.attrs = moved
                out.append(span)
            continue
        if child.type == "link_close" and closes and closes.pop():
            out.append(Token("span_close", "span", -1))
        out.append(child)
    return out


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
