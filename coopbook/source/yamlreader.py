"""Safe YAML reading that keeps the line and column of every key and value.

Refuses what an editor never needs and an attacker likes: anchors and aliases (alias bombs),
duplicate keys, deep nesting, huge files, invalid UTF-8 and control characters.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, NodeEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..errors import Location, Problems, shorten

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 40
FAST_LOADER: Any = getattr(yaml, "CSafeLoader", None)

YamlPath = tuple[str | int, ...]


@dataclass(frozen=True)
class ScalarSpan:
    """Where a scalar is written: its first and last character (0-based line and column, the end exclusive),
    its style and, for a block scalar (`|`, `>`), the 1-based line and the indent where its text begins."""

    line: int
    col: int
    end_line: int
    end_col: int
    style: str | None
    text_line: int = 0
    indent: int = 0


@dataclass(frozen=True)
class YamlDoc:
    """Plain data read from one YAML file, with the location of every value and key in it."""

    path: str
    data: Any
    values: dict[YamlPath, Location] = field(default_factory=dict)
    keys: dict[YamlPath, Location] = field(default_factory=dict)
    blocks: set[YamlPath] = field(default_factory=set)
    source: str = field(default="", repr=False, compare=False)  # the file's text
    spans: dict[YamlPath, ScalarSpan] = field(default_factory=dict, repr=False, compare=False)

    def is_block(self, ypath: YamlPath) -> bool:
        """True when the value at ypath is a block scalar (`|` or `>`): its text starts on the next line."""
        return tuple(ypath) in self.blocks

    def locate(self, ypath: YamlPath, text: str, offset: int, needle: str, lead: int = 0) -> Location:
        """Where text[offset:] is written, text being the string value at ypath and needle the text found at
        offset - lead: exact in a literal block (`|`), else the same occurrence of needle within the scalar
        (a folded block's line first); the value's own location when it cannot be found."""
        where = self.where(ypath)
        span = self.spans.get(tuple(ypath))
        if span is None or not self.source:
            return where
        lines = self._lines
        row = text.count("\n", 0, offset)
        col = offset - (text.rfind("\n", 0, offset) + 1)
        if span.style == "|":
            return Location(self.path, span.text_line + row, span.indent + col + 1)
        if span.style == ">" and span.text_line + row <= len(lines):
            if lines[span.text_line + row - 1][span.indent + col - lead:].startswith(needle):
                return Location(self.path, span.text_line + row, span.indent + col + 1)
        if not needle:
            return where
        start = self._line_starts[span.line] + span.col
        end = self._line_starts[min(span.end_line, len(lines) - 1)] + span.end_col
        index = start - 1
        for _ in range(text.count(needle, 0, offset - lead) + 1):
            index = self.source.find(needle, index + 1, end)
            if index < 0:
                return where
        index += lead
        return Location(self.path, self.source.count("\n", 0, index) + 1,
                        index - (self.source.rfind("\n", 0, index) + 1) + 1)

    @cached_property
    def _lines(self) -> list[str]:
        return self.source.split("\n")

    @cached_property
    def _line_starts(self) -> list[int]:
        return list(itertools.accumulate((len(line) + 1 for line in self._lines[:-1]), initial=0))

    def where(self, ypath: YamlPath, *, key: bool = False) -> Location:
        """The location of the value (or key) at ypath, else of its nearest ancestor."""
        table = self.keys if key else self.values
        probe = tuple(ypath)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), Location(self.path, 1, 1))


def string_values(data: Any, ypath: YamlPath = ()) -> Iterator[tuple[YamlPath, str]]:
    """Every string in data read from YAML, with its path, in document order."""
    if isinstance(data, str):
        yield ypath, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from string_values(value, (*ypath, key))
    elif isinstance(data, list):
        for n, value in enumerate(data):
            yield from string_values(value, (*ypath, n))


def is_dropping(name: str) -> bool:
    """True for the files editors and systems leave beside content: dotfiles (`.#x` lock links, macOS `._x`),
    backups (`x~`) and autosaves (`#x#`). They are never content, as in static site generators."""
    return name.startswith(".") or name.endswith("~") or (name.startswith("#") and name.endswith("#"))


def yaml_files(folder: Path) -> list[Path]:
    """The YAML files of a content folder, sorted, without editors' and systems' droppings."""
    return sorted(p for p in folder.glob("*.yaml") if not is_dropping(p.name)) if folder.is_dir() else []


def read_text(path: Path, shown: str, problems: Problems) -> str | None:
    """Read a UTF-8 text file, refusing huge files and undecodable bytes with a located problem."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        problems.error(Location(shown), f"cannot read file: {exc.strerror}")
        return None
    if path.is_dir():
        problems.error(Location(shown), "this is a folder, not a file")
        return None
    if not path.is_file():
        problems.error(Location(shown), "not a regular file (a device, a pipe or a socket)", None,
                       "give the path of a text file")
        return None
    if size > MAX_FILE_BYTES:
        problems.error(Location(shown), f"file is too large ({size} bytes; the limit is {MAX_FILE_BYTES})")
        return None
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        bad = raw[exc.start : exc.end].hex(" ")
        problems.error(Location(shown, line, col), "file is not valid UTF-8", f"bytes {bad}",
                       "save the file as UTF-8")
        return None
    return text.removeprefix("\ufeff")


def load_yaml(path: Path, shown: str, problems: Problems) -> YamlDoc | None:
    """Read one YAML file into a YamlDoc; on any problem record it and return None."""
    text = read_text(path, shown, problems)
    if text is None:
        return None
    return parse_yaml(text, shown, problems)


def parse_yaml(text: str, shown: str, problems: Problems) -> YamlDoc | None:
    """Parse YAML text (one document) into a YamlDoc, recording located problems.

    libyaml (when PyYAML has it) reads valid files fast; a file it rejects is read again by the pure-Python
    parser, whose messages say more (it names the character at fault).
    """
    before = len(problems.errors)
    if FAST_LOADER is not None:
        try:
            _scan_events(text, shown, problems, FAST_LOADER)
            if len(problems.errors) > before:
                return None
            node = yaml.compose(text, Loader=FAST_LOADER)
        except yaml.YAMLError:
            pass
        else:
            return _document(node, shown, problems, before, text)
    try:
        _scan_events(text, shown, problems, yaml.SafeLoader)
        if len(problems.errors) > before:
            return None
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        problems.error(*_syntax_problem(exc, shown, text))
        return None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        problems.error(Location(shown, line, col), "control characters are not allowed",
                       f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character))
        return None
    except yaml.YAMLError as exc:
        problems.error(Location(shown, 1, 1), f"YAML error: {exc}")
        return None
    return _document(node, shown, problems, before, text)


