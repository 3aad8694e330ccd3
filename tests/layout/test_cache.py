"""The build cache cannot run code and cannot lie: sealed JSON + bytes, verified on every read.

Unit tests of PartCache (round trip, miss, corrupt, truncated, foreign, prune), then real builds of the mini
book whose cache entries (parts and font subsets) are bit-flipped, truncated or replaced by a pickle that
would run code: every bad entry is noted and made again, no code runs, and the outputs are byte for byte
those of a clean build.
"""

from __future__ import annotations

import io
import os
import pickle
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pypdf
import pytest

from coopbook.fsutil import BadEntry, seal, unseal
from coopbook.layout.cache import PartCache
from coopbook.layout.part import PartLayout, PartResult
from coopbook.layout.partpdf import FontGlyphs, FontUsage
from coopbook.pipeline import BuildOptions, build

REPO = Path(__file__).resolve().parents[2]
MINI = REPO / "tests" / "books" / "mini"
KEY = "ab" + "0" * 62
OTHER = "cd" + "1" * 62
NOTE = re.compile(r"^(?P<path>\S+): note: cache entry (?P<why>.+); (?P<redo>laid out again|subset again)$")


def sample() -> PartResult:
    """A part with every kind of field: anchors, offsets, int and float widths, non-ASCII text, .notdef."""
    usage = FontUsage((
        FontGlyphs("/F1", "a" * 64, "LinLibertineO", ((3, 250), (17, 512.5), (40, 0)),
                   ((3, "f"), (17, "ﬁ"), (40, "é\u200b")), (40,)),
        FontGlyphs("/F2", "b" * 64, "LinBiolinumO", ((5, 333.333),), ((5, "Ω"),)),
    ))
    layout = PartLayout("maria-perez", "interview", 7, 3, {"maria-perez": 7, "fn-1": 9, "Bogotá": 8},
                        (0, 1450, 3012))
    return PartResult(layout, b"%PDF-1.7\n" + bytes(range(256)) * 4 + b"%%EOF\n", usage)


def notes(caplog: pytest.LogCaptureFixture) -> list[re.Match[str]]:
    """The cache notes logged so far (each one line, in the promised shape)."""
    found = []
    for record in caplog.records:
        message = record.getMessage()
        if ": note: cache entry" in message:
            match = NOTE.match(message)
            assert match, message
            found.append(match)
    return found


def entry(cache: PartCache, key: str) -> Path:
    paths = list(cache.folder.glob(f"*/{key}.*part")) if cache.folder else []
    assert len(paths) == 1, paths
    return paths[0]


# ---- PartCache ----------------------------------------------------------------------------------------


def test_round_trip_keeps_every_field_and_type(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache = PartCache(tmp_path)
    part = sample()
    cache.put(KEY, part)
    back = PartCache(tmp_path).get(KEY)
    assert back == part
    assert [type(w) for _, w in back.glyphs.fonts[0].widths] == [int, float, int]
    assert list(back.layout.anchors) == list(part.layout.anchors)  # order too: anchors feed the PDF
    assert PartCache(tmp_path).get(KEY) == part  # reading does not consume the entry
    none = PartResult(part.layout, part.pdf, None)
    cache.put(OTHER, none)
    assert cache.get(OTHER) == none
    assert notes(caplog) == []


def test_the_entry_is_json_and_bytes_never_a_pickle(tmp_path: Path) -> None:
    cache = PartCache(tmp_path)
    cache.put(KEY, sample())
    data = entry(cache, KEY).read_bytes()
    header, record, payload = data.split(b"\n", 2)
    assert header.startswith(b"coopbook-cache {") and f'"key":"{KEY}"'.encode() in header
    assert b'"sha256":"' in header and b'"format":2' in header
    assert record.startswith(b'{"layout":{"name":"maria-perez"')
    assert payload == sample().pdf
    assert not data.startswith(b"\x80")  # no pickle protocol marker


def test_a_miss_is_quiet(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache = PartCache(tmp_path)
    assert cache.get(KEY) is None
    assert PartCache(None).get(KEY) is None
    PartCache(None).put(KEY, sample())  # no folder: nothing stored, nothing raised
    assert notes(caplog) == []


@pytest.mark.parametrize("where", ["magic", "header", "checksum", "record", "payload", "last byte"])
def test_a_flipped_bit_anywhere_is_noticed(tmp_path: Path, caplog: pytest.LogCaptureFixture, where: str) -> None:
    cache = PartCache(tmp_path)
    cache.put(KEY, sample())
    path = entry(cache, KEY)
    data = bytearray(path.read_bytes())
    header_end = data.index(b"\n")
    record_end = data.index(b"\n", header_end + 1)
    offset = {"magic": 3, "header": data.index(b'"size"') + 2, "checksum": data.index(b'"sha256":"') + 12,
              "record": record_end - 30, "payload": record_end + 200, "last byte": len(data) - 1}[where]
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))
    assert cache.get(KEY) is None
    [note] = notes(caplog)
    assert note["path"].endswith(path.name) and note["redo"] == "laid out again"
    assert not path.exists(), "a bad entry is removed, so it is noted once"
    assert cache.get(KEY) is None and len(notes(caplog)) == 1


