"""coopbook.editorial."""
