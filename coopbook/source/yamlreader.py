"""Safe YAML reading that keeps the line and column of every key and value.

Refuses what an editor never needs and an attacker likes: anchors and aliases (alias bombs),
duplicate keys, deep nesting, huge files, invalid UTF-8 and control characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
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
class YamlDoc:
    """Plain data read from one YAML file, with the location of every value and key in it."""

    path: str
    data: Any
    values: dict[YamlPath, Location] = field(default_factory=dict)
    keys: dict[YamlPath, Location] = field(default_factory=dict)
    blocks: set[YamlPath] = field(default_factory=set)
    source: str = field(default="", repr=False, compare=False)  # the file's text, while it is being read

    def is_block(self, ypath: YamlPath) -> bool:
        """True when the value at ypath is a block scalar (`|` or `>`): its text starts on the next line."""
        return tuple(ypath) in self.blocks

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
    return YamlDoc(shown, data, doc.values, doc.keys, doc.blocks)


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
    try:
        return constructor.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        if node.tag.endswith(":timestamp"):
            return str(node.value)  # the schema reports it, and goes on checking the rest of the file
        problems.error(loc, f"cannot read value: {exc}", shorten(str(node.value)))
        return None
