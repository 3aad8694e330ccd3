"""The command line: commands, reporting, progress and exit statuses."""
