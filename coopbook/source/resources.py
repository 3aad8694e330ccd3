"""Every file the book reads besides its YAML: one resolver, one URL fetcher, one link rule.

An image (or the cover) is a reference written in the content, as an URL relative to content/ (`images/a%20b.png`).
It is accepted only when, percent-escapes decoded and symlinks resolved, it names a regular file under
content/images with a known image type, below a size limit, that decodes as that type; an SVG image must not refer
to anything outside itself (no href but `#id`, no `url()` but `url(#id)`, no entities, scripts or event handlers).
Special files (FIFOs, devices) and folders are refused from `os.stat`, without opening them. `check` (lint.py),
the PDF (the WeasyPrint URL fetcher, in coopbook.source.fetcher so that this module needs no WeasyPrint) and the
EPUB packer all ask this module, so they agree. Nothing is ever fetched from the network: the fetcher serves only
the book's own templates (CSS, fonts), the images the book uses and small `data:` URLs, and refuses everything else.
"""

from __future__ import annotations

import hashlib
import html
import io
import os
import re
import stat
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from xml.parsers import expat

IMAGES = "images"
MAX_IMAGE_BYTES = 16 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
MAX_TEMPLATE_BYTES = 32 * 1024 * 1024
MAX_DATA_URL = 8 * 1024
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".svg": "image/svg+xml", ".webp": "image/webp"}
PIL_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WEBP"}
LINK_SCHEMES = ("http", "https", "mailto")
IMG_SRC = re.compile(r'<img\b[^>]*?\ssrc="([^"]*)"')
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]")
_CSS_URL = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]*)", re.IGNORECASE)
_SAFE_NAME = re.compile(r"^[A-Za-z0-9._/-]+$")


class Refused(Exception):
    """A reference the book may not read: what is wrong (message), the value at fault and a hint."""

    def __init__(self, message: str, value: str, hint: str | None = None) -> None:
        super().__init__(f"{message} ({value})")
        self.message = message
        self.value = value
        self.hint = hint


@dataclass(frozen=True)
class Image:
    """An image the book may use: its reference as written, its path under content/, type and size."""

    ref: str
    name: str
    path: Path
    media_type: str
    size: int

    def read(self) -> bytes:
        """The file's bytes, read again through the resolver's checks (never more than the size limit)."""
        return read_regular(self.path, self.ref, MAX_IMAGE_BYTES)

    def digest(self) -> str:
        """The SHA-256 of the file, streamed in chunks."""
        with _open_regular(self.path, self.ref, MAX_IMAGE_BYTES) as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()


def normalise_url(url: str) -> str:
    """A link or image reference as browsers read it: no tab or line break inside, no space at the ends."""
    return re.sub(r"[\t\n\r]", "", url).strip(" \x00\x0b\x0c")


def is_safe_link(url: str) -> bool:
    """True for http(s) links with a host, mailto and in-book `#id` links, as written and percent-decoded."""
    return all(_link_ok(form) for form in (normalise_url(url), normalise_url(unquote(url))))


def _link_ok(target: str) -> bool:
    if target.startswith("#"):
        return len(target) > 1 and not _INVISIBLE.search(target)
    match = _SCHEME.match(target)
    if match is None or match.group(1).lower() not in LINK_SCHEMES:
        return False
    if match.group(1).lower() == "mailto":
        return len(target) > len("mailto:")
    try:
        return bool(urlsplit(target).netloc)
    except ValueError:
        return False


def image_sources(markup: str) -> list[str]:
    """The `src` of every `<img>` in HTML/XHTML, unescaped, in order of appearance."""
    return [html.unescape(src) for src in IMG_SRC.findall(markup)]


def resolve_image(content: Path, ref: str) -> Image:
    """Resolve an image reference written in the content (an URL relative to content/) or raise Refused."""
    target = normalise_url(ref)
    if not target:
        raise Refused("image has no file name", ref)
    if _SCHEME.match(target) or target.startswith("//"):
        scheme = target.split(":", 1)[0].lower()
        if scheme in ("http", "https", "ftp") or target.startswith("//"):
            raise Refused("remote images are not allowed; nothing is downloaded", ref,
                          f"save the image in {IMAGES}/ and refer to it as {IMAGES}/<file>")
        raise Refused(f"image must be a file in {IMAGES}/", ref)
    if "?" in target or "#" in target:
        raise Refused("image reference must be a plain file name, without ? or #", ref)
    name = unquote(target)
    if name.startswith(("/", "\\")) or "\\" in name or "\x00" in name or re.match(r"^[A-Za-z]:", name):
        raise Refused(f"image must be a file in {IMAGES}/", ref)
    base = Path(os.path.realpath(content))
    folder = base / IMAGES  # not resolved: an images/ that is itself a link out of content/ is refused too
    path = Path(os.path.realpath(base / name))
    if folder not in path.parents:
        written = Path(os.path.normpath(Path(os.path.abspath(content)) / name))
        linked = Path(os.path.normpath(Path(os.path.abspath(content)) / IMAGES)) in written.parents
        raise Refused(f"image must be a file in {IMAGES}/", ref,
                      "it is a symbolic link that leads outside it" if linked else None)
    media_type = IMAGE_TYPES.get(path.suffix.lower())
    if media_type is None:
        raise Refused("not an image type the book can use", ref, "use .png, .jpg, .gif, .svg or .webp")
    size = _regular_size(path, ref, MAX_IMAGE_BYTES)
    return Image(ref, path.relative_to(base).as_posix(), path, media_type, size)


