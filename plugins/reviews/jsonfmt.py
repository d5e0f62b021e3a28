"""The review as JSON, valid against ``changekit schema review``."""

from __future__ import annotations

from typing import Any

from changekit.api import ReviewRenderer, hookimpl, json_document


class JsonReview(ReviewRenderer):
    name = "json"
    extension = "json"
    description = "the review data, valid against schemas/review.schema.json"

    def render(self, review: dict[str, Any]) -> str:
        return json_document(review) + "\n"


@hookimpl(trylast=True)
def register_review_renderers(register):
    register(JsonReview())
