"""Start-up options of the sandbox (CLI flags, env vars, fixture options)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

DEFAULT_APP_ID = "1234567890123456"
DEFAULT_APP_SECRET = "sandbox-app-secret-change-me"
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8000/social/facebook/callback/"
DEFAULT_WEBHOOK_URL = "http://127.0.0.1:8000/webhooks/facebook"
DEFAULT_VERIFY_TOKEN = "sandbox-verify-token"
DEFAULT_DEAUTHORIZE_URL = "http://127.0.0.1:8000/facebook/deauthorize"
DEFAULT_DATA_DELETION_URL = "http://127.0.0.1:8000/facebook/data-deletion"


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
    redirect_uris: list[str] = field(default_factory=lambda: [DEFAULT_REDIRECT_URI])
    webhook_url: str | None = DEFAULT_WEBHOOK_URL
    verify_token: str = DEFAULT_VERIFY_TOKEN
    deauthorize_url: str | None = DEFAULT_DEAUTHORIZE_URL
    data_deletion_url: str | None = DEFAULT_DATA_DELETION_URL
    fetch_allow_hosts: list[str] = field(default_factory=list)
    require_appsecret_proof: bool = True
    empty_world: bool = False
    auto_deliver: bool = True
    webhook_time_scale: float = 720.0
    webhook_timeout: float = 5.0
    fetch_timeout: float = 10.0
    container_processing_seconds: float = 3.0
    quiet: bool = True

    @classmethod
    def from_env(cls, **overrides: object) -> SandboxConfig:
        """Defaults, overridden by env vars, overridden by explicit (non-None) options."""
        config = cls()
        env = os.environ
        if env.get("FACEBOOK_APP_ID"):
            config.app_id = env["FACEBOOK_APP_ID"]
        if env.get("FACEBOOK_APP_SECRET"):
            config.app_secret = env["FACEBOOK_APP_SECRET"]
        if env.get("SANDBOX_REDIRECT_URIS"):
            config.redirect_uris = _split(env["SANDBOX_REDIRECT_URIS"])
        if env.get("SANDBOX_WEBHOOK_URL"):
            config.webhook_url = env["SANDBOX_WEBHOOK_URL"]
        if env.get("FACEBOOK_WEBHOOK_VERIFY_TOKEN"):
            config.verify_token = env["FACEBOOK_WEBHOOK_VERIFY_TOKEN"]
        if env.get("SANDBOX_DEAUTHORIZE_URL"):
            config.deauthorize_url = env["SANDBOX_DEAUTHORIZE_URL"]
        if env.get("SANDBOX_DATA_DELETION_URL"):
            config.data_deletion_url = env["SANDBOX_DATA_DELETION_URL"]
        if env.get("SANDBOX_FETCH_ALLOW_HOSTS"):
            config.fetch_allow_hosts = _split(env["SANDBOX_FETCH_ALLOW_HOSTS"])
        if env.get("SANDBOX_REQUIRE_APPSECRET_PROOF"):
            config.require_appsecret_proof = env["SANDBOX_REQUIRE_APPSECRET_PROOF"].lower() in (
                "1",
                "true",
                "on",
            )
        for name, value in overrides.items():
            if value is None:
                continue
            if not hasattr(config, name):
                raise TypeError(f"unknown sandbox option {name!r}")
            setattr(config, name, value)
        return config


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]
