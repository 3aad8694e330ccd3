"""The per-interview cache (coopbook.interviewcache): what a rebuild reads instead of redoing, and how safely.

Real builds of the mini book: a warm cache gives the same bytes as no cache; the cache is really read (a sealed
entry planted with other text shows up in the EPUB); a corrupt, truncated or foreign entry is ignored and made
again; --no-cache neither reads nor writes it; validate's cached findings never hide or keep a problem.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import shutil
import sys
from pathlib import Path

import pytest

from coopbook.editorial.check import check_content
from coopbook.epub.pagelist import SPACES_BELOW
from coopbook.errors import ContentError
from coopbook.fsutil import seal, unseal
from coopbook.interviewcache import FOLDER, folder_stamp
from coopbook.pipeline import BuildOptions, build
from coopbook.session import BuildSession
from tests.conftest import REPO
from tests.readers import Epub, epubcheck

KINDS = ("render", "ids", "validate", "epub")  # epub: each interview's document without and with its page markers
PER_INTERVIEW = {"render": 1, "ids": 1, "validate": 1, "epub": 2}


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A copy of the mini book."""
    folder = tmp_path / "content"
    shutil.copytree(REPO / "tests" / "books" / "mini", folder)
    return folder


def entries(out: Path, kind: str) -> list[Path]:
    """The cache entries of one kind under an output folder."""
    return sorted((out / ".cache" / FOLDER / kind).glob("*/*.json"))


def outputs(options: BuildOptions) -> list[bytes]:
    """Build and return the bytes of every output, in order."""
    return [o.path.read_bytes() for o in build(options)]


@pytest.mark.slow
def test_a_warm_cache_gives_the_same_bytes_as_no_cache(content: Path, tmp_path: Path) -> None:
    warm = BuildOptions(content, tmp_path / "warm", ("pdf", "epub"), jobs=1)
    first = outputs(warm)
    assert {kind: len(entries(warm.out, kind)) for kind in KINDS} == {k: 2 * n for k, n in PER_INTERVIEW.items()}
    assert len(entries(warm.out, "cover")) == 1
    again = outputs(warm)  # everything per interview from the cache
    cold = outputs(BuildOptions(content, tmp_path / "cold", ("pdf", "epub"), jobs=1, cache=False))
    assert again == first == cold
    assert epubcheck(warm.out / "test-anthology.epub") == []


@pytest.mark.slow
def test_a_corrected_interview_is_made_again_and_the_other_read_back(content: Path, tmp_path: Path) -> None:
    warm = BuildOptions(content, tmp_path / "warm", ("pdf", "epub"), jobs=1)
    build(warm)
    path = content / "interviews" / "maria-perez.yaml"
    path.write_text(path.read_text("utf-8").replace("In Colombia", "In Bogotá, Colombia"), "utf-8")
    corrected = outputs(warm)
    counts = {kind: len(entries(warm.out, kind)) for kind in KINDS}  # the corrected interview's new entries
    assert counts == {k: 3 * n for k, n in PER_INTERVIEW.items()}
    assert corrected == outputs(BuildOptions(content, tmp_path / "cold", ("pdf", "epub"), jobs=1, cache=False))


