"""Typography at render time: typographic quotes and no-break rules on the text the Markdown renders to.

The content keeps what the editor typed; only the HTML output changes, in the renderer's `text` rule (so the
parsed tokens that index tagging and the checks read are untouched). Straight quotes become the language's
quotes (markdown-it's `quotes` option, “”‘’ by default); a no-break space follows "No." before a number, joins a
number to its unit and holds "ILO COOP 100" together; word joiners keep a number range on one line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

NBSP = "\u00a0"
WORD_JOINER = "\u2060"
OPENS_AFTER = set(" \t\n\u00a0([{\u2014\u2013/-") | {""}
NO_BREAK = (
    (re.compile(r"\b(Nos?\.|p{1,2}\.|Art\.) (?=\d)"), rf"\1{NBSP}"),
    (re.compile(r"(\d) (?=(%|per cent|km|kg|ha|mm|cm|m|t|million|billion|hours?|days?|years?)\b)"), rf"\1{NBSP}"),
    (re.compile(r"\b(USD|EUR|CHF|US\$|€|\$) (?=\d)"), rf"\1{NBSP}"),
    (re.compile(r"\bILO COOP 100\b"), f"ILO{NBSP}COOP{NBSP}100"),
    (re.compile(r"(?<![\w/.\-–])(\d{1,4})([–-])(\d{1,4})(?![\w/.\-–])"), rf"\1{WORD_JOINER}\2{WORD_JOINER}\3"),
)


def typography_plugin(md: MarkdownIt) -> None:
    """Render text tokens with typographic quotes and no-break spaces (use with `md.use`)."""
    md.add_render_rule("text", _render_text)


def typeset(text: str, before: str = "", quotes: str = "“”‘’") -> str:
    """The text with typographic quotes (before: the character just ahead of it) and the no-break rules applied."""
    out = []
    previous = before
    for ch in text:
        if ch == '"':
            ch = quotes[0] if previous in OPENS_AFTER or previous in quotes[::2] else quotes[1]
        elif ch == "'":
            ch = quotes[2] if previous in OPENS_AFTER or previous in quotes[::2] else quotes[3]
        out.append(ch)
        previous = ch
    result = "".join(out)
    for pattern, replacement in NO_BREAK:
        result = pattern.sub(replacement, result)
    return result


def _render_text(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    quotes = options.get("quotes") or "“”‘’"
    return escapeHtml(typeset(tokens[idx].content, _before(tokens, idx), quotes))


def _before(tokens: Sequence[Token], idx: int) -> str:
    """The last character rendered before token idx among its siblings ("" at the start of a block)."""
    for token in reversed(tokens[:idx]):
        if token.type in ("softbreak", "hardbreak"):
            return " "
        if token.type in ("text", "code_inline") and token.content:
            return token.content[-1]
    return ""