def verify_image(image: Image) -> bytes:
    """Read an image and make sure it decodes as its type (an SVG: refers to nothing outside); its bytes."""
    data = image.read()
    suffix = image.path.suffix.lower()
    if suffix == ".svg":
        check_svg(data, image.ref)
        return data
    from PIL import Image as PILImage

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            with PILImage.open(io.BytesIO(data)) as picture:
                if picture.format != PIL_FORMATS[suffix]:
                    raise Refused(f"image is not a {PIL_FORMATS[suffix]} file", image.ref,
                                  f"it looks like {picture.format or 'something else'}")
                width, height = picture.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise Refused(f"image is too large ({width}×{height} pixels)", image.ref,
                                  f"the limit is {MAX_IMAGE_PIXELS:,} pixels")
                picture.load()
    except Refused:
        raise
    except PILImage.UnidentifiedImageError:
        raise Refused("image cannot be decoded", image.ref, f"it is not a {PIL_FORMATS[suffix]} file") from None
    except Exception as exc:  # noqa: BLE001 - whatever Pillow says, the image cannot be drawn
        said = re.sub(r"\s*<[^>]*>", "", str(exc)).strip()
        raise Refused("image cannot be decoded", image.ref, said[:80] or type(exc).__name__) from None
    return data


def check_svg(data: bytes, ref: str) -> None:
    """Refuse an SVG that is not XML or could load or run anything (entities, hrefs, url(), scripts, handlers)."""
    found: list[str] = []
    in_style = 0

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal in_style
        local = tag.rsplit(" ", 1)[-1].rsplit("}", 1)[-1].lower()
        if local in ("script", "foreignobject", "iframe"):
            found.append(f"<{local}>")
        if local == "style":
            in_style += 1
        for key, value in attrs.items():
            name = key.rsplit(" ", 1)[-1].lower()
            if name.startswith("on"):
                found.append(f"{name}=")
            elif name == "href" and not value.strip().startswith("#"):
                found.append(f"href={value}")
            else:
                found.extend(_css_references(value))

    def end(tag: str) -> None:
        nonlocal in_style
        if tag.rsplit(" ", 1)[-1].rsplit("}", 1)[-1].lower() == "style":
            in_style -= 1

    def text(data: str) -> None:
        if in_style:
            found.extend(_css_references(data))

    def entity(name: str, *_: Any) -> None:
        found.append(f"<!ENTITY {name}>")

    def external(*args: Any) -> int:
        found.append("external entity")
        return 0

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.EntityDeclHandler = entity
    parser.ExternalEntityRefHandler = external
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        if not found:
            raise Refused("SVG image is not well-formed XML", ref, str(exc)) from None
    if found:
        raise Refused("SVG image refers to or runs something outside itself", ref, found[0][:80])


def _css_references(value: str) -> list[str]:
    refs = [f"url({m})" for m in _CSS_URL.findall(value) if not m.startswith("#")]
    if "@import" in value.lower():
        refs.append("@import")
    return refs


def _regular_size(path: Path, ref: str, limit: int) -> int:
    """The size of a regular file, from stat alone (nothing is opened); Refused for anything else."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise Refused("image file not found", ref) from None
    except OSError as exc:
        raise Refused("image file cannot be read", ref, exc.strerror) from None
    if stat.S_ISDIR(info.st_mode):
        raise Refused("image is a folder, not a file", ref)
    if not stat.S_ISREG(info.st_mode):
        raise Refused("image is not a regular file (a device, pipe or socket)", ref)
    if info.st_size > limit:
        raise Refused(f"image file is too large ({info.st_size:,} bytes)", ref, f"the limit is {limit:,} bytes")
    return info.st_size


def _open_regular(path: Path, ref: str, limit: int) -> io.BufferedReader:
    _regular_size(path, ref, limit)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > limit:  # swapped between stat and open
        os.close(fd)
        raise Refused("image is not a regular file (a device, pipe or socket)", ref)
    return os.fdopen(fd, "rb")


def read_regular(path: Path, ref: str, limit: int) -> bytes:
    with _open_regular(path, ref, limit) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise Refused(f"image file is too large (over {limit:,} bytes)", ref)
    return data


def package_name(image: Image) -> str:
    """The image's file name inside the EPUB: its own when plain ASCII, else a plain one made from it."""
    if _SAFE_NAME.match(image.name):
        return image.name
    stem, suffix = os.path.splitext(image.name)
    plain = re.sub(r"[^A-Za-z0-9._/-]+", "-", stem).strip("-") or "image"
    tag = hashlib.sha256(image.name.encode("utf-8")).hexdigest()[:8]
    return f"{plain}-{tag}{suffix.lower()}"


def used_images(content: Path, refs: Iterable[str]) -> tuple[dict[str, Image], dict[str, Refused]]:
    """Resolve and verify every reference once: the images by reference, and the refusals by reference."""
    images: dict[str, Image] = {}
    refused: dict[str, Refused] = {}
    for ref in dict.fromkeys(refs):
        try:
            image = resolve_image(content, ref)
            verify_image(image)
            images[ref] = image
        except Refused as exc:
            refused[ref] = exc
    return images, refused


def walk_refs(sources: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """(owner, src) for every `<img>` in each (owner, markup) pair."""
    for owner, markup in sources:
        for src in image_sources(markup):
            yield owner, src
