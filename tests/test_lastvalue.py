"""coopbook.lastvalue: one value kept between builds, made again when its key changes or its file is damaged."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from coopbook.lastvalue import remembered
from coopbook.records import items, whole


class Maker:
    """Makes a list of numbers and counts how often it was asked to."""

    def __init__(self, value: list[int]) -> None:
        self.value = value
        self.calls = 0

    def __call__(self) -> list[int]:
        self.calls += 1
        return list(self.value)


def numbers(data: Any) -> list[int]:
    return [whole(n) for n in items(data)]


def kept(cache: Path | None, key: str, make: Maker) -> list[int]:
    return remembered(cache, "numbers", lambda: key, make, list, numbers)


def test_without_a_cache_folder_the_value_is_made_every_time() -> None:
    make = Maker([1, 2])
    assert kept(None, "a", make) == [1, 2] and kept(None, "a", make) == [1, 2]
    assert make.calls == 2

    def no_key() -> str:
        raise AssertionError("no key is computed without a cache folder")
    assert remembered(None, "numbers", no_key, make, list, numbers) == [1, 2]


def test_the_same_key_reads_the_value_back_and_another_key_makes_it_again(tmp_path: Path) -> None:
    make = Maker([1, 2])
    assert kept(tmp_path, "a", make) == [1, 2]
    assert kept(tmp_path, "a", make) == [1, 2]
    assert make.calls == 1
    other = Maker([3])
    assert kept(tmp_path, "b", other) == [3]
    assert other.calls == 1
    assert kept(tmp_path, "a", make) == [1, 2]  # only the last value is kept: "a" is made again
    assert make.calls == 2
    assert [p.name for p in (tmp_path / "last").iterdir()] == ["numbers.json"]  # one file, overwritten


@pytest.mark.parametrize("damage", ["flip", "truncate", "record"])
def test_a_damaged_file_is_noted_and_the_value_made_again(tmp_path: Path, damage: str,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    make = Maker([7, 8, 9])
    kept(tmp_path, "a", make)
    path = tmp_path / "last" / "numbers.json"
    data = path.read_bytes()
    if damage == "flip":
        path.write_bytes(data[:-3] + bytes([data[-3] ^ 1]) + data[-2:])
    elif damage == "truncate":
        path.write_bytes(data[: len(data) - 4])
    else:  # a well-sealed record the value's reader refuses: a number made a string
        path.unlink()
        remembered(tmp_path, "numbers", lambda: "a", lambda: ["x"], list, lambda d: d)
    with caplog.at_level(logging.WARNING):
        assert kept(tmp_path, "a", make) == [7, 8, 9]
    assert make.calls == 2
    assert "numbers.json: note: cache entry" in caplog.text
    assert kept(tmp_path, "a", make) == [7, 8, 9] and make.calls == 2  # written again, read back
