"""WeasyPrint's URL fetcher: the only way a part's layout reads a file (the rules are coopbook.source.resources').

The fetcher serves the templates' CSS and fonts, the images the book uses and small `data:` URLs, and refuses
everything else; it is its own module so that reading and checking the content does not import WeasyPrint
(only the layout, which needs it anyway, imports this module).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, unquote_to_bytes, urlsplit
from urllib.request import url2pathname

from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from .resources import IMAGE_TYPES, MAX_DATA_URL, MAX_IMAGE_BYTES, MAX_TEMPLATE_BYTES, Refused, read_regular


class BookFetcher(URLFetcher):
    """WeasyPrint's URL fetcher: the templates' CSS and fonts, the used images, small data: URLs; nothing else.

    Any other URL stops the layout (an SVG's sub-resources are only recorded: WeasyPrint swallows errors while
    drawing one, so lay_out and write_part check `refused`). Nothing is ever fetched from the network.
    """

    def __init__(self, templates: Path, folders: Iterable[str], images: Iterable[Path]) -> None:
        super().__init__(fail_on_errors=True)
        root = Path(os.path.realpath(templates))
        self.template_roots = tuple(root / folder for folder in folders)
        self.images = frozenset(Path(os.path.realpath(p)) for p in images)
        self.refused: list[str] = []  # WeasyPrint swallows errors while drawing an SVG: the caller checks this

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        """Serve an allowed URL, or stop the layout with the refused URL."""
        try:
            return self._serve(url)
        except RefusedURL:
            self.refused.append(url)
            raise

    def raise_refused(self) -> None:
        """Raise RefusedURL for the first URL refused since the last call (then forget them)."""
        refused, self.refused = self.refused, []
        if refused:
            raise RefusedURL(refused[0])

    def _serve(self, url: str) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return self._data(url)
        if scheme != "file":
            raise RefusedURL(url)
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise RefusedURL(url)
        path = Path(os.path.realpath(url2pathname(parts.path)))
        if path in self.images:
            data = read_regular(path, url, MAX_IMAGE_BYTES)
        elif any(root in path.parents for root in self.template_roots):
            try:
                data = read_regular(path, url, MAX_TEMPLATE_BYTES)
            except Refused:
                raise RefusedURL(url) from None
        else:
            raise RefusedURL(url)
        return URLFetcherResponse(url, data, {"Content-Type": _media_type(path)})

    def _data(self, url: str) -> URLFetcherResponse:
        if len(url) > MAX_DATA_URL or "," not in url:
            raise RefusedURL(url[:60])
        header, payload = url[5:].split(",", 1)
        media = header.removesuffix(";base64") or "text/plain"
        data = base64.b64decode(unquote(payload)) if header.endswith(";base64") else unquote_to_bytes(payload)
        return URLFetcherResponse(url, data, {"Content-Type": media})


class RefusedURL(FatalURLFetchingError):
    """A URL the layout asked for that the book may not read: the layout stops."""

    def __init__(self, url: str) -> None:
        super().__init__(f"refused to read {url}")
        self.url = url


def _media_type(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in IMAGE_TYPES:
        return IMAGE_TYPES[suffix]
    return {".css": "text/css", ".otf": "font/otf", ".ttf": "font/ttf", ".woff": "font/woff",
            ".woff2": "font/woff2"}.get(suffix, "application/octet-stream")