UNCLOSED_QUOTE = re.compile(r"""^\s*(?:-\s+)?[\w.-]+:\s+(["'])""")


def _unclosed_quote(text: str, before_line: int) -> Location | None:
    """The first `key: "value` line (before the error) whose quote is not closed on that line, if any."""
    for number, line in enumerate(text.splitlines()[:before_line], start=1):
        match = UNCLOSED_QUOTE.match(line)
        if match is None:
            continue
        quote, rest = match.group(1), line[match.end():]
        closed = re.search(r'(?<!\\)"' if quote == '"' else r"'", rest)
        if closed is None:
            return Location("", number, match.start(1) + 1)
    return None


def _syntax_problem(exc: yaml.MarkedYAMLError, shown: str, text: str) -> tuple[Location, str]:
    """Where a YAML syntax error is, and what it is, in an editor's words."""
    problem = exc.problem or exc.context or "not valid YAML"
    mark = exc.problem_mark or exc.context_mark
    unclosed = _unclosed_quote(text, mark.line + 1) if mark is not None else None
    if unclosed is not None:
        return Location(shown, unclosed.line, unclosed.col), "YAML syntax error: this quoted text has no closing quote"
    if ("end of stream" in problem or "stream end" in problem) and exc.context_mark is not None:
        mark = exc.context_mark  # an unclosed quote or bracket: point at where it opens
        if exc.context and "quoted scalar" in exc.context:
            problem = "this quoted text has no closing quote"
    if "'\\t'" in problem or "\t" in problem:
        problem = "a tab is used for indentation; YAML indents with spaces"
    loc = Location(shown, mark.line + 1, mark.column + 1) if mark else Location(shown)
    return loc, f"YAML syntax error: {problem}"


