"""Malformed books, generated: loading, rendering and checking either succeed or fail with located problems.

Hypothesis starts from a small valid book and breaks it: random YAML (or random text, or bytes that are not
UTF-8) in place of book.yaml, an interview or a registry file; wrong types and huge or control-laden values in
fields; deep nesting; Markdown edge cases (unclosed emphasis, nested lists, unknown span refs, undefined
footnotes, raw HTML, javascript: links, images outside the book). Whatever the input:

- `build.load` + `render.render_book` (both targets) and `check.check_content` succeed or raise `CoopbookError`,
  never any other exception, and every problem names a file;
- nothing is written anywhere (content/ unchanged, no file appears), and a full build writes only into its
  output folder.

`make test` runs a small sample; `make test-slow` (pytest -m slow) runs at least 10,000 cases.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st

from coopbook.editorial.check import check_content
from coopbook.errors import CoopbookError, Problem, display_path
from coopbook.markdown.fragments import render_book
from coopbook.pipeline import BuildOptions, build, load

CI_EXAMPLES = 150
SLOW_EXAMPLES = int(os.environ.get("COOPBOOK_FUZZ_EXAMPLES", "10000"))  # make test-slow FUZZ_EXAMPLES=…
CI_BUILDS = 3
SLOW_BUILDS = 20

BOOK: dict[str, Any] = {
    "title": "Fuzzed Anthology",
    "slug": "fuzzed",
    "language": "en-GB",
    "publisher": "Test Press",
    "date": dt.date(2024, 5, 1),
    "identifiers": {"uid": "urn:uuid:00000000-0000-4000-8000-000000000000"},
    "rights": "Rights.",
    "series": {"name": "Series", "description": "The series, with *emphasis*."},
    "order": ["jane-doe"],
    "print": {"trim_width": "148mm", "trim_height": "210mm", "bleed": "3mm", "indexes": ["people", "countries"]},
}
INTERVIEW: dict[str, Any] = {
    "id": "jane-doe",
    "interviewee": {"name": "Jane Doe", "honorific": "Ms", "role": "Director of the UNDP office in Dakar"},
    "date": dt.date(2020, 7, 22),
    "source": {"publisher": "ILO", "kind": "Article"},
    "questions": [
        {"q": "Where did you start?", "a": "In Senegal, with ILO/ACOPAM.[^1]\n\n[^1]: A note.\n"},
        {"q": "And then?", "a": "- Dakar\n- Côte d’Ivoire\n"},
    ],
    "closing": "Thank you.",
}
REGISTRY: dict[str, Any] = {
    "people.yaml": [{"id": "jane-doe", "name": "Jane Doe", "sort_as": "Doe, Jane"}],
    "programmes.yaml": [{"id": "acopam", "name": "ACOPAM", "aliases": ["ILO/ACOPAM"]}],
    "organisations.yaml": [{"id": "undp", "name": "UNDP", "see_also": ["programme:acopam"]}],
    "places.yaml": [{"country": "SN", "id": "dakar", "name": "Dakar"}, {"country": "CI", "aliases": ["Ivory Coast"]}],
    "ignore.yaml": ["ILO"],
}
DATA_FILES = ["book.yaml", "interviews/jane-doe.yaml", *(f"registry/{name}" for name in REGISTRY)]

Files = dict[str, bytes | None]  # relative path -> bytes (None: a folder of that name instead of a file)


def base_data() -> dict[str, Any]:
    """The valid book as plain data, one entry per file."""
    data: dict[str, Any] = {"book.yaml": BOOK, "interviews/jane-doe.yaml": INTERVIEW}
    data.update({f"registry/{name}": value for name, value in REGISTRY.items()})
    return copy.deepcopy(data)


def dump(value: Any) -> bytes:
    """YAML text for any plain data (unicode kept, long lines kept)."""
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, width=10_000).encode("utf-8")


# ---- strategies ----------------------------------------------------------------------------------------

MARKDOWN = [
    "*unclosed", "**bold", "_x_", "***", "- item\n  - nested\n    - deeper\n      - deepest", "1. one\n2) two",
    "> quote\n> > nested", "[x]{.programme ref=nope}", "[x]{.programme ref=acopam}", "[x]{.programme ref=person:x}",
    "[Niger]{.noindex}", "[y]{.bogus}", "[z]{.person .country}", "[ACOPAM]{.programme}", "[Nowhere]{.country}",
    "[x]{ref=acopam}", "[x]{.programme ref=}", "[x]{#id .programme}", "[x]{.organisation ref=undp}",
    "[^undefined]", "[^1]", "[^1]: a note", "[^2]: unused note", "[^ spaced]", "<b>raw</b>",
    "<script>alert(1)</script>", "<!-- comment -->", "[link](javascript:alert(1))", "[l](JaVaScRiPt:x)",
    "[l](data:text/html,x)", "[l](#nowhere)", "[l](#interview-jane-doe)", "[l](#q-jane-doe-9)",
    "![img](../../etc/passwd)", "![img](/etc/passwd)", "![img](file:///etc/passwd)", "![img](images/x.png)",
    "![img](C:\\x.png)", "![](http://example.com/x.png)", "[l](http://example.com)", "<http://a.b>",
    "<mailto:a@b.c>", "[ref]\n\n[ref]: javascript:x", "`code`", "```\nfence", "    indented code", "# heading",
    "Heading\n===", "---", "|a|b|\n|-|-|", "~~strike~~", "Senegal", "Dakar", "Côte d’Ivoire", "Ivory Coast",
    "UNDP", "ILO/ACOPAM", "Jane Doe", "SOWEFCU", "Central Unit for Rural Reform", "\u202e", "\u200b", "\x00",
    "\x07", "\x1b[31m", "&amp;", "&#0;", "&#x110000;", "\\", "{.programme ref=acopam}", "[", "]", "{", "}",
    "\t", "\r\n", "\r", "\u2028", "\x85", "\ufeff", "é" * 3000, "word " * 400, "{{ config }}", "{% raw %}",
    "${x}", "%s", "</span>", "<span class=ix>", "\"quoted'", "“curly”", "a  b",
]
SEPARATORS = ["", " ", "\n", "\n\n", "\n  ", "\n    ", "\t"]
YAML_BITS = [
    "key: value", "\tkey: value", "- a", "&a x", "*a", "a: &x [1]\nb: *x", "!!python/object/apply:os.system ['x']",
    "!!binary aGVsbG8=", "? complex\n: key", "---", "...", "%YAML 1.1\n---", "'unclosed", '"unclosed', "{a: 1",
    "[1, 2", "<<: {a: 1}", "a: b: c", "a: 1\na: 2", "date: 2020-13-45", "date: 2020-02-30", "id: ../../etc",
    "id: jane-doe", "questions:", "questions: []", "  - q: x\n    a: y", "order: [jane-doe, jane-doe]",
    "order: [x]", "language: 'en GB'", "print: {indexes: [people, nope]}", "\ufeff", "\x00", "\x85", "\u2028",
    "a: |\n  text", "a: >-\n  folded", "a: |9\n x", "a: !tag x", "a: !!set x", "a: !!int x",
    "a: !!timestamp x", "a: !!bool x", "a: 0x1F", "a: .nan",
    "a: 1e400", "a: 2001-12-14t21:59:43.10-05:00", "country: NO", "country: 'XX'", "name: ''",
]

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**30, max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40), st.dates(),
    st.sampled_from(["", " ", "jane-doe", "en-GB", "6in", "TODO", "null", "~", "2020-02-30", "../x"]),
)


@st.composite
def huge_text(draw: st.DrawFn) -> str:
    """A long string: repeated characters (control characters included) past the field limits."""
    unit = draw(st.text(min_size=1, max_size=3) | st.sampled_from(["a", "\x07", "é", "𝔘", "[", "*"]))
    return unit * draw(st.sampled_from([10_001, 200_001, 300_000]))


VALUES = st.recursive(
    SCALARS | huge_text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
WORDS = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=20)  # control characters: see MARKDOWN
MARKDOWN_TEXT = st.lists(st.sampled_from(MARKDOWN) | WORDS, min_size=1, max_size=8).flatmap(
    lambda parts: st.lists(st.sampled_from(SEPARATORS), min_size=len(parts), max_size=len(parts)).map(
        lambda seps: "".join(p + s for p, s in zip(parts, seps, strict=True))))
MARKDOWN_FIELDS: list[tuple[str, tuple[str | int, ...]]] = [
    ("interviews/jane-doe.yaml", ("questions", 0, "a")), ("interviews/jane-doe.yaml", ("questions", 1, "a")),
    ("interviews/jane-doe.yaml", ("questions", 0, "q")), ("interviews/jane-doe.yaml", ("closing",)),
    ("interviews/jane-doe.yaml", ("interviewee", "role")), ("interviews/jane-doe.yaml", ("interviewee", "name")),
    ("book.yaml", ("series", "description")), ("book.yaml", ("title",)),
]


def short(value: Any, limit: int = 300) -> str:
    """A value's repr, cut to a readable length."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def paths_in(value: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every path to a value inside nested dicts and lists (the root included)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths_in(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths_in(item, (*prefix, index))
    return found


