"""The review as JSON (``schemas/review.schema.json``)."""

from __future__ import annotations

import json
from typing import Any

from changekit.textsafe import json_text


def render(review: dict[str, Any]) -> str:
    return json_text(json.dumps(review, indent=2, ensure_ascii=False)) + "\n"