def _document(node: Node | None, shown: str, problems: Problems, before: int, text: str) -> YamlDoc | None:
    doc = YamlDoc(shown, None, source=text)
    if node is None:
        problems.error(Location(shown, 1, 1), "file is empty")
        return None
    constructor = yaml.SafeLoader("")
    data = _convert(node, (), doc, constructor, problems)
    if len(problems.errors) > before:
        return None
    lines = text.split("\n")
    for ypath in doc.blocks:  # where a block scalar's text begins: the line after its header, and its indent
        span = doc.spans[ypath]
        body = lines[span.line + 1 : span.end_line + 1]
        indent = next((len(line) - len(line.lstrip(" ")) for line in body if line.strip()), 0)
        doc.spans[ypath] = replace(span, text_line=span.line + 2, indent=indent)
    return YamlDoc(shown, data, doc.values, doc.keys, doc.blocks, text, doc.spans)


def as_written(node: Node, text: str) -> str:
    """A node's text as the editor wrote it in the file (for messages: never a parser's repr)."""
    written = text[node.start_mark.index:node.end_mark.index].strip()
    return " ".join(written.split()) if written else str(node.value if isinstance(node, ScalarNode) else "")


def _scan_events(text: str, shown: str, problems: Problems, loader: Any) -> None:
    depth = 0
    documents = 0
    for event in yaml.parse(text, Loader=loader):
        mark = event.start_mark
        loc = Location(shown, mark.line + 1, mark.column + 1)
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                problems.error(loc, "only one YAML document is allowed per file", "---")
                return
        if isinstance(event, AliasEvent):
            problems.error(loc, "YAML aliases are not allowed", f"*{event.anchor}", "write the value out in full")
        elif isinstance(event, NodeEvent) and event.anchor is not None:
            problems.error(loc, "YAML anchors are not allowed", f"&{event.anchor}", "write the value out in full")
        if isinstance(event, NodeEvent) and _explicit_tag(event):
            problems.error(loc, "YAML tags are not allowed", str(getattr(event, "tag", "")),
                           "write the value without a !tag")
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                problems.error(loc, f"nesting is deeper than {MAX_DEPTH} levels")
                return
        elif isinstance(event, CollectionEndEvent):
            depth -= 1


def _explicit_tag(event: NodeEvent) -> bool:
    tag = getattr(event, "tag", None)
    if tag is None:
        return False
    implicit = getattr(event, "implicit", True)
    if isinstance(implicit, tuple):
        return not any(implicit)
    return not implicit


def _convert(node: Node, ypath: YamlPath, doc: YamlDoc, constructor: yaml.SafeLoader, problems: Problems) -> Any:
    loc = Location(doc.path, node.start_mark.line + 1, node.start_mark.column + 1)
    doc.values[ypath] = loc
    if isinstance(node, MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_loc = Location(doc.path, key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if not isinstance(key_node, ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                problems.error(key_loc, "keys must be plain words", shorten(as_written(key_node, doc.source)))
                continue
            key = str(key_node.value)
            if key in result:
                problems.error(key_loc, "duplicate key", key, "each key may appear once in a mapping")
                continue
            doc.keys[ypath + (key,)] = key_loc
            result[key] = _convert(value_node, ypath + (key,), doc, constructor, problems)
        return result
    if isinstance(node, SequenceNode):
        return [_convert(item, ypath + (i,), doc, constructor, problems) for i, item in enumerate(node.value)]
    if node.style in ("|", ">"):
        doc.blocks.add(ypath)
    start, end = node.start_mark, node.end_mark
    doc.spans[ypath] = ScalarSpan(start.line, start.column, end.line, end.column, node.style)
    try:
        return constructor.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        if node.tag.endswith(":timestamp"):
            return str(node.value)  # the schema reports it, and goes on checking the rest of the file
        problems.error(loc, f"cannot read value: {exc}", shorten(str(node.value)))
        return None
