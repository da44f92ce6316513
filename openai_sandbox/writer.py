"""Deterministic answers from the prompt's content (no model, no randomness)."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

OPENERS = [
    "{name}: {notes}",
    "Tonight at {name} — {notes}",
    "Something good is happening at {name}. {notes}",
]
CLOSERS = ["See you soon!", "Come hungry.", "We saved you a seat."]


def data_in(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The first JSON object in the last user message (the app sends its data as JSON)."""
    for message in reversed(messages):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, list):  # content parts
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        text = str(content or "")
        start = text.find("{")
        while start != -1:
            try:
                value, _ = json.JSONDecoder().raw_decode(text[start:])
            except ValueError:
                start = text.find("{", start + 1)
                continue
            if isinstance(value, dict):
                return value
            start = text.find("{", start + 1)
        return {"notes": text[:200]}
    return {}


def _clean(text: Any, limit: int) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip()[:limit]


def drafts(data: dict[str, Any]) -> dict[str, Any]:
    restaurant = data.get("restaurant") if isinstance(data.get("restaurant"), dict) else {}
    name = _clean(restaurant.get("name"), 80) or "our restaurant"
    notes = _clean(data.get("notes"), 300) or "fresh from our kitchen today"
    tags = [t for t in str(restaurant.get("signature_hashtags") or "").split() if t][:5]
    post_type = _clean(data.get("post_type"), 40).replace(" ", "")
    if post_type:
        tags.append("#" + re.sub(r"\W", "", post_type.lower()))
    seed = int(hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest(), 16)
    out = []
    for i in range(3):
        opener = OPENERS[(seed + i) % len(OPENERS)].format(name=name, notes=notes)
        closer = CLOSERS[(seed // 7 + i) % len(CLOSERS)]
        out.append({"text": f"{opener}\n\n{closer}", "hashtags": tags})
    return {"drafts": out}


def answer(data: dict[str, Any]) -> dict[str, Any]:
    restaurant = data.get("restaurant") if isinstance(data.get("restaurant"), dict) else {}
    question = _clean(data.get("question"), 500).lower()
    if any(w in question for w in ("book", "reserv", "table")) and restaurant.get(
        "reservation_url"
    ):
        return {"answer": f"You can book a table here: {restaurant['reservation_url']}"}
    if any(w in question for w in ("where", "address", "find you")) and restaurant.get("address"):
        return {"answer": f"We are at {restaurant['address']}."}
    return {"answer": None}


def content_for(schema_name: str, schema: dict[str, Any], messages: list[dict[str, Any]]) -> str:
    data = data_in(messages)
    properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
    if "drafts" in properties:
        return json.dumps(drafts(data), ensure_ascii=False)
    if "answer" in properties:
        return json.dumps(answer(data), ensure_ascii=False)
    return json.dumps({}, ensure_ascii=False)