@pytest.mark.parametrize("keep", [0, 10, 100, -1])
def test_a_truncated_entry_is_noticed(tmp_path: Path, caplog: pytest.LogCaptureFixture, keep: int) -> None:
    cache = PartCache(tmp_path)
    cache.put(KEY, sample())
    path = entry(cache, KEY)
    data = path.read_bytes()
    path.write_bytes(data[:keep])
    assert cache.get(KEY) is None
    [note] = notes(caplog)
    if keep == -1:
        assert note["why"].startswith("is truncated ("), note["why"]


def test_an_entry_for_another_key_is_foreign(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache = PartCache(tmp_path)
    cache.put(OTHER, sample())
    target = cache.folder / KEY[:2] / entry(cache, OTHER).name.replace(OTHER, KEY)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(entry(cache, OTHER), target)  # a valid entry, under the wrong name
    assert cache.get(KEY) is None
    [note] = notes(caplog)
    assert "another" in note["why"]
    assert cache.get(OTHER) == sample()


def test_a_sealed_entry_with_a_bad_record_is_refused(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Even with a correct checksum (someone who can compute SHA-256), a record of the wrong shape is refused."""
    cache = PartCache(tmp_path)
    cache.put(KEY, sample())
    path = entry(cache, KEY)
    _, pdf = unseal(path.read_bytes(), "part", KEY)
    bad_records = [
        {"layout": {"name": "x", "kind": "interview", "first_folio": "7", "page_count": 3, "anchors": {},
                    "page_offsets": []}, "glyphs": None},
        {"layout": {"name": "x", "kind": "__import__('os')", "first_folio": 7, "page_count": 3, "anchors": {},
                    "page_offsets": []}, "glyphs": None},
        {"layout": {"name": "x", "kind": "blank", "first_folio": 1, "page_count": True, "anchors": {},
                    "page_offsets": []}, "glyphs": None},
        {"layout": {"name": "x", "kind": "blank", "first_folio": 1, "page_count": 1, "anchors": {},
                    "page_offsets": []}, "glyphs": {"fonts": [{"resource": "/F1"}]}},
        {"py/object": "os.system"},
    ]
    for record in bad_records:
        path.write_bytes(seal("part", KEY, record, pdf))
        assert cache.get(KEY) is None, record
    path.write_bytes(seal("part", KEY, {"layout": bad_records[0]["layout"] | {"first_folio": 7}, "glyphs": None},
                          b"not a pdf"))
    assert cache.get(KEY) is None
    assert len(notes(caplog)) == len(bad_records) + 1
    assert all(n["why"].startswith("is corrupt") for n in notes(caplog))


def test_unseal_refuses_nan_and_other_kinds() -> None:
    sealed = seal("part", KEY, {"x": 1}, b"payload")
    assert unseal(sealed, "part", KEY) == ({"x": 1}, b"payload")
    with pytest.raises(BadEntry, match="another"):
        unseal(sealed, "font subset", KEY)
    with pytest.raises(ValueError):
        seal("part", KEY, {"x": float("nan")}, b"")


def test_prune_removes_entries_unused_for_a_week_of_any_format(tmp_path: Path) -> None:
    cache = PartCache(tmp_path)
    cache.put(KEY, sample())
    cache.put(OTHER, sample())
    old = time.time() - 8 * 24 * 3600
    stale, used = entry(cache, KEY), entry(cache, OTHER)
    legacy = cache.folder / "ef" / ("e" * 64 + ".part")  # a format-1 (pickle) entry: never read, only pruned
    legacy.parent.mkdir()
    legacy.write_bytes(b"\x80\x05legacy")
    for path in (stale, used, legacy):
        os.utime(path, (old, old))
    assert cache.get(OTHER) is not None  # use refreshes the entry's time
    assert cache.prune() == 2
    assert not stale.exists() and not legacy.exists() and used.exists()


# ---- real builds: every kind of bad entry is made again, and the outputs are a clean build's -----------


def build_mini(content: Path, out: Path) -> dict[str, bytes]:
    outputs = build(BuildOptions(content, out, ("pdf", "print", "epub"), jobs=1))
    return {o.format: o.path.read_bytes() for o in outputs}


@pytest.fixture()
def book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, dict[str, bytes]]:
    """A built mini book (warm cache) and the bytes of its clean build."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    content = tmp_path / "content"
    shutil.copytree(MINI, content)
    out = tmp_path / "build"
    clean = build_mini(content, out)
    return content, out, clean


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset % len(data)] ^= 0x10
    path.write_bytes(bytes(data))


def parts_of(out: Path) -> list[Path]:
    found = sorted((out / ".cache" / "parts").glob("*/*.part"))
    assert len(found) >= 4, found
    return found


def fonts_of(out: Path) -> list[Path]:
    found = sorted((out / ".cache" / "fonts").glob("*.font"))
    assert len(found) >= 2, found
    return found


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_damaged_parts_are_laid_out_again(book: tuple[Path, Path, dict[str, bytes]],
                                          caplog: pytest.LogCaptureFixture, damage: str) -> None:
    content, out, clean = book
    entries = parts_of(out)
    for number, path in enumerate(entries):
        if damage == "flip":
            flip(path, [100, -1, path.read_bytes().index(b"\n") + 40, 5000][number % 4])
        else:
            path.write_bytes(path.read_bytes()[: path.stat().st_size * 2 // 3])
    caplog.clear()
    assert build_mini(content, out) == clean
    assert sorted(n["path"] for n in notes(caplog)) == sorted(str(p) for p in entries)
    assert {n["redo"] for n in notes(caplog)} == {"laid out again"}
    assert all(p.exists() for p in parts_of(out))  # made again and stored again
    caplog.clear()
    assert build_mini(content, out) == clean and notes(caplog) == []


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["flip", "truncate keeps the font signature"])
def test_damaged_font_subsets_are_made_again(book: tuple[Path, Path, dict[str, bytes]],
                                             caplog: pytest.LogCaptureFixture, damage: str) -> None:
    content, out, clean = book
    entries = fonts_of(out)
    for path in entries:
        data = path.read_bytes()
        if damage == "flip":
            flip(path, len(data) // 2)
        else:
            header, record, font = data.split(b"\n", 2)
            assert font[:4] in (b"OTTO", b"\x00\x01\x00\x00", b"true")
            path.write_bytes(header + b"\n" + record + b"\n" + font[: len(font) // 2])
    caplog.clear()
    result = build_mini(content, out)
    assert result == clean
    assert sorted(n["path"] for n in notes(caplog)) == sorted(str(p) for p in entries)
    assert {n["redo"] for n in notes(caplog)} == {"subset again"}
    reader = pypdf.PdfReader(io.BytesIO(result["pdf"]))
    assert "Test Anthology" in (reader.pages[0].extract_text() or "")


class RunsCode:
    """Unpickling this creates a marker file: what a hostile cache entry would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path.touch, (str(self.marker),))  # type: ignore[return-value]


def test_a_planted_pickle_runs_no_code(book: tuple[Path, Path, dict[str, bytes]], tmp_path: Path,
                                       caplog: pytest.LogCaptureFixture) -> None:
    content, out, clean = book
    proof = tmp_path / "proof"
    pickle.loads(pickle.dumps(RunsCode(proof)))
    assert proof.exists(), "test setup: the planted pickle must really run code when unpickled"
    marker = tmp_path / "code-ran"
    hostile = pickle.dumps(RunsCode(marker))
    planted = parts_of(out) + fonts_of(out)
    for path in planted:
        path.write_bytes(hostile)
        legacy = path.with_name(path.name.split(".")[0] + path.suffix)  # the old pickle entry name, too
        legacy.write_bytes(hostile)
    caplog.clear()
    assert build_mini(content, out) == clean
    assert not marker.exists(), "a cache entry ran code"
    assert sorted(n["path"] for n in notes(caplog)) == sorted(str(p) for p in planted)
    assert {n["why"] for n in notes(caplog)} == {"is not in coopbook's format"}


def test_no_module_unpickles() -> None:
    for path in sorted((REPO / "coopbook").glob("*.py")):
        text = path.read_text("utf-8")
        assert not re.search(r"^\s*(import|from)\s+(c?pickle|marshal|shelve|dill)\b", text, re.M), path.name
        assert "pickle.load" not in text and "eval(" not in text, path.name


def test_notes_reach_the_command_line(book: tuple[Path, Path, dict[str, bytes]]) -> None:
    content, out, clean = book
    path = parts_of(out)[0]
    flip(path, -1)
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "NO_COLOR": "1"}
    result = subprocess.run([sys.executable, "-m", "coopbook", "build", "--format", "all", "--jobs", "1"],
                            cwd=content.parent, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    shown = f"build/.cache/parts/{path.parent.name}/{path.name}"
    assert f"{shown}: note: cache entry is corrupt (checksum mismatch); laid out again" in result.stderr
    assert "Traceback" not in result.stderr
    assert (out / "test-anthology.pdf").read_bytes() == clean["pdf"]
