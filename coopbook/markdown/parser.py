"""The book's one markdown-it configuration: CommonMark, footnotes and `{...}` attribute spans.

Raw HTML is escaped, never passed through; only http(s), mailto and in-book (#) links are kept (any other
link keeps its text only), images only when they name a file under images/ (otherwise their alt text is
printed); the rule is resources.is_safe_link, the same `check` applies. Only the `class` and `ref` attributes
survive in `{...}` spans. `check` asks for the same parser keeping every link (to report the unsafe ones) or
reading raw HTML (to report it).
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_plugin
from mdit_py_plugins.footnote import footnote_plugin

from ..source.resources import IMAGES, is_safe_link, normalise_url
from .typography import typography_plugin

ALLOWED_ATTRS = ("class", "ref")
PARSER_NESTING = 50  # markdown-it's maxNesting (it drops text beyond it): well above MAX_DEPTH, so none is lost


def is_safe_image(src: str) -> bool:
    """True for an image reference that may name a file under images/: relative, no scheme, no '..' (also
    percent-encoded), no query or fragment. Whether the file may be read is resources.resolve_image's call."""
    target = normalise_url(src)
    if not target or ":" in target or "?" in target or "#" in target:
        return False
    parts = unquote(target).split("/")
    return parts[0] == IMAGES and len(parts) > 1 and ".." not in parts and "\\" not in unquote(target)


def _safe_urls(state: StateCore) -> None:
    """Core rule: drop links that are not safe (their text stays) and images that cannot be a book image."""
    for token in state.tokens:
        if token.type == "inline" and token.children:
            token.children = _keep_safe(token.children)


def _keep_safe(children: list[Token]) -> list[Token]:
    kept: list[Token] = []
    dropped: list[bool] = []
    for child in children:
        if child.type == "link_open":
            dropped.append(not is_safe_link(str(child.attrGet("href") or "")))
            if not dropped[-1]:
                kept.append(child)
        elif child.type == "link_close":
            if not (dropped.pop() if dropped else False):
                kept.append(child)
        elif child.type == "image" and not is_safe_image(str(child.attrGet("src") or "")):
            kept.extend(child.children or [])
        else:
            kept.append(child)
    return kept


def new_parser(*, safe: bool = True, html: bool = False) -> MarkdownIt:
    """A new parser of the book's Markdown (for a caller that adds render rules); see parser."""
    md = MarkdownIt("commonmark", {"html": html, "linkify": False, "typographer": False,
                                   "maxNesting": PARSER_NESTING})
    md.use(footnote_plugin)
    md.use(attrs_plugin, spans=True, allowed=ALLOWED_ATTRS)
    md.validateLink = lambda url: True  # type: ignore[method-assign]  # parsed as check sees them; see _safe_urls
    if safe:
        md.core.ruler.after("inline", "coopbook_safe_urls", _safe_urls)
    md.use(typography_plugin)  # rendering only: the tokens that checks and the index read keep the editor's text
    return md


@lru_cache(maxsize=4)
def parser(*, safe: bool = True, html: bool = False) -> MarkdownIt:
    """The book's Markdown parser (shared); safe=False keeps unsafe links and images, html=True reads raw HTML
    as HTML tokens (both only for `check`, which reports them)."""
    return new_parser(safe=safe, html=html)
