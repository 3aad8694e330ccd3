"""coopbook.layout.book."""
