"""A changed translation lays out again exactly the parts that print it: the part cache's key holds each part's
HTML (with its translated words), so an edited catalogue changes the keys of those parts and no other."""

from __future__ import annotations

import shutil
from pathlib import Path

from coopbook import i18n
from coopbook.layout.book import book_style, index_specs, interview_specs
from coopbook.layout.part import part_key
from coopbook.pipeline import load, make_index, render, template_context

SPANISH = Path(__file__).resolve().parents[2] / "tests" / "books" / "spanish"


def keys(templates: Path) -> dict[str, str]:
    """The part-cache keys of the Spanish book's interviews and index, laid out from these templates."""
    loaded = load(SPANISH)
    rendered = render(loaded, ("pdf",)).books["pdf"]
    context = template_context(loaded.book)
    style = book_style(context, templates, rendered)
    index = index_specs(make_index(rendered, loaded.registry, None), context, templates)
    assert [spec.name for spec in index] == ["index-people"]  # a short index is one part, named after its first section
    return {spec.name: part_key(style, spec) for spec in [*interview_specs(rendered, context, templates), *index]}


def test_a_changed_translation_changes_the_parts_that_print_it(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(i18n.TEMPLATES, templates)
    before = keys(templates)
    po = i18n.catalogue_path("es", templates)
    text = po.read_text("utf-8")
    assert 'msgstr "véase"' in text
    po.write_text(text.replace('msgstr "véase"', 'msgstr "véanse"'), encoding="utf-8")  # the index prints it
    after = keys(templates)
    assert after["index-people"] != before["index-people"]
    unchanged = {k: v for k, v in before.items() if k != "index-people"}
    assert {k: v for k, v in after.items() if k != "index-people"} == unchanged
    po.write_text(text.replace('msgstr "Mensaje final"', 'msgstr "Despedida"'), encoding="utf-8")
    closing = keys(templates)
    assert closing["tomas-quintero"] != before["tomas-quintero"]  # the interview with a closing message
    assert closing["lucia-benitez"] == before["lucia-benitez"] and closing["index-people"] == before["index-people"]
