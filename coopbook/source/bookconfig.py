"""book.yaml: the anthology's metadata, order of interviews and print settings."""

import datetime as dt
import re
from dataclasses import field
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, ValidationInfo, field_validator
from pydantic.dataclasses import dataclass

from ..errors import Problems
from ..slugs import slugify
from .languages import check_tag
from .resources import Refused, resolve_image, verify_image
from .schema import validate
from .yamlreader import YamlDoc, load_yaml

STRICT = ConfigDict(extra="forbid")

Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)]
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _printable(value: str) -> str:
    match = CONTROL.search(value)
    if match:
        raise ValueError(f"control characters are not allowed (U+{ord(match.group()):04X})")
    return value


def not_blank(value: str | None) -> str | None:
    """A field validator: text made only of spaces is as empty as no text."""
    if value is not None and not value.strip():
        raise ValueError("must not be empty")
    return value


Text = Annotated[str, Field(min_length=1, max_length=10_000), AfterValidator(_printable)]
LongText = Annotated[str, Field(min_length=1, max_length=200_000), AfterValidator(_printable)]
IndexName = Literal["people", "countries", "programmes", "organisations"]

# validation patterns are matched whole (re.fullmatch): `$` would also accept a trailing newline
LENGTH = re.compile(r"(\d{1,6}(?:\.\d{1,6})?)(mm|cm|in|pt)")
MM_PER_UNIT = {"mm": 1.0, "cm": 10.0, "in": 25.4, "pt": 25.4 / 72}
TRIM_MM = (50.0, 500.0)  # each side of the page
BLEED_MM = (0.0, 25.0)


def millimetres(length: str) -> float:
    """A length such as 6in, 152mm, 3mm or 12pt in millimetres."""
    match = LENGTH.fullmatch(length)
    if match is None:
        raise ValueError("expected a length such as 6in, 152mm or 3mm")
    return float(match.group(1)) * MM_PER_UNIT[match.group(2)]


@dataclass(frozen=True, config=STRICT)
class Identifiers:
    """Stable identifiers of the editions."""

    uid: Text
    isbn_print: Text | None = None
    isbn_epub: Text | None = None


@dataclass(frozen=True, config=STRICT)
class Series:
    """The series the interviews belong to, and its description (the book's introduction)."""

    name: Text
    description: LongText


@dataclass(frozen=True, config=STRICT)
class PrintSettings:
    """Page geometry for the PDF and the indexes to print."""

    trim_width: Text = "6in"
    trim_height: Text = "9in"
    bleed: Text = "3mm"
    indexes: tuple[IndexName, ...] = ("people", "countries", "programmes", "organisations")

    @field_validator("trim_width", "trim_height", "bleed")
    @classmethod
    def _length(cls, value: str, info: ValidationInfo) -> str:
        low, high = BLEED_MM if info.field_name == "bleed" else TRIM_MM
        if not low <= millimetres(value) <= high:
            raise ValueError(f"must be between {low:g} mm and {high:g} mm")
        return value


def _four_quotes(value: str) -> str:
    if len(value) != 4:
        raise ValueError(f"a quotes value must be 4 characters: the opening and closing quotes, then the nested "
                         f"pair, e.g. «»“” (this one has {len(value)})")
    return value


LanguageTag = Annotated[str, AfterValidator(check_tag)]
Quotes = Annotated[str, AfterValidator(_four_quotes)]


@dataclass(frozen=True, config=STRICT)
class TypographySettings:
    """How text is set per language: quotes by language tag or base language (see markdown.typography)."""

    quotes: dict[LanguageTag, Quotes] = field(default_factory=dict)

    def __hash__(self) -> int:
        """Hashable like the rest of the book's settings (the mapping by its sorted items)."""
        return hash(tuple(sorted(self.quotes.items())))


@dataclass(frozen=True, config=STRICT)
class BookConfig:
    """Everything book.yaml says about the anthology."""

    title: Text
    language: Text
    publisher: Text
    date: dt.date
    identifiers: Identifiers
    rights: Text
    series: Series
    subtitle: Text | None = None
    slug: Slug | None = None
    editors: tuple[Text, ...] = ()
    edition: Annotated[int, Field(ge=1)] = 1
    keywords: tuple[Text, ...] = ()
    cover: Text | None = None
    order: tuple[Slug, ...] | None = None
    print: PrintSettings = field(default_factory=PrintSettings)
    typography: TypographySettings = field(default_factory=TypographySettings)

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        return check_tag(value)

    @property
    def output_slug(self) -> str:
        """The file name stem of the outputs: slug, or one made from the title."""
        if self.slug:
            return self.slug
        return slugify(self.title) or "book"


def load_config(path: Path, shown: str, problems: Problems) -> tuple[BookConfig | None, YamlDoc | None]:
    """Read and validate book.yaml; problems are recorded, not raised."""
    doc = load_yaml(path, shown, problems)
    if doc is None:
        return None, None
    config = validate(doc, BookConfig, problems)
    if config is not None and config.cover is not None:
        try:
            verify_image(resolve_image(path.parent, config.cover))
        except Refused as refused:
            problems.error(doc.where(("cover",)), f"cover: {refused.message}", refused.value, refused.hint)
    return config, doc
