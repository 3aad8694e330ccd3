"""The message catalogues: every word the book generates, extracted from templates/ and coopbook/ as `make
messages` does, is translated in English, Spanish, French and Italian; a changed catalogue is read again."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from coopbook import i18n
from coopbook.templating import TEMPLATES, render_template

REPO = Path(__file__).resolve().parents[2]
COMPLETE = ("en", "es", "fr", "it")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def extracted() -> dict[str, list[str]]:
    """Every message of templates/ and coopbook/, with where it is, read with the mapping `make messages` uses."""
    with (REPO / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(REPO), method_map, options_map, comment_tags=("Translators:",)):
        msgid = message if isinstance(message, str) else message[0]
        found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def messages() -> dict[str, list[str]]:
    """The messages of the code and templates as they are now."""
    return extracted()


def test_the_words_are_found(messages: dict[str, list[str]]) -> None:
    for word in ("Contents", "Index", "Introduction", "Closing message", "see", "See also", "Pages", "Landmarks",
                 "People", "Note on the text", "Start of content", "%(section)s (continued)"):
        assert word in messages, word


@pytest.mark.parametrize("language", COMPLETE)
def test_catalogue_is_complete(language: str, messages: dict[str, list[str]]) -> None:
    with i18n.catalogue_path(language).open("rb") as po:
        catalog = read_po(po, locale=language)
    missing, empty, fuzzy, placeholders = [], [], [], []
    for msgid, where in sorted(messages.items()):
        message = catalog.get(msgid)
        shown = f"{msgid!r} ({where[0]})"
        if message is None:
            missing.append(shown)
        elif not message.string:
            empty.append(shown)
        elif message.fuzzy:
            fuzzy.append(shown)
        elif set(PLACEHOLDER.findall(message.string)) != set(PLACEHOLDER.findall(msgid)):
            placeholders.append(f"{shown} -> {message.string!r}")
    problems = {"missing": missing, "empty": empty, "fuzzy": fuzzy, "placeholders differ": placeholders}
    assert not any(problems.values()), (
        f"templates/locale/{language}/LC_MESSAGES/coopbook.po: "
        + "; ".join(f"{kind}: {', '.join(items)}" for kind, items in problems.items() if items)
        + " (run `make messages`, then translate)")


def test_the_template_is_up_to_date(messages: dict[str, list[str]]) -> None:
    with (TEMPLATES / "locale" / "coopbook.pot").open("rb") as pot:
        listed = {m.id for m in read_po(pot) if m.id}
    assert listed == set(messages), "templates/locale/coopbook.pot is stale: run `make messages`"


@pytest.mark.parametrize(("tag", "catalogue"), [("en-GB", "en"), ("es", "es"), ("es-419", "es"), ("fr-CA", "fr"),
                                                ("it", "it"), ("de", "en"), ("sv-SE", "en")])
def test_the_catalogue_follows_the_base_language(tag: str, catalogue: str) -> None:
    assert i18n.catalogue_language(tag) == catalogue


@pytest.mark.parametrize(("tag", "expected"), [
    ("en-GB", "22 July 2020"), ("es", "22 de julio de 2020"), ("es-419", "22 de julio de 2020"),
    ("fr", "22 juillet 2020"), ("it", "22 luglio 2020"), ("sv", "22 juli 2020")])
def test_long_dates_in_the_language(tag: str, expected: str) -> None:
    assert i18n.long_date(dt.date(2020, 7, 22), tag) == expected


def test_words_in_the_language() -> None:
    words = {tag: i18n.translations(tag) for tag in ("en-GB", "es", "fr", "it", "de")}
    assert [words[t].gettext("Contents") for t in words] == ["Contents", "Índice", "Table des matières", "Indice",
                                                              "Contents"]
    assert words["es"].gettext("Index") == "Índice analítico"
    assert words["it"].gettext("Index") == "Indice analitico"


def test_a_changed_translation_is_read_again(tmp_path: Path) -> None:
    """A long-lived session (`coopbook watch`) sees an edited catalogue: the environment is made again."""
    root = tmp_path / "templates"
    shutil.copytree(TEMPLATES / "locale", root / "locale")
    (root / "words.html").write_text('{{ _("Contents") }} {{ date | long_date }}', encoding="utf-8")
    when = dt.date(2020, 7, 22)
    assert render_template("words.html", root, language="es", date=when) == "Índice 22 de julio de 2020"
    po = i18n.catalogue_path("es", root)
    po.write_text(po.read_text("utf-8").replace('msgstr "Índice"', 'msgstr "Sumario general"'), encoding="utf-8")
    assert render_template("words.html", root, language="es", date=when) == "Sumario general 22 de julio de 2020"
    assert render_template("words.html", root, language="en-GB", date=when) == "Contents 22 July 2020"
