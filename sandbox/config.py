"""Start-up options of the sandbox (CLI flags, env vars, fixture options)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

DEFAULT_APP_ID = "1234567890123456"
DEFAULT_APP_SECRET = "sandbox-app-secret-change-me"
DEFAULT_APP_URL = "http://127.0.0.1:8000"
DEFAULT_VERIFY_TOKEN = "sandbox-verify-token"
# The app's endpoints, relative to `app_url`: where the sandbox redirects logins and sends
# webhooks and callbacks unless a URL is given explicitly.
APP_PATHS = {
    "redirect_uri": "/social/facebook/callback/",
    "webhook_url": "/webhooks/facebook",
    "deauthorize_url": "/facebook/deauthorize",
    "data_deletion_url": "/facebook/data-deletion",
}


@dataclass
class SandboxConfig:
    """Everything that shapes the seeded world and the server's behaviour.

    `webhook_time_scale` compresses the webhook retry schedule (graph-api.md §8: retries
    for up to 36 h): with the default 720, "36 h" of retries last 3 real minutes.
    `auto_deliver` runs the background delivery worker; tests usually turn it off and call
    `POST /_sandbox/webhooks/flush` so that deliveries happen at a known moment.
    """

    host: str = "127.0.0.1"
    port: int = 8001
    app_id: str = DEFAULT_APP_ID
    app_secret: str = DEFAULT_APP_SECRET
    # Base URL of the app; the four URLs below default to its endpoints (APP_PATHS) when not
    # given, so a sandbox started for an app on another port never talks to port 8000.
    # An empty string means "none" (e.g. no webhook callback configured).
    app_url: str = DEFAULT_APP_URL
    redirect_uris: list[str] | None = None
    webhook_url: str | None = None
    verify_token: str = DEFAULT_VERIFY_TOKEN
    deauthorize_url: str | None = None
    data_deletion_url: str | None = None
    fetch_allow_hosts: list[str] = field(default_factory=list)
    require_appsecret_proof: bool = True
    empty_world: bool = False
    auto_deliver: bool = True
    webhook_time_scale: float = 720.0
    webhook_timeout: float = 5.0
    fetch_timeout: float = 10.0
    container_processing_seconds: float = 3.0
    quiet: bool = True

    def __post_init__(self) -> None:
        base = self.app_url.rstrip("/")
        if self.redirect_uris is None:
            self.redirect_uris = [base + APP_PATHS["redirect_uri"]]
        for name in ("webhook_url", "deauthorize_url", "data_deletion_url"):
            if getattr(self, name) is None:
                setattr(self, name, base + APP_PATHS[name])

    @classmethod
    def from_env(cls, **overrides: object) -> SandboxConfig:
        """Defaults, overridden by env vars, overridden by explicit (non-None) options;
        app URLs not given are derived from `app_url` afterwards."""
        options: dict[str, Any] = {}
        for env_name, (name, convert) in ENV_OPTIONS.items():
            if os.environ.get(env_name):
                options[name] = convert(os.environ[env_name])
        names = {f.name for f in fields(cls)}
        for name, value in overrides.items():
            if value is None:
                continue
            if name not in names:
                raise TypeError(f"unknown sandbox option {name!r}")
            options[name] = value
        return cls(**options)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _bool(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "on", "yes")


# Env var -> (option, converter): the fallbacks for CLI flags that were not given.
ENV_OPTIONS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "HOST": ("host", str),
    "PORT": ("port", int),
    "FACEBOOK_APP_ID": ("app_id", str),
    "FACEBOOK_APP_SECRET": ("app_secret", str),
    "SANDBOX_APP_URL": ("app_url", str),
    "SANDBOX_REDIRECT_URIS": ("redirect_uris", _split),
    "SANDBOX_WEBHOOK_URL": ("webhook_url", str),
    "FACEBOOK_WEBHOOK_VERIFY_TOKEN": ("verify_token", str),
    "SANDBOX_DEAUTHORIZE_URL": ("deauthorize_url", str),
    "SANDBOX_DATA_DELETION_URL": ("data_deletion_url", str),
    "SANDBOX_FETCH_ALLOW_HOSTS": ("fetch_allow_hosts", _split),
    "SANDBOX_REQUIRE_APPSECRET_PROOF": ("require_appsecret_proof", _bool),
}
