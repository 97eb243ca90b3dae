"""Documents: Excel, Word, CSV and Markdown in and out (pure functions: rows in, bytes out)."""
