"""Typography at render time: typographic quotes and no-break rules on the text the Markdown renders to.

The content keeps what the editor typed; only the HTML output changes, in the renderer's `text` rule (so the
parsed tokens that index tagging and the checks read are untouched). Straight quotes become the text's
language's quotes (a `Typography` in the render env, see `for_language`; “”‘’ without one); a no-break space
follows "No." before a number, joins a number to its unit and holds "ILO COOP 100" together; word joiners keep a
number range on one line.

Quotes per base language (book.yaml `typography: {quotes: {fr: "«»“”"}}` overrides them, by tag or base
language): en “ ” ‘ ’; fr « » with nested “ ”; es and it « » with nested “ ” (RAE, and the Italian usage);
any other language the English ones. Where the nested closing quote is not ’, a straight ' inside or after a
word is an apostrophe ’ unless it closes an open nested quote.

French spacing, the house rule (Imprimerie nationale): a NARROW NO-BREAK SPACE (U+202F) inside « » and before
; ! ? and a NO-BREAK SPACE (U+00A0, a full word space) before : — a typed space there is replaced, a missing one
inserted. A mark counts only where punctuation ends: followed by a space, the end of the text or more
punctuation, so "10:30", "3:1", "https://…" and "?id=2" keep theirs; code and link targets are never text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

NBSP = "\u00a0"
NNBSP = "\u202f"
WORD_JOINER = "\u2060"
APOSTROPHE = "\u2019"
ENV_KEY = "coopbook_typography"
QUOTES = {"en": "“”‘’", "fr": "«»“”", "es": "«»“”", "it": "«»“”"}  # by base language; others: en
FRENCH_SPACING = frozenset({"fr"})
_MARK_END = r"(?=[\s\u00a0\u202f»”’)\].,…]|$)"  # punctuation ends there: not "10:30", "https://", "?id=2"
_FRENCH_MARK = re.compile(r"(?<=[^\s\u00a0\u202f(\[{«“‘/;:!?])[ \u00a0\u202f]?([;:!?]+)" + _MARK_END)
_GUILLEMET_OPEN = re.compile(r"«[ \u00a0\u202f]?")
_GUILLEMET_CLOSE = re.compile(r"(?<=[^\s\u00a0\u202f])[ \u00a0\u202f]?»")
OPENS_AFTER = set(" \t\n\u00a0([{\u2014\u2013/-") | {""}
NO_BREAK = (
    (re.compile(r"\b(Nos?\.|p{1,2}\.|Art\.) (?=\d)"), rf"\1{NBSP}"),
    (re.compile(r"(\d) (?=(%|per cent|km|kg|ha|mm|cm|m|t|million|billion|hours?|days?|years?)\b)"), rf"\1{NBSP}"),
    (re.compile(r"\b(USD|EUR|CHF|US\$|€|\$) (?=\d)"), rf"\1{NBSP}"),
    (re.compile(r"\bILO COOP 100\b"), f"ILO{NBSP}COOP{NBSP}100"),
    (re.compile(r"(?<![\w/.\-–])(\d{1,4})([–-])(\d{1,4})(?![\w/.\-–])"), rf"\1{WORD_JOINER}\2{WORD_JOINER}\3"),
)


@dataclass(frozen=True)
class Typography:
    """How one language's text is set: its quotes (open, close, nested open, nested close) and French spacing."""

    quotes: str = QUOTES["en"]
    french_spacing: bool = False


ENGLISH = Typography()


def for_language(tag: str, overrides: Mapping[str, str] | None = None) -> Typography:
    """The typography of a language tag: book.yaml's quotes for the tag or its base language, else the defaults."""
    base = tag.split("-")[0].lower()
    chosen = {key.lower(): value for key, value in (overrides or {}).items()}
    quotes = chosen.get(tag.lower()) or chosen.get(base) or QUOTES.get(base, QUOTES["en"])
    return Typography(quotes, base in FRENCH_SPACING)


def typography_plugin(md: MarkdownIt) -> None:
    """Render text tokens with typographic quotes and no-break spaces (use with `md.use`)."""
    md.add_render_rule("text", _render_text)


def typeset(text: str, before: str = "", quotes: str = "“”‘’", *, french: bool = False) -> str:
    """The text with typographic quotes and the no-break rules applied; before: the text just ahead of it in the
    same paragraph (its last character decides whether a quote opens; a nested quote opened in it may close
    here); french: with French spacing (see the module)."""
    nested = _smart_quotes(before, "", 0, quotes)[1] if before and quotes[3] != APOSTROPHE else 0
    result = _smart_quotes(text, before[-1:], nested, quotes)[0]
    for pattern, replacement in NO_BREAK:
        result = pattern.sub(replacement, result)
    return french_spacing(result, before[-1:]) if french else result


def _smart_quotes(text: str, previous: str, nested: int, quotes: str) -> tuple[str, int]:
    """Straight quotes to quotes[0:2] ("), quotes[2:4] (') or the apostrophe; with the nested quotes left open
    (counted only where the nested closing quote is not the apostrophe)."""
    out = []
    for n, ch in enumerate(text):
        if ch == '"':
            ch = quotes[0] if previous in OPENS_AFTER or previous in quotes[::2] else quotes[1]
        elif ch == "'":
            opens = previous in OPENS_AFTER or previous in quotes[::2]
            if opens and text[n + 1 : n + 2].isdigit():
                ch = APOSTROPHE  # an elided year ('90s), not an opening quote
            elif opens or quotes[3] == APOSTROPHE:
                ch = quotes[2] if opens else quotes[3]
                nested += opens
            elif nested and not text[n + 1 : n + 2].isalnum():
                ch, nested = quotes[3], nested - 1
            else:
                ch = APOSTROPHE
        out.append(ch)
        previous = ch
    return "".join(out), nested


def french_spacing(text: str, before: str = "") -> str:
    """French spacing: U+202F inside « » and before ; ! ?, U+00A0 before : (typed spaces replaced, missing ones
    inserted); before: the character just ahead of the text (a mark that opens the text may follow a word)."""
    prefix = before if before and not before.isspace() else ""
    text = _GUILLEMET_OPEN.sub(f"«{NNBSP}", prefix + text)
    text = _GUILLEMET_CLOSE.sub(f"{NNBSP}»", text)
    text = _FRENCH_MARK.sub(lambda m: (NBSP if m.group(1)[0] == ":" else NNBSP) + m.group(1), text)
    return text[len(prefix):]


def _render_text(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    style = env.get(ENV_KEY, ENGLISH) if isinstance(env, dict) else ENGLISH
    if _in_autolink(tokens, idx):
        return escapeHtml(tokens[idx].content)
    return escapeHtml(typeset(tokens[idx].content, _before(tokens, idx), style.quotes, french=style.french_spacing))


def _in_autolink(tokens: Sequence[Token], idx: int) -> bool:
    """True for the text of an autolink (<https://…>): a URL, set as typed."""
    return idx > 0 and tokens[idx - 1].type == "link_open" and tokens[idx - 1].markup == "autolink"


def _before(tokens: Sequence[Token], idx: int) -> str:
    """The text rendered before token idx among its siblings, as typed ("" at the start of a block; a line
    break counts as a space)."""
    parts = []
    for token in tokens[:idx]:
        if token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.type in ("text", "code_inline"):
            parts.append(token.content)
    return "".join(parts)
