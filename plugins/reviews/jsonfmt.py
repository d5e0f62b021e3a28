"""The review as JSON, valid against ``changekit schema review``."""

from __future__ import annotations

import json
from typing import Any

from changekit.api import ReviewRenderer, hookimpl, json_text


class JsonReview(ReviewRenderer):
    name = "json"
    extension = "json"
    description = "the review data, valid against schemas/review.schema.json"

    def render(self, review: dict[str, Any]) -> str:
        return json_text(json.dumps(review, indent=2, ensure_ascii=False)) + "\n"


@hookimpl(trylast=True)
def register_review_renderers(register):
    register(JsonReview())
