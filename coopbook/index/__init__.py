"""coopbook.index."""
