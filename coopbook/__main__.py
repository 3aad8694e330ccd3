"""`python -m coopbook` runs the command line."""

from .cli.entry import run

run()
