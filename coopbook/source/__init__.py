"""coopbook.source."""
