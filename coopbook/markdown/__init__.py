"""coopbook.markdown."""
