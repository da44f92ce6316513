"""The WSGI app, its state (faults, request log) and a threaded server."""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from openai_sandbox.writer import content_for

DEFAULT_KEY = "sk-sandbox-tablecast"
FAULT_KINDS = {"401", "429", "quota", "500", "timeout", "refusal", "invalid_json", "bad_schema"}


def _error(status: int, message: str, type_: str, code: str | None, **headers: str) -> Response:
    body = {"error": {"message": message, "type": type_, "param": None, "code": code}}
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    for name, value in headers.items():
        response.headers[name.replace("_", "-")] = value
    return response


@dataclass
class Fault:
    kind: str
    count: int | None  # None: until cleared
    seconds: float = 30.0


@dataclass
class State:
    api_keys: set[str]
    faults: list[Fault] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_fault(self) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.count is None:
                    return fault
                if fault.count > 0:
                    fault.count -= 1
                    return fault
            return None


class OpenAIEmulator:
    def __init__(self, api_keys: Iterable[str] = (DEFAULT_KEY,)) -> None:
        self.state = State(api_keys=set(api_keys))

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = 2 * 1024 * 1024
        path = request.path.rstrip("/")
        if path.startswith("/_control"):
            response = self.control(request, path)
        elif path == "/v1/chat/completions" and request.method == "POST":
            response = self.chat(request)
        else:
            response = _error(
                404, f"Invalid URL ({request.method} {request.path})", "invalid_request_error", None
            )
        return response(environ, start_response)

    # -- control API ------------------------------------------------------------------------
    def control(self, request: Request, path: str) -> Response:
        state = self.state
        if path == "/_control/faults" and request.method == "POST":
            spec = request.get_json(silent=True) or {}
            kind = str(spec.get("kind", ""))
            if kind not in FAULT_KINDS:
                return Response(
                    json.dumps({"error": f"kind must be one of {sorted(FAULT_KINDS)}"}), 400
                )
            count = spec.get("count", 1)
            fault = Fault(
                kind, None if count is None else int(count), float(spec.get("seconds", 30))
            )
            with state.lock:
                state.faults.append(fault)
            return Response(json.dumps({"ok": True}), mimetype="application/json")
        if path == "/_control/faults" and request.method == "DELETE":
            with state.lock:
                state.faults.clear()
            return Response(json.dumps({"ok": True}), mimetype="application/json")
        if path == "/_control/requests":
            with state.lock:
                return Response(json.dumps(state.requests), mimetype="application/json")
        if path == "/_control/reset" and request.method == "POST":
            with state.lock:
                state.faults.clear()
                state.requests.clear()
            return Response(json.dumps({"ok": True}), mimetype="application/json")
        return Response(
            json.dumps({"error": "unknown control call"}), 404, mimetype="application/json"
        )

    # -- POST /v1/chat/completions ----------------------------------------------------------
    def chat(self, request: Request) -> Response:
        started = time.monotonic()
        auth = request.headers.get("Authorization", "")
        key = auth[7:] if auth.startswith("Bearer ") else ""
        body = request.get_json(silent=True)
        with self.state.lock:
            self.state.requests.append({"path": request.path, "body": body})
        if key not in self.state.api_keys:
            shown = (key[:3] + "*" * 4 + key[-4:]) if len(key) > 8 else "***"
            return _error(
                401,
                f"Incorrect API key provided: {shown}. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                "invalid_request_error",
                "invalid_api_key",
            )
        if (
            not isinstance(body, dict)
            or not body.get("model")
            or not isinstance(body.get("messages"), list)
        ):
            return _error(
                400,
                "You must provide a model parameter and a list of messages.",
                "invalid_request_error",
                None,
            )
        response_format = body.get("response_format") or {}
        schema_spec = (
            response_format.get("json_schema") if isinstance(response_format, dict) else None
        )
        if response_format.get("type") == "json_schema" and not (
            isinstance(schema_spec, dict) and isinstance(schema_spec.get("schema"), dict)
        ):
            return _error(
                400,
                "Missing required parameter: 'response_format.json_schema'.",
                "invalid_request_error",
                "missing_required_parameter",
            )

        fault = self.state.next_fault()
        refusal = None
        if fault is not None:
            if fault.kind == "401":
                return _error(
                    401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"
                )
            if fault.kind == "429":
                return _error(
                    429,
                    f"Rate limit reached for {body['model']} on requests per min (RPM): Limit 3, "
                    "Used 3, Requested 1. Please try again in 20s.",
                    "requests",
                    "rate_limit_exceeded",
                    retry_after="20",
                    x_ratelimit_limit_requests="3",
                    x_ratelimit_remaining_requests="0",
                    x_ratelimit_reset_requests="20s",
                )
            if fault.kind == "quota":
                return _error(
                    429,
                    "You exceeded your current quota, please check your plan and billing details.",
                    "insufficient_quota",
                    "insufficient_quota",
                )
            if fault.kind == "500":
                return _error(
                    500,
                    "The server had an error while processing your request. Sorry about that!",
                    "server_error",
                    None,
                )
            if fault.kind == "timeout":
                time.sleep(fault.seconds)
            if fault.kind == "refusal":
                refusal = "I'm sorry, but I can't help with that request."

        schema = (schema_spec or {}).get("schema", {})
        content: str | None = content_for(
            str((schema_spec or {}).get("name", "")), schema, body["messages"]
        )
        if fault is not None and fault.kind == "invalid_json":
            content = 'Sure! Here are three drafts: {"drafts": [{"text": "Tonight'
        if fault is not None and fault.kind == "bad_schema":
            content = json.dumps({"drafts": "three drafts"})
        if refusal:
            content = None
        prompt_chars = len(json.dumps(body["messages"]))
        completion = {
            "id": "chatcmpl-" + secrets.token_hex(12),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": content,
                        "refusal": refusal,
                        "annotations": [],
                    },
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_chars // 4,
                "completion_tokens": len(content or refusal or "") // 4,
                "total_tokens": (prompt_chars + len(content or refusal or "")) // 4,
            },
            "service_tier": "default",
            "system_fingerprint": "fp_sandbox",
        }
        response = Response(json.dumps(completion), mimetype="application/json")
        response.headers["x-request-id"] = "req_" + secrets.token_hex(8)
        response.headers["openai-processing-ms"] = str(int((time.monotonic() - started) * 1000))
        return response


class EmulatorServer:
    """The emulator on a thread; port 0 picks a free port."""

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, api_keys: Iterable[str] = (DEFAULT_KEY,)
    ) -> None:
        self.app = OpenAIEmulator(api_keys)
        self.server: BaseWSGIServer = make_server(host, port, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> EmulatorServer:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
