"""The warm build session `coopbook watch` keeps: the registry is reused only while its sources are unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from coopbook.errors import ContentError
from coopbook.pipeline import BuildOptions, build, load
from coopbook.session import BuildSession
from tests.conftest import REPO


def test_registry_is_reused_only_while_its_files_are_unchanged(content_copy: Path, tmp_path: Path) -> None:
    session = BuildSession(BuildOptions(content_copy, tmp_path / "out"))
    first = load(content_copy, session).registry
    assert load(content_copy, session).registry is first
    assert (session.warm.registry_loads, session.warm.registry_hits) == (1, 1)

    people = next((content_copy / "registry").glob("*.yaml"))
    people.write_bytes(people.read_bytes() + b"\n# a comment changes the bytes\n")
    second = load(content_copy, session).registry
    assert second is not first and session.warm.registry_loads == 2
    assert second == load(content_copy).registry  # the same registry a cold load gives


def test_registry_is_reloaded_when_an_interviewee_is_renamed(content_copy: Path, tmp_path: Path) -> None:
    session = BuildSession(BuildOptions(content_copy, tmp_path / "out"))
    first = load(content_copy, session).registry
    first_interview = load(content_copy).book.interviews[0]
    interview = content_copy / "interviews" / f"{first_interview.id}.yaml"
    name = first_interview.interviewee.name
    text = interview.read_text("utf-8")
    assert f"  name: {name}\n" in text
    interview.write_text(text.replace(f"  name: {name}\n", f"  name: {name} Junior\n", 1), "utf-8")
    renamed = load(content_copy, session).registry
    assert renamed is not first and session.warm.registry_hits == 0
    assert renamed == load(content_copy).registry


def test_an_unchanged_interview_file_is_not_parsed_again_and_its_problems_are_said_again(content_copy: Path,
                                                                                          tmp_path: Path) -> None:
    session = BuildSession(BuildOptions(content_copy, tmp_path / "out"))
    cold = load(content_copy).book
    first = load(content_copy, session).book
    kept = dict(session.warm.loaded)
    assert sorted(path.stem for path in kept) == sorted(i.id for i in cold.interviews)
    again = load(content_copy, session).book
    assert all(a is b for a, b in zip(again.interviews, first.interviews, strict=True))  # the memo's own objects
    assert again == cold

    path = content_copy / "interviews" / f"{cold.interviews[0].id}.yaml"
    text = path.read_text("utf-8")
    path.write_text(text.replace("\nid: ", "\nunknown_field: 1\nid: ", 1), "utf-8")  # an error in one file
    with pytest.raises(ContentError) as first_error:
        load(content_copy, session)
    with pytest.raises(ContentError) as second_error:  # said again from the memo, as a cold load says it
        load(content_copy, session)
    with pytest.raises(ContentError) as cold_error:
        load(content_copy)
    assert [p.format() for p in second_error.value.problems] == [p.format() for p in cold_error.value.problems]
    assert [p.format() for p in first_error.value.problems] == [p.format() for p in cold_error.value.problems]
    assert session.warm.loaded[path] is not kept[path]

    path.write_text(text, "utf-8")
    assert load(content_copy, session).book == cold
    assert set(session.warm.loaded) == set(kept)  # this load's files only


def test_warm_builds_write_the_same_bytes_as_a_cold_build(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(REPO / "tests" / "books" / "mini", content)
    session = BuildSession(BuildOptions(content, tmp_path / "warm", ("pdf", "epub"), cache=False))
    build(session.options, session)
    warm = build(session.options, session)
    session.close()
    cold = build(BuildOptions(content, tmp_path / "cold", ("pdf", "epub"), cache=False))
    assert session.warm.registry_hits == 1
    assert [o.path.read_bytes() for o in warm] == [o.path.read_bytes() for o in cold]


def test_a_warm_build_renders_again_only_the_corrected_interview(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(REPO / "tests" / "books" / "mini", content)
    session = BuildSession(BuildOptions(content, tmp_path / "warm", ("pdf", "epub"), jobs=1))
    build(session.options, session)
    before = dict(session.warm.rendered)
    assert sorted(key[0] for key in before) == ["jurgen-von-muralt", "maria-perez"]
    path = content / "interviews" / "maria-perez.yaml"
    path.write_text(path.read_text("utf-8").replace("In Colombia", "In Bogotá, Colombia"), "utf-8")
    warm = build(session.options, session)
    after = session.warm.rendered
    assert [after[key] is entry for key, entry in before.items() if key in after] == [True]  # jurgen's, kept
    assert sorted(key[0] for key in after) == ["jurgen-von-muralt", "maria-perez"]  # the old maria-perez dropped
    cold = build(BuildOptions(content, tmp_path / "cold", ("pdf", "epub"), jobs=1))
    assert [o.path.read_bytes() for o in warm] == [o.path.read_bytes() for o in cold]


def test_a_content_error_found_beside_a_layout_keeps_the_outputs_and_the_next_warm_build_is_whole(
        tmp_path: Path) -> None:
    """Validate runs while the corrected interview is laid out: its error stops the build at once, the previous
    outputs stay, and the session's next build (its workers started again if they were stopped) is the same as a
    cold one."""
    content = tmp_path / "content"
    shutil.copytree(REPO / "tests" / "books" / "mini", content)
    session = BuildSession(BuildOptions(content, tmp_path / "warm", ("pdf", "epub"), jobs=2))
    first = build(session.options, session)
    before = [o.path.read_bytes() for o in first]
    path = content / "interviews" / "maria-perez.yaml"
    text = path.read_text("utf-8")
    path.write_text(text.replace("In Colombia", "In Bogotá, [Atlantis]{.nonsense} Colombia"), "utf-8")
    try:
        with pytest.raises(ContentError) as stopped:
            build(session.options, session)
        assert [p.message for p in stopped.value.problems if p.severity == "error"] == ["unknown index class in span"]
        assert [o.path.read_bytes() for o in first] == before
        path.write_text(text.replace("In Colombia", "In Bogotá, Colombia"), "utf-8")
        warm = build(session.options, session)
    finally:
        session.close()
    cold = build(BuildOptions(content, tmp_path / "cold", ("pdf", "epub"), jobs=2))
    assert [o.path.read_bytes() for o in warm] == [o.path.read_bytes() for o in cold]
