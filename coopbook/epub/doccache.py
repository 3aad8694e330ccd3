"""Each interview's EPUB document kept between builds (coopbook.interviewcache, kind `epub`).

What is kept is the document as its template renders it, before the print page markers go in (they depend on
the folios, which any earlier interview can move), and the document with its markers, keyed by them too: each
keyed by the interview's rendering key (its file, book.yaml,
the registry, coopbook's code: see markdown.rendercache), the templates (every file's name, size and time) and
the template variables (book settings, version, build time, editorial notes). The cover drawn from its SVG
template is kept too, by the SVG's text.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..interviewcache import EntryStore, Memos, code_digest, digest, folder_stamp
from ..records import fields, text
from ..templating import TemplateContext

KIND = "epub"


class DocumentCache:
    """The interviews' rendered EPUB documents on disk, for one set of templates and template variables (memo: a
    watch session's, by kind, kept in memory too)."""

    def __init__(self, cache_dir: Path, render_keys: Mapping[str, str], templates: Path,
                 context: TemplateContext, memo: Memos | None = None) -> None:
        self.store = EntryStore(cache_dir, KIND, memo.setdefault(KIND, {}) if memo is not None else None)
        self.covers = EntryStore(cache_dir, "cover", memo.setdefault("cover", {}) if memo is not None else None)
        self.render_keys = render_keys
        self.context = digest(KIND, folder_stamp(templates), repr(context.variables()))

    def xhtml(self, interview_id: str, render: Callable[[], str]) -> str:
        """The interview's document as its template renders it: from the cache, else rendered and kept."""
        render_key = self.render_keys.get(interview_id)
        if render_key is None:
            return render()
        return self._get_or_make(digest(self.context, interview_id, render_key), render)

    def placed(self, interview_id: str, markers: Sequence[tuple[int, str]], place: Callable[[], str]) -> str:
        """The interview's document with these page markers in it: from the cache, else placed and kept."""
        render_key = self.render_keys.get(interview_id)
        if render_key is None:
            return place()
        return self._get_or_make(digest(self.context, interview_id, render_key, repr(list(markers))), place)

    def _get_or_make(self, key: str, make: Callable[[], str]) -> str:
        cached = self.store.get(key, _xhtml)
        if cached is not None:
            return cached
        xhtml = make()
        self.store.put(key, {"xhtml": xhtml}, xhtml)
        return xhtml

    def cover(self, svg: str, draw: Callable[[str], bytes]) -> bytes:
        """The cover drawn from its SVG: from the cache, else drawn and kept."""
        key = digest("cover", code_digest(), svg)
        cached = self.covers.get(key, _png)
        if cached is not None:
            return cached
        png = draw(svg)
        self.covers.put(key, {"png": base64.b64encode(png).decode("ascii")}, png)
        return png

    def prune(self) -> None:
        """Remove the entries no build used for a while."""
        self.store.prune()
        self.covers.prune()


def _png(record: Any) -> bytes:
    data = base64.b64decode(text(fields(record, {"png"})["png"]), validate=True)
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError("not a PNG")
    return data


def _xhtml(record: Any) -> str:
    return text(fields(record, {"xhtml"})["xhtml"])