def set_at(data: Any, path: tuple[str | int, ...], value: Any) -> Any:
    """data with the value at path replaced (the root when path is empty)."""
    if not path:
        return value
    data[path[0]] = set_at(data[path[0]], path[1:], value)
    return data


@dataclass(frozen=True)
class Mutation:
    """One change to the base book; its description is what Hypothesis prints for a failing case."""

    description: str
    apply: Callable[[dict[str, Any], Files], None] = field(repr=False)

    def __repr__(self) -> str:
        return self.description


@st.composite
def set_field(draw: st.DrawFn) -> Mutation:
    """Replace any value (or key) in any file's data with a random one: wrong types, huge, odd strings."""
    name = draw(st.sampled_from(DATA_FILES))
    value = draw(VALUES)
    rename = draw(st.booleans()) and draw(st.integers(0, 9)) == 0
    new_key = draw(st.text(max_size=12))
    pick = draw(st.integers(min_value=0))

    def mutate(data: dict[str, Any], files: Files) -> None:
        if name not in data:
            return
        paths = paths_in(data[name])
        path = paths[pick % len(paths)]
        if rename and path and isinstance(path[-1], str):
            parent = data[name]
            for part in path[:-1]:
                parent = parent[part]
            parent[new_key] = parent.pop(path[-1])
        else:
            data[name] = set_at(data[name], path, value)

    what = f"rename key at #{pick} to {new_key!r}" if rename else f"set value at #{pick} to {short(value)}"
    return Mutation(f"{name}: {what}", mutate)


