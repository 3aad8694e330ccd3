"""coopbook: a publishing pipeline from structured interviews to a PDF anthology and an EPUB 3."""

__version__ = "0.1.0"
