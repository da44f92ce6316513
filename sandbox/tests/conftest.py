"""Helpers shared by the sandbox tests: a tiny HTTP receiver for webhooks/callbacks that
also serves images, a logged-in Maria, and a Graph call helper that adds appsecret_proof.
Client side is `requests` only, as the app would be."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from PIL import Image

from sandbox.testing import SandboxHandle, query_of

REDIRECT_URI = "http://127.0.0.1:8000/social/facebook/callback/"


def jpeg_bytes(
    width: int = 800, height: int = 800, *, quality: int = 85, noise: bool = False
) -> bytes:
    image = Image.new("RGB", (width, height), (200, 80, 40))
    if noise:
        image = Image.effect_noise((width, height), 90).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def png_bytes(width: int = 800, height: int = 800) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


@dataclass
class Receiver:
    """Webhook receiver + callback endpoints + static images, on 127.0.0.1:<free port>."""

    secret: str
    verify_token: str = "sandbox-verify-token"
    statuses: list[int] = field(default_factory=list)  # next POST answers; default 200
    posts: list[dict[str, Any]] = field(default_factory=list)
    images: dict[str, bytes] = field(default_factory=dict)
    slow_seconds: float = 0.0
    webhook_delay: float = 0.0
    deletion_answer: Any = None
    url: str = ""

    def verify(self, body: bytes, header: str | None) -> bool:
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        return header is not None and hmac.compare_digest(expected, header)

    def webhooks(self) -> list[dict[str, Any]]:
        return [p for p in self.posts if p["path"] == "/webhooks"]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.webhooks()) < count:
            time.sleep(0.02)
        return self.webhooks()


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the fetch-timeout test does that on purpose)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path.startswith("/images/"):
                if parts.path.startswith("/images/slow/"):
                    time.sleep(receiver.slow_seconds)
                data = receiver.images.get(parts.path.rsplit("/", 1)[-1])
                self._send(200 if data else 404, data or b"missing", "image/jpeg")
                return
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if (
                query.get("hub.mode") == "subscribe"
                and query.get("hub.verify_token") == receiver.verify_token
            ):
                self._send(200, query["hub.challenge"].encode())
            else:
                self._send(403, b"forbidden")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            record = {
                "path": self.path,
                "headers": dict(self.headers.items()),
                "body": body,
                "valid": receiver.verify(body, self.headers.get("X-Hub-Signature-256")),
            }
            receiver.posts.append(record)
            if self.path == "/webhooks":
                time.sleep(receiver.webhook_delay)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self._send(status, b"ok")
            elif self.path == "/data-deletion":
                answer = receiver.deletion_answer or {
                    "url": "http://127.0.0.1:8000/deletion/abc",
                    "confirmation_code": "abc123",
                }
                self._send(200, json.dumps(answer).encode(), "application/json")
            else:
                self._send(200, b"ok")

    return Handler


@pytest.fixture
def receiver_server() -> Iterator[tuple[ThreadingHTTPServer, Receiver]]:
    receiver = Receiver(secret="sandbox-app-secret-change-me")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield server, receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def receiver(receiver_server: tuple[ThreadingHTTPServer, Receiver]) -> Receiver:
    return receiver_server[1]


@pytest.fixture
def sandbox(graph_sandbox_factory: Any, receiver: Receiver) -> SandboxHandle:
    """A sandbox whose webhooks and callbacks go to the test receiver."""
    return graph_sandbox_factory(
        webhook_url=receiver.url + "/webhooks",
        deauthorize_url=receiver.url + "/deauthorize",
        data_deletion_url=receiver.url + "/data-deletion",
    )


class Graph:
    """Calls the sandbox's Graph API like the app will: version prefix, appsecret_proof."""

    def __init__(self, sb: SandboxHandle, version: str = "v24.0") -> None:
        self.sb = sb
        self.version = version

    def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        *,
        proof: bool = True,
        files: Any = None,
        data: dict[str, Any] | None = None,
        **params: Any,
    ) -> requests.Response:
        query = dict(params)
        if token:
            query["access_token"] = token
            if proof:
                query["appsecret_proof"] = self.sb.proof(token)
        return requests.request(
            method,
            self.sb.graph_url(path, self.version),
            params=query,
            data=data,
            files=files,
            timeout=10,
        )

    def get(self, path: str, token: str | None = None, **params: Any) -> requests.Response:
        return self.call("GET", path, token, **params)

    def post(self, path: str, token: str | None = None, **params: Any) -> requests.Response:
        return self.call("POST", path, token, **params)


@dataclass
class Session:
    user_token: str
    page_tokens: dict[str, str]  # page name -> page token
    page_ids: dict[str, str]  # page name -> page id


def login(sb: SandboxHandle, user: str = "Maria Rossi", **dialog: Any) -> Session:
    """Dialog → code → long-lived user token → /me/accounts, all over HTTP."""
    code = query_of(sb.approve_login(user=user, **dialog))["code"]
    graph = Graph(sb)
    short = graph.get(
        "oauth/access_token",
        client_id=sb.app_id,
        client_secret=sb.app_secret,
        redirect_uri=REDIRECT_URI,
        code=code,
    ).json()["access_token"]
    long = graph.get(
        "oauth/access_token",
        grant_type="fb_exchange_token",
        client_id=sb.app_id,
        client_secret=sb.app_secret,
        fb_exchange_token=short,
    ).json()["access_token"]
    accounts = graph.get("me/accounts", long).json()["data"]
    return Session(
        long,
        {a["name"]: a["access_token"] for a in accounts},
        {a["name"]: a["id"] for a in accounts},
    )


@pytest.fixture
def graph(sandbox: SandboxHandle) -> Graph:
    return Graph(sandbox)


@pytest.fixture
def maria(sandbox: SandboxHandle) -> Session:
    return login(sandbox)


def subscribe_page(
    graph: Graph, page_token: str, fields: str = "feed,messages,message_echoes"
) -> None:
    response = graph.post("me/subscribed_apps", page_token, subscribed_fields=fields)
    assert response.json() == {"success": True}, response.text


def payloads(receiver: Receiver) -> list[dict[str, Any]]:
    return [json.loads(p["body"]) for p in receiver.webhooks()]
