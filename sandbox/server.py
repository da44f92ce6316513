"""One WSGI app on one port: Graph API (any /vNN.N/ prefix or none), the login dialog at
/vNN.N/dialog/oauth, and the control API + HTML overview under /_sandbox/."""

from __future__ import annotations

import logging
import re
import socket
import struct
import threading
from collections.abc import Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from sandbox.config import SandboxConfig
from sandbox.control import Control
from sandbox.dialog import handle_dialog
from sandbox.faults import ConnectionReset
from sandbox.graph import GraphAPI
from sandbox.seed import seed_default_world
from sandbox.state import World
from sandbox.webhooks import Worker

DIALOG_PATH = re.compile(r"^(/v\d+\.\d+)?/dialog/oauth/?$")


class KeepAliveHandler(WSGIRequestHandler):
    """HTTP/1.1 so clients reuse connections, like they do with graph.facebook.com."""

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without NODELAY, Nagle + delayed ACK
        # stall every keep-alive response by tens of milliseconds.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class SandboxApp:
    """The WSGI callable."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.world = World(config)
        seed_default_world(self.world)
        self.graph = GraphAPI(self.world)
        self.control = Control(self.world)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        # Big uploads are fine here (photos up to 8 MiB and more); werkzeug parses lazily.
        request.max_form_memory_size = 64 * 1024 * 1024
        base_url = request.host_url.rstrip("/")
        path = request.path
        try:
            if path == "/_sandbox" or path.startswith("/_sandbox/"):
                response = self.control(request, base_url)
            elif DIALOG_PATH.match(path):
                response = handle_dialog(self.world, request)
            elif path == "/":
                response = Response(status=302, headers={"Location": "/_sandbox/"})
            else:
                response = self.graph(request, base_url)
        except ConnectionReset:
            _reset(environ)
            # werkzeug treats ConnectionError as "client went away" and stays quiet.
            raise ConnectionResetError("sandbox fault: connection reset") from None
        return response(environ, start_response)


def _reset(environ: dict[str, Any]) -> None:
    """Close the socket with RST and no response (the "connection reset" fault)."""
    sock = environ.get("werkzeug.socket")
    if sock is None:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class SandboxServer:
    """Runs the sandbox on a background thread (tests) or in the foreground (CLI)."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.app = SandboxApp(self.config)
        self.httpd: BaseWSGIServer | None = None
        self.thread: threading.Thread | None = None
        self.worker = Worker(self.app.world)

    @property
    def world(self) -> World:
        return self.app.world

    @property
    def port(self) -> int:
        assert self.httpd is not None, "server not started"
        return int(self.httpd.server_port)

    @property
    def url(self) -> str:
        """Base URL without a trailing slash."""
        host = self.config.host if self.config.host not in ("0.0.0.0", "") else "127.0.0.1"
        return f"http://{host}:{self.port}"

    def bind(self) -> None:
        if self.config.quiet:
            logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.httpd = make_server(
            self.config.host,
            self.config.port,
            self.app,
            threaded=True,
            request_handler=KeepAliveHandler,
        )

    def start(self) -> SandboxServer:
        """Bind (port 0 = a free port) and serve on a daemon thread."""
        self.bind()
        assert self.httpd is not None
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        self.worker.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread (binds first unless `bind()` was already called)."""
        if self.httpd is None:
            self.bind()
        assert self.httpd is not None
        self.worker.start()
        try:
            self.httpd.serve_forever()
        finally:
            self.worker.stop()

    def stop(self) -> None:
        self.worker.stop()
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
        if self.thread is not None:
            self.thread.join(timeout=5)
