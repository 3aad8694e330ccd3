"""Stages run beside others: a thread's result or error, a forked child's bytes (or the parent's own try)."""

from __future__ import annotations

import os

import pytest

from coopbook.overlap import Background, Forked


def test_background_gives_the_result_or_raises_the_error_in_the_caller() -> None:
    assert Background(lambda: 6 * 7).result() == 42

    def fail() -> int:
        raise ValueError("bad content")

    with pytest.raises(ValueError, match="bad content"):
        Background(fail).result()


def test_forked_bytes_are_made_in_another_process() -> None:
    parent = os.getpid()
    assert Forked(lambda: str(os.getpid()).encode()).result() != str(parent).encode()


def test_a_failing_fork_is_done_again_in_the_parent_so_its_error_is_the_same() -> None:
    calls: list[int] = []

    def epub() -> bytes:
        calls.append(os.getpid())
        raise RuntimeError("no cover image")

    with pytest.raises(RuntimeError, match="no cover image"):
        Forked(epub).result()
    assert calls == [os.getpid()]  # the child's call happened in the child: only the parent's is seen here


def test_a_cancelled_fork_is_stopped() -> None:
    forked = Forked(lambda: b"x" * 10)
    forked.cancel()
    assert not forked.process.is_alive()
