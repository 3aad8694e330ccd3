"""coopbook.epub.writer."""
