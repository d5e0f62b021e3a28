"""Built-in report renderers: html, markdown, json, csv, junit."""
