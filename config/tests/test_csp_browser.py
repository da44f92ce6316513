"""In Chromium: the enforced CSP blocks nothing our pages need (no violation reports) and htmx
runs (it is loaded with the nonce)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tenants.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch_violations(page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: (
            violations.append(msg.text)
            if "Content Security Policy" in msg.text or "Refused to" in msg.text
            else None
        ),
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " console.error('Refused to: CSP ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return violations


def test_pages_load_without_csp_violations_and_htmx_runs(live_server, page, tenant, owner):
    violations = watch_violations(page)
    page.goto(live_server.url + reverse("login"))
    assert page.evaluate("typeof window.htmx") == "object"
    page.fill("input[name=username]", owner.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state("networkidle")
    for name in ["tenants:dashboard", "tenants:profile", "tenants:members"]:
        page.goto(live_server.url + reverse(name, kwargs={"tenant_slug": tenant.slug}))
        page.wait_for_load_state("networkidle")
        assert page.evaluate("typeof window.htmx") == "object", name
    assert violations == []