@st.composite
def markdown_field(draw: st.DrawFn) -> Mutation:
    """Replace a Markdown value (answer, question, closing, role, series description) with edge cases."""
    name, path = draw(st.sampled_from(MARKDOWN_FIELDS))
    text = draw(MARKDOWN_TEXT)

    def mutate(data: dict[str, Any], files: Files) -> None:
        with contextlib.suppress(KeyError, IndexError, TypeError):  # an earlier mutation removed the field
            set_at(data[name], path, text)

    return Mutation(f"{name}: {'.'.join(map(str, path))} = {short(text)}", mutate)


@st.composite
def nesting(draw: st.DrawFn) -> bytes:
    """Deeply nested YAML, in flow or block style."""
    depth = draw(st.integers(min_value=30, max_value=3000))
    if draw(st.booleans()):
        return ("a: " + "[" * depth + "]" * depth + "\n").encode()
    return "".join(f"{'  ' * n}k{n}:\n" for n in range(min(depth, 400))).encode() + b"  " * min(depth, 400) + b"x\n"


FILE_CONTENT = st.one_of(
    VALUES.map(dump),
    st.text(max_size=300).map(lambda s: s.encode("utf-8")),
    st.binary(max_size=300),
    st.lists(st.sampled_from(YAML_BITS), min_size=1, max_size=8).map(lambda bits: "\n".join(bits).encode()),
    st.lists(st.sampled_from(YAML_BITS), min_size=1, max_size=4).map(lambda b: b"\xff\xfe" + "\n".join(b).encode()),
    nesting(),
    st.just(b""),
    st.just(b"x" * (2 * 1024 * 1024 + 1)),
)