def test_the_cache_is_read_sealed_entries_and_all(content: Path, tmp_path: Path) -> None:
    """A valid entry planted with other text is used: proof that a rebuild reads the cache (and why it is sealed)."""
    options = BuildOptions(content, tmp_path / "out", ("epub",), jobs=1)
    build(options)
    planted = 0
    for path in entries(options.out, "epub"):
        key = path.stem
        record, _ = unseal(path.read_bytes(), "epub", key)
        record["xhtml"] = record["xhtml"].replace("</body>", "<p>planted in the cache</p></body>")
        path.write_bytes(seal("epub", key, record, b""))
        planted += 1
    assert planted == 4
    build(options)
    epub = Epub.open(options.out / "test-anthology.epub")
    assert "planted in the cache" in epub.text_of(epub.href("interview-maria-perez.xhtml"))


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["flip", "truncate", "foreign", "pickle", "wrong-types"])
def test_a_damaged_entry_is_ignored_and_made_again(content: Path, tmp_path: Path, damage: str,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    options = BuildOptions(content, tmp_path / "out", ("pdf", "epub"), jobs=1)
    good = outputs(options)
    damaged = [path for kind in (*KINDS, "cover") for path in entries(options.out, kind)]
    for path in damaged:
        data = path.read_bytes()
        kind = path.parent.parent.name
        if damage == "flip":
            data = data[:-5] + bytes([data[-5] ^ 0x20]) + data[-4:]
        elif damage == "truncate":
            data = data[: len(data) // 2]
        elif damage == "foreign":  # a sound entry, but made for another key
            record, _ = unseal(data, kind, path.stem)
            data = seal(kind, "0" * 64, record, b"")
        elif damage == "pickle":
            data = pickle.dumps({"xhtml": "<p>pickled</p>"})
        else:  # sealed for this key, but not a record of this kind
            data = seal(kind, path.stem, {"xhtml": 5, "ids": "x", "located": None}, b"")
        path.write_bytes(data)
    with caplog.at_level(logging.WARNING):
        assert outputs(options) == good
    notes = [r.getMessage() for r in caplog.records if "cache entry" in r.getMessage()]
    assert len(notes) == len(damaged) and all(note.endswith("; made again") for note in notes)
    for path in damaged:  # removed, then written again by the build
        json.loads(path.read_bytes().split(b"\n")[1])


def test_no_cache_neither_reads_nor_writes_it(content: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions(content, out, ("epub",), jobs=1, cache=False))
    assert not (out / ".cache").exists()


def test_a_cached_build_still_checks_the_introduction(content: Path, tmp_path: Path) -> None:
    options = BuildOptions(content, tmp_path / "out", ("epub",), jobs=1)
    build(options)
    book = content / "book.yaml"
    book.write_text(book.read_text("utf-8").replace("with *emphasis*", "with [a link](#nowhere)"), "utf-8")
    with pytest.raises(ContentError) as raised:
        build(options)  # no interview changed: every interview's findings come from the cache
    reported = [p.format() for p in raised.value.problems]
    assert [line for line in reported if "(#nowhere)" in line] == [
        f"{book}:16:49: error: link target is not an id in the book (#nowhere); "
        "link to #interview-<id>, #q-<id>-<n> (from 1) or a footnote"]
    assert reported == [p.format() for p in check_content(content).problems]


def test_a_fixed_link_is_no_longer_reported_while_the_other_stays(content: Path, tmp_path: Path) -> None:
    options = BuildOptions(content, tmp_path / "out", ("epub",), jobs=1)
    files = [content / "interviews" / f"{name}.yaml" for name in ("jurgen-von-muralt", "maria-perez")]
    originals = [path.read_text("utf-8") for path in files]
    for path in files:  # the last answer of each interview gets a link to nowhere
        text = path.read_text("utf-8").rstrip("\n")
        path.write_text(text + " [See](#nowhere).\n", "utf-8")

    def errors() -> list[str]:
        try:
            build(options)
        except ContentError as error:
            found = sorted({p.location.path for p in error.problems if p.value == "#nowhere"})
            assert [p.format() for p in error.problems] == [p.format() for p in check_content(content).problems]
            return found
        return []

    assert errors() == [str(path) for path in files]
    files[0].write_text(originals[0], "utf-8")
    assert errors() == [str(files[1])]
    files[1].write_text(originals[1], "utf-8")
    assert errors() == []


def test_a_session_keeps_only_the_current_findings(content: Path, tmp_path: Path) -> None:
    session = BuildSession(BuildOptions(content, tmp_path / "out", ("epub",), jobs=1))
    build(session.options, session)
    assert {kind: len(session.warm.stored[kind]) for kind in ("validate", "ids")} == {"validate": 2, "ids": 2}
    path = content / "interviews" / "maria-perez.yaml"
    path.write_text(path.read_text("utf-8").replace("In Colombia", "In Bogotá, Colombia"), "utf-8")
    build(session.options, session)
    # the old version's are dropped; of the EPUB documents, those asked for: the unchanged interview's with its
    # markers (not the one without: not needed), the corrected interview's without and with them
    assert {kind: len(memo) for kind, memo in session.warm.stored.items()} == {
        "validate": 2, "ids": 2, "epub": 3, "cover": 1}


def test_every_white_space_character_is_below_the_page_markers_bound() -> None:
    assert not [n for n in range(SPACES_BELOW, sys.maxunicode + 1) if chr(n).isspace()]


def test_a_template_edit_that_keeps_size_and_time_still_changes_the_key(tmp_path: Path) -> None:
    """A file copied in with its old modification time (cp -p, a backup restored) changes the templates' stamp."""
    folder = tmp_path / "templates"
    (folder / "epub").mkdir(parents=True)
    page = folder / "epub" / "interview.xhtml"
    page.write_text("<p>{{ title }}</p>", encoding="utf-8")
    before = folder_stamp(folder)
    stat = page.stat()
    page.write_text("<h1>{{ title }}</h1>"[:len("<p>{{ title }}</p>")], encoding="utf-8")
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert page.stat().st_size == stat.st_size and page.stat().st_mtime_ns == stat.st_mtime_ns
    assert folder_stamp(folder) != before
    page.write_text("<p>{{ title }}</p>", encoding="utf-8")
    assert folder_stamp(folder) == before
