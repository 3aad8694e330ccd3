"""coopbook.cli.commands."""
