"""The command line run in-process, as the tests drive it: never a traceback."""

from __future__ import annotations

from click.testing import CliRunner, Result

from coopbook.cli.commands import main


def invoke(*args: str) -> Result:
    """Run the command line in the current folder (content/ and build/ under it); never a traceback."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=True)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result
