"""`python -m coopbook` runs the command line."""

from .cli import main

main()
