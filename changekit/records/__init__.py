"""Change records: model, ids, store, lifecycle, templates, and the actions that commit them."""

from changekit.records.model import ChangeRecord, Identity

__all__ = ["ChangeRecord", "Identity"]
