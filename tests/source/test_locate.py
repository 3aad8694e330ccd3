"""YamlDoc.locate: the one way a place inside a YAML string value becomes file:line:col."""

from __future__ import annotations

from coopbook.errors import Problems
from coopbook.source.yamlreader import YamlDoc, parse_yaml

SOURCE = (
    "literal: |\n"  # 1
    "  first line\n"  # 2
    "    indented x\n"  # 3
    "folded: >\n"  # 4
    "  one two\n"  # 5
    "  three x\n"  # 6
    'quoted: "a x, b x"\n'  # 7
    "plain: just x here\n"  # 8
    "list:\n"  # 9
    "  - é x\n"  # 10
)


def doc() -> YamlDoc:
    problems = Problems()
    parsed = parse_yaml(SOURCE, "f.yaml", problems)
    assert parsed is not None and not problems.items
    return parsed


def where(ypath: tuple[str | int, ...], needle: str, nth: int = 0, lead: int = 0) -> str:
    d = doc()
    value = d.data
    for part in ypath:
        value = value[part]
    offset = -1
    for _ in range(nth + 1):
        offset = value.index(needle, offset + 1)
    return str(d.locate(ypath, value, offset + lead, needle, lead))


def test_literal_block_is_exact() -> None:
    assert where(("literal",), "x") == "f.yaml:3:14"
    assert where(("literal",), "first") == "f.yaml:2:3"


def test_folded_block_and_quoted_and_plain_values() -> None:
    assert where(("folded",), "three") == "f.yaml:6:3"
    assert where(("quoted",), "x", nth=1) == "f.yaml:7:17"
    assert where(("plain",), "x") == "f.yaml:8:13"
    assert where(("list", 0), "x") == "f.yaml:10:7"


def test_lead_points_inside_the_needle() -> None:
    assert where(("plain",), "t x", lead=2) == "f.yaml:8:13"


def test_text_not_in_the_scalar_falls_back_to_the_value() -> None:
    d = doc()
    assert str(d.locate(("plain",), "other text", 0, "other")) == "f.yaml:8:8"
    assert str(d.spans[("literal",)].text_line) == "2"
