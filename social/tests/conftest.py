"""Fixtures for the social tests: a Graph sandbox wired into settings, and a helper that runs
the connect flow through the real views and the sandbox's dialog over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from django.test import override_settings

SITE = "http://testserver"


def sandbox_settings(sb, site: str):
    return override_settings(
        FACEBOOK_GRAPH_URL=sb.url,
        FACEBOOK_DIALOG_URL=sb.url,
        FACEBOOK_APP_ID=sb.app_id,
        FACEBOOK_APP_SECRET=sb.app_secret,
        SITE_URL=site,
    )


@contextmanager
def browser_sandbox(sb, live_server_url: str, settings) -> Iterator[None]:
    """The app pointed at the sandbox, with a CSP that lets the browser post to its dialog and
    show its pictures (in production both are Facebook's hosts, already in the CSP)."""
    csp = {**settings.CONTENT_SECURITY_POLICY}
    csp["DIRECTIVES"] = {
        **csp["DIRECTIVES"],
        "form-action": ["'self'", sb.url],
        "img-src": [*csp["DIRECTIVES"]["img-src"], sb.url],
    }
    with sandbox_settings(sb, live_server_url), override_settings(CONTENT_SECURITY_POLICY=csp):
        yield


def assert_every_graph_call_had_a_valid_proof(sb) -> None:
    """RELIABILITY O8: every token-bearing call carried a valid appsecret_proof."""
    calls = [r for r in sb.requests_log() if r.get("has_access_token")]
    bad = [(r["method"], r["graph_path"], r["proof"]) for r in calls if r["proof"] != "valid"]
    assert not bad, bad


@pytest.fixture
def sb(graph_sandbox_factory):
    """A sandbox whose registered redirect URI is the test client's callback."""
    handle = graph_sandbox_factory(redirect_uris=[f"{SITE}/social/facebook/callback/"])
    with sandbox_settings(handle, SITE):
        yield handle
    assert_every_graph_call_had_a_valid_proof(handle)


def issued_tokens(sb) -> list[str]:
    return [t["token"] for t in sb.control("GET", "tokens") if t.get("kind") != "app"]


class Flow:
    """Drive Connect → dialog → callback → picker with Django's test client."""

    def __init__(self, client, sb, tenant):
        self.client, self.sb, self.tenant = client, sb, tenant

    def start(self, url_name: str = "social:connect", data=None, **kwargs) -> str:
        from django.urls import reverse

        url = reverse(url_name, kwargs={"tenant_slug": self.tenant.slug, **kwargs})
        response = self.client.post(url, data or {})
        assert response.status_code == 302, response
        return response["Location"]

    def callback(self, location: str, client=None):
        parts = urlsplit(location)
        return (client or self.client).get(parts.path + "?" + parts.query)

    def approve(self, dialog_url: str, **kwargs) -> str:
        return self.sb.approve_login(dialog_url, **kwargs)

    def connect(self, pages: list[str] | None = None, pick: list[str] | None = None, **approve):
        """The whole flow; returns the picker POST's response (or the callback's)."""
        location = self.approve(self.start(), pages=pages, **approve)
        response = self.callback(location)
        if response.status_code != 302 or "/pick/" not in response["Location"]:
            return response
        picker = self.client.get(response["Location"])
        assert picker.status_code == 200
        names = pick if pick is not None else (pages or [])
        ids = [p["id"] for p in picker.context["pending"].pages if p["name"] in names]
        return self.client.post(response["Location"], {"page_ids": ids})


@pytest.fixture
def flow(owner_client, sb, tenant):
    return Flow(owner_client, sb, tenant)
