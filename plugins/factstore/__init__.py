"""Built-in facts stores: git (the embedded default) and PostgreSQL (docs/facts-postgres.md)."""
