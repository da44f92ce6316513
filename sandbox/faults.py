"""Scriptable faults (checklist "Error injection"): match calls by route, method, token,
Page, or "the next N calls", and answer with any §6 error, a delay, a timeout, a
connection reset or malformed JSON."""

from __future__ import annotations

import fnmatch
import json
import re
import secrets
from typing import Any

from sandbox.errors import GraphError
from sandbox.state import World

KINDS = {"error", "delay", "timeout", "reset", "malformed_json"}


class ConnectionReset(Exception):
    """Raised by a handler to make the server drop the socket without a response."""


def add_fault(world: World, spec: dict[str, Any]) -> dict[str, Any]:
    """Validate and store a fault spec; returns it with its id."""
    kind = spec.get("kind") or ("error" if "code" in spec else None)
    if kind not in KINDS:
        raise ValueError(f"fault kind must be one of {sorted(KINDS)} (or give a code)")
    if kind == "error" and not isinstance(spec.get("code"), int):
        raise ValueError("an error fault needs an integer code")
    count = spec.get("count")
    if count is not None and (not isinstance(count, int) or count < 1):
        raise ValueError("count must be a positive integer")
    fault = {
        "id": "flt" + secrets.token_hex(4),
        "kind": kind,
        "route": spec.get("route"),
        "method": (spec.get("method") or "").upper() or None,
        "token": spec.get("token"),
        "page_id": spec.get("page_id"),
        "count": count,
        "remaining": count,
        "hits": 0,
        "code": spec.get("code"),
        "subcode": spec.get("subcode"),
        "message": spec.get("message"),
        "type": spec.get("type"),
        "is_transient": spec.get("is_transient"),
        "http_status": spec.get("http_status"),
        "delay": float(spec.get("delay", 0.5)),
        "seconds": float(spec.get("seconds", 30.0)),
        "headers": dict(spec.get("headers") or {}),
    }
    with world.lock:
        world.faults.append(fault)
    return fault


def _route_matches(pattern: str, path: str) -> bool:
    if pattern.startswith("re:"):
        return re.search(pattern[3:], path) is not None
    return fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(
        path, pattern.rstrip("/") + "/*"
    )


def take_fault(
    world: World, *, method: str, path: str, token_str: str | None, page_ids: set[str]
) -> dict[str, Any] | None:
    """Find the first matching fault and consume one of its `count` uses."""
    with world.lock:
        token = world.tokens.get(token_str or "")
        for fault in world.faults:
            if fault["remaining"] == 0:
                continue
            if fault["route"] and not _route_matches(fault["route"], path):
                continue
            if fault["method"] and fault["method"] != method:
                continue
            if fault["token"] and fault["token"] not in (token_str, token.id if token else None):
                continue
            if fault["page_id"] and fault["page_id"] not in page_ids:
                continue
            fault["hits"] += 1
            if fault["remaining"] is not None:
                fault["remaining"] -= 1
            return fault
    return None


def fault_error(fault: dict[str, Any], object_id: str | None) -> GraphError:
    """The GraphError for an error fault, with the usage headers Meta sends with
    throttling errors (§7): X-App-Usage for 4/17/32/613, BUC for 80001/80002/80006."""
    code = fault["code"]
    headers = dict(fault["headers"])
    if code in (4, 17, 32, 613) and "X-App-Usage" not in headers:
        headers["X-App-Usage"] = json.dumps(
            {"call_count": 100, "total_cputime": 20, "total_time": 20}
        )
    buc_type = {80001: "pages", 80002: "instagram", 80006: "messenger"}.get(code)
    if buc_type and "X-Business-Use-Case-Usage" not in headers:
        headers["X-Business-Use-Case-Usage"] = json.dumps(
            {
                object_id or "0": [
                    {
                        "type": buc_type,
                        "call_count": 100,
                        "total_cputime": 25,
                        "total_time": 25,
                        "estimated_time_to_regain_access": 5,
                    }
                ]
            }
        )
    return GraphError(
        code,
        fault["message"],
        subcode=fault["subcode"],
        type=fault["type"],
        is_transient=fault["is_transient"],
        http_status=fault["http_status"],
        headers=headers,
    )
