"""`python -m sandbox --port 8001`: run the Graph sandbox in the foreground."""

from __future__ import annotations

import argparse
import sys

from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Flags; any flag not given falls back to its env var (see SandboxConfig.from_env)."""
    parser = argparse.ArgumentParser(
        prog="python -m sandbox", description="Tablecast Graph sandbox"
    )
    parser.add_argument("--host", default=None, help="default 127.0.0.1 (env HOST)")
    parser.add_argument("--port", type=int, default=None, help="default 8001 (env PORT)")
    parser.add_argument("--app-id", default=None, help="env FACEBOOK_APP_ID")
    parser.add_argument("--app-secret", default=None, help="env FACEBOOK_APP_SECRET")
    parser.add_argument(
        "--app-url",
        default=None,
        help="the app's base URL (default http://127.0.0.1:8000, env SANDBOX_APP_URL); "
        "the redirect URI, webhook, deauthorize and data-deletion URLs default to its endpoints",
    )
    parser.add_argument(
        "--redirect-uri",
        action="append",
        default=None,
        dest="redirect_uris",
        help="repeatable; env SANDBOX_REDIRECT_URIS (comma-separated)",
    )
    parser.add_argument("--webhook-url", default=None, help="env SANDBOX_WEBHOOK_URL")
    parser.add_argument("--verify-token", default=None, help="env FACEBOOK_WEBHOOK_VERIFY_TOKEN")
    parser.add_argument("--deauthorize-url", default=None, help="env SANDBOX_DEAUTHORIZE_URL")
    parser.add_argument("--data-deletion-url", default=None, help="env SANDBOX_DATA_DELETION_URL")
    parser.add_argument(
        "--fetch-allow-host",
        action="append",
        default=None,
        dest="fetch_allow_hosts",
        help="repeatable; env SANDBOX_FETCH_ALLOW_HOSTS (comma-separated)",
    )
    parser.add_argument(
        "--require-appsecret-proof",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="default on (env SANDBOX_REQUIRE_APPSECRET_PROOF)",
    )
    parser.add_argument(
        "--empty-world", action="store_true", default=None, help="seed only the app"
    )
    parser.add_argument(
        "--no-auto-deliver",
        action="store_false",
        default=None,
        dest="auto_deliver",
        help="queue webhooks until POST /_sandbox/webhooks/flush",
    )
    parser.add_argument(
        "--webhook-time-scale",
        type=float,
        default=None,
        help="retry-schedule compression (default 720: '36 h' = 3 min)",
    )
    parser.add_argument(
        "--verbose", action="store_false", default=None, dest="quiet", help="log every request"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Parse flags, print the URL, serve until interrupted."""
    config = SandboxConfig.from_env(**vars(parse_args(argv)))
    server = SandboxServer(config)
    server.bind()
    print(f"Graph sandbox running at {server.url}/_sandbox/ (app {config.app_id})", flush=True)
    print(
        f"  webhooks to {config.webhook_url or 'nowhere'}, logins back to "
        f"{', '.join(config.redirect_uris or [])}",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
