"""Request parameters the way Graph reads them: query string, form or multipart body, or a
JSON body (`Content-Type: application/json`, as Meta's Send API examples use), with PHP-style
indexed keys (`attached_media[0]={"media_fbid": …}`, `attached_media[1][media_fbid]=…`)
folded into one JSON array (see README "Parameters")."""

from __future__ import annotations

import json
import re
from typing import Any

from werkzeug.wrappers import Request

from sandbox.errors import invalid_param

INDEXED = re.compile(r"^(?P<name>[A-Za-z_][\w]*)\[(?P<index>\d+)\](?:\[(?P<key>\w+)\])?$")


def as_param(value: Any) -> str | None:
    """A JSON value as Graph sees it in a form: strings as they are, booleans as
    `true`/`false`, objects and arrays as JSON text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def request_params(request: Request) -> dict[str, str]:
    """Query string + body parameters of a Graph request (body wins on a clash)."""
    params = dict(request.args.items(multi=False))
    if request.mimetype == "application/json":
        try:
            body = json.loads(request.get_data(cache=True) or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise invalid_param("(#100) The request body is not valid JSON") from exc
        if not isinstance(body, dict):
            raise invalid_param("(#100) The JSON request body must be an object")
        for name, value in body.items():
            text = as_param(value)
            if text is not None:
                params[str(name)] = text
    else:
        params.update(request.form.items(multi=False))
    return fold_indexed(params)


def fold_indexed(params: dict[str, str]) -> dict[str, str]:
    """`name[0]=<json or text>` and `name[0][key]=text` become `name=<JSON array>`."""
    groups: dict[str, dict[int, Any]] = {}
    out: dict[str, str] = {}
    for key, value in params.items():
        match = INDEXED.match(key)
        if match is None:
            out[key] = value
            continue
        items = groups.setdefault(match["name"], {})
        index = int(match["index"])
        if match["key"]:
            item = items.setdefault(index, {})
            if isinstance(item, dict):
                item[match["key"]] = value
            continue
        try:
            items[index] = json.loads(value)
        except json.JSONDecodeError:
            items[index] = value
    for name, items in groups.items():
        out.setdefault(name, json.dumps([items[i] for i in sorted(items)]))
    return out
