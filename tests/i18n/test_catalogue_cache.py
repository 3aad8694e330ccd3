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


def keys(templates: Path, cache_dir: Path | None = None) -> dict[str, str]:
    """The part-cache keys of the Spanish book's interviews and index, laid out from these templates (the index's
    HTML kept in cache_dir, if given)."""
    loaded = load(SPANISH)
    rendered = render(loaded, ("pdf",)).books["pdf"]
    context = template_context(loaded.book)
    style = book_style(context, templates, rendered)
    index = index_specs(make_index(rendered, loaded.registry, None), context, templates, cache_dir)
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


def test_the_kept_index_html_follows_a_changed_translation(tmp_path: Path) -> None:
    """The index's HTML kept between builds (coopbook.lastvalue) is made again when a catalogue it prints changes:
    with a cache folder, the keys are those of a build without one, before and after the edit."""
    templates = tmp_path / "templates"
    shutil.copytree(i18n.TEMPLATES, templates)
    cache = tmp_path / "cache"
    assert keys(templates, cache) == keys(templates)
    assert (cache / "last" / "index.json").is_file()
    kept = keys(templates, cache)  # read back from the kept entry
    assert kept == keys(templates)
    po = i18n.catalogue_path("es", templates)
    po.write_text(po.read_text("utf-8").replace('msgstr "véase"', 'msgstr "véanse"'), encoding="utf-8")
    after = keys(templates, cache)
    assert after == keys(templates)
    assert after["index-people"] != kept["index-people"]
