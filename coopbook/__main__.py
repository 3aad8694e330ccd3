"""`python -m coopbook` runs the command line."""

from .cli.commands import main

main()
