"""A stage run beside another: a thread's result, or its error raised in the caller."""

from __future__ import annotations

import pytest

from coopbook.overlap import Background


def test_background_gives_the_result_or_raises_the_error_in_the_caller() -> None:
    assert Background(lambda: 6 * 7).result() == 42

    def fail() -> int:
        raise ValueError("bad content")

    with pytest.raises(ValueError, match="bad content"):
        Background(fail).result()
