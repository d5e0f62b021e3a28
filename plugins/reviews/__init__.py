"""Built-in review renderers: html, markdown, json, csv (``changekit review --format``)."""
