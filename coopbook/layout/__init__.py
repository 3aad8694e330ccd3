"""coopbook.layout."""