@st.composite
def replace_file(draw: st.DrawFn) -> Mutation:
    """Put random content (data, text, bytes, YAML oddities) in place of a file, or remove it, or add one."""
    name = draw(st.sampled_from([*DATA_FILES, "interviews/extra.yaml", "interviews/.hidden.yaml"]))
    action = draw(st.sampled_from(["content", "content", "content", "delete", "folder"]))
    content = draw(FILE_CONTENT)

    def mutate(data: dict[str, Any], files: Files) -> None:
        data.pop(name, None)
        if action == "content":
            files[name] = content
        elif action == "folder":
            files[name] = None

    return Mutation(f"{name}: {action} {short(content) if action == 'content' else ''}".rstrip(), mutate)


# Markdown cases are weighted up so that more books get past loading to rendering and checking.
MUTATIONS = st.lists(st.one_of(set_field(), markdown_field(), markdown_field(), markdown_field(), replace_file()),
                     min_size=1, max_size=3)


def materialise(mutations: list[Mutation]) -> Files:
    """The files of the base book after the mutations."""
    data = base_data()
    files: Files = {}
    for mutation in mutations:
        mutation.apply(data, files)
    for name, value in data.items():
        files.setdefault(name, dump(value))
    return files


# ---- the property --------------------------------------------------------------------------------------


def write_book(root: Path, files: Files) -> Path:
    content = root / "content"
    (content / "interviews").mkdir(parents=True)
    (content / "registry").mkdir()
    for name, data in files.items():
        path = content / name
        if data is None:
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    return content


def snapshot(root: Path) -> dict[str, str]:
    """Every file and folder under root, with a digest of each file."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(root.rglob("*"))}


def count(label: str) -> None:
    """Count a kind of outcome in Hypothesis' statistics (--hypothesis-show-statistics)."""
    if currently_in_test_context():
        event(label)


def assert_located(problems: tuple[Problem, ...]) -> None:
    assert problems, "a CoopbookError without problems"
    for problem in problems:
        assert problem.location.path, problem
        assert problem.message, problem
        assert "\n" not in problem.format(), problem


def load_render_check(content: Path) -> bool:
    """Load, render both targets and check; True when the book loaded and rendered."""
    stage = "load"
    try:
        loaded = load(content)
        stage = "render"
        render_book(loaded.book, "pdf", loaded.registry)
        render_book(loaded.book, "epub", loaded.registry)
        stage = ""
    except CoopbookError as exc:
        assert_located(exc.problems)
    report = check_content(content)
    for problem in report.problems:
        assert_located((problem,))
    if stage:
        assert report.errors, f"{stage} failed but check found no error"
        count(f"refused by {stage}")
    else:
        count(f"loaded and rendered; check found {'errors' if report.errors else 'no error'}")
    return not stage


def run_case(files: Files) -> None:
    with tempfile.TemporaryDirectory(prefix="coopbook-fuzz-") as tmp:
        root = Path(tmp)
        content = write_book(root, files)
        (root / "cwd").mkdir()
        before = snapshot(root)
        with contextlib.chdir(root / "cwd"):
            load_render_check(content)
        assert snapshot(root) == before, "something was written"


def run_build_case(files: Files) -> None:
    with tempfile.TemporaryDirectory(prefix="coopbook-fuzz-") as tmp:
        root = Path(tmp)
        content = write_book(root, files)
        (root / "cwd").mkdir()
        before = snapshot(root)
        with contextlib.chdir(root / "cwd"):
            try:
                outputs = build(BuildOptions(content, root / "build", ("pdf", "epub")))
                count("built")
            except CoopbookError as exc:
                assert_located(exc.problems)
                count(f"refused: {exc.problems[0].message[:40]}")
                outputs = ()
        after = snapshot(root)
        outside = {k: v for k, v in after.items() if k != "build" and not k.startswith("build/")}
        assert outside == before, "the build wrote outside its output folder"
        for output in outputs:
            assert output.path.parent == root / "build"
            assert output.path.read_bytes()[:4] in (b"%PDF", b"PK\x03\x04")


COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}


@settings(max_examples=CI_EXAMPLES, **COMMON)
@given(MUTATIONS)
def test_malformed_books_fail_cleanly(mutations: list[Mutation]) -> None:
    run_case(materialise(mutations))


@pytest.mark.slow
@settings(max_examples=SLOW_EXAMPLES, **COMMON)
@given(MUTATIONS)
def test_malformed_books_fail_cleanly_at_scale(mutations: list[Mutation]) -> None:
    run_case(materialise(mutations))


BUILD_MUTATIONS = st.lists(markdown_field(), min_size=1, max_size=3)


@settings(max_examples=CI_BUILDS, **COMMON)
@given(BUILD_MUTATIONS)
def test_odd_markdown_builds_or_fails_cleanly(mutations: list[Mutation]) -> None:
    run_build_case(materialise(mutations))


@pytest.mark.slow
@settings(max_examples=SLOW_BUILDS, **COMMON)
@given(BUILD_MUTATIONS)
def test_odd_markdown_builds_or_fails_cleanly_at_scale(mutations: list[Mutation]) -> None:
    run_build_case(materialise(mutations))


@pytest.mark.parametrize("name", ["interviews/jane-doe.yaml", "interviews/extra.yaml", "book.yaml",
                                  "registry/people.yaml"])
def test_a_folder_in_place_of_a_yaml_file_is_reported(name: str, tmp_path: Path) -> None:
    files = materialise([])
    files[name] = None  # a folder of that name
    run_case(files)
    content = write_book(tmp_path, files)
    errors = check_content(content).errors
    assert [(p.location.path, p.message) for p in errors if "is a folder" in p.message] == [
        (display_path(content / name), "this is a folder, not a file")]
    with pytest.raises(CoopbookError) as caught:
        load(content)
    assert any("is a folder" in p.message and p.location.path.endswith(name) for p in caught.value.problems)


def book_with_escaped_control_character(root: Path) -> Path:
    """The base book with U+001B typed as an escape in a double-quoted answer (the file itself is clean)."""
    files = materialise([])
    interview = base_data()["interviews/jane-doe.yaml"]
    interview["questions"][0]["a"] = "In Senegal \x1b[31m and Dakar."
    files["interviews/jane-doe.yaml"] = dump(interview)
    assert b'"In Senegal \\e[31m and Dakar."' in dump(interview)
    return write_book(root, files)


def test_check_reports_an_escaped_control_character(tmp_path: Path) -> None:
    content = book_with_escaped_control_character(tmp_path)
    assert [p.format().split(": ", 1)[1] for p in check_content(content).errors] == [
        "error: questions[1].a: control characters are not allowed (U+001B) (In Senegal \\x1b[31m and Dakar.)"]


def test_an_escaped_control_character_is_refused_before_the_build(tmp_path: Path) -> None:
    content = book_with_escaped_control_character(tmp_path)
    with pytest.raises(CoopbookError):
        build(BuildOptions(content, tmp_path / "build", ("epub",)))


@pytest.mark.parametrize("value", ["!!timestamp x", "!!timestamp ''", "!!bool x", "!!python/name:os.system x"])
def test_an_explicit_yaml_tag_is_refused(value: str, tmp_path: Path) -> None:
    files = materialise([])
    files["book.yaml"] = files["book.yaml"].replace(b"date: 2024-05-01", b"date: " + value.encode())  # type: ignore
    run_case(files)
    report = check_content(write_book(tmp_path, files))
    assert [p.message for p in report.errors] == ["YAML tags are not allowed"]


def test_the_base_book_is_valid() -> None:
    """The fuzzer starts from a book that loads, renders, checks without errors and builds."""
    files = materialise([])
    with tempfile.TemporaryDirectory() as tmp:
        content = write_book(Path(tmp), files)
        assert load_render_check(content)
        assert not check_content(content).errors
