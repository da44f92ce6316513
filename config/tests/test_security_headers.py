"""Security headers and CSP on real pages (RELIABILITY D2, D3), the template lint that keeps
templates CSP-clean, and sessions (T7)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import override_settings
from django.urls import reverse

from tenants.testing import PASSWORD
from tenants.tests.urlmatrix import TENANT_PREFIX, enumerate_urls

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
PRODUCTION_LIKE = override_settings(
    SECURE_HSTS_SECONDS=31_536_000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    SECURE_HSTS_PRELOAD=True,
    SESSION_COOKIE_SECURE=True,
    CSRF_COOKIE_SECURE=True,
    DEBUG=False,
)
PUBLIC_PAGES = ["login", "signup", "password_reset", "password_reset_done"]
NONCE_ATTR = re.compile(r'nonce="([^"]+)"')
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_security_headers(response, where: str) -> None:
    csp = response.get("Content-Security-Policy", "")
    assert csp, f"{where}: no Content-Security-Policy header"
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, where
    directives = csp_directives(response)
    assert directives["frame-ancestors"] == ["'none'"], where
    assert directives["object-src"] == ["'none'"], where
    assert directives["base-uri"] == ["'self'"], where
    assert directives["script-src"][0] == "'self'", where
    assert response["Referrer-Policy"] == "same-origin", where
    assert response["Cross-Origin-Opener-Policy"] == "same-origin", where
    assert response["X-Frame-Options"] == "DENY", where
    assert response["X-Content-Type-Options"] == "nosniff", where
    assert (
        response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    ), where


def assert_nonce_matches(response, where: str) -> str | None:
    """Every script on an HTML page carries the one nonce the CSP header allows. Returns it
    (None for a fragment without scripts, which needs none)."""
    html = response.content.decode()
    scripts = SCRIPT_TAG.findall(html)
    script_src = csp_directives(response)["script-src"]
    nonces = [v[len("'nonce-") : -1] for v in script_src if v.startswith("'nonce-")]
    if not scripts:
        return None
    assert len(nonces) == 1, f"{where}: script-src {script_src} has no nonce"
    for tag in scripts:
        assert NONCE_ATTR.findall(tag) == [nonces[0]], f"{where}: {tag} lacks the header nonce"
    return nonces[0]


def tenant_urls_without_ids(tenant_slug: str) -> list[str]:
    """Every /t/<slug>/… page that needs no other URL argument, added later ones included."""
    return sorted(
        {
            reverse(entry.name, kwargs={"tenant_slug": tenant_slug})
            for entry in enumerate_urls()
            if entry.name and entry.route.startswith(TENANT_PREFIX) and not entry.object_kwargs
        }
    )


@PRODUCTION_LIKE
@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_pages_send_the_security_headers_and_a_nonce_d2(client, name):
    response = client.get(reverse(name), secure=True)
    assert response.status_code == 200
    assert_security_headers(response, name)
    assert assert_nonce_matches(response, name)  # base.html loads htmx with the nonce


@PRODUCTION_LIKE
@pytest.mark.parametrize("path", ["/", "/healthz", "/admin/login/", "/no-such-page/"])
def test_other_responses_send_the_security_headers_too_d2(client, path):
    response = client.get(path, secure=True)
    assert_security_headers(response, path)


@PRODUCTION_LIKE
def test_every_tenant_page_sends_the_security_headers_d2(client, tenant, owner):
    client.force_login(owner)
    client.raise_request_exception = False  # another app's bug must not hide the headers check
    urls = tenant_urls_without_ids(tenant.slug)
    assert reverse("tenants:dashboard", kwargs={"tenant_slug": tenant.slug}) in urls
    for url in urls:
        response = client.get(url, secure=True)
        assert_security_headers(response, url)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            assert_nonce_matches(response, url)


def test_a_hundred_responses_carry_a_hundred_distinct_nonces_d3(client):
    nonces = set()
    for _ in range(100):
        response = client.get(reverse("login"))
        nonces.add(assert_nonce_matches(response, "login"))
    assert len(nonces) == 100
    assert all(len(n) >= 16 for n in nonces)


# --- Template lint (D3): what the CSP would block, in every template of the project --------

TAG = re.compile(r"<([a-zA-Z][\w-]*)((?:[^<>\"']|\"[^\"]*\"|'[^']*')*)>")
RULES = [
    (
        lambda tag, attrs: tag.lower() == "script" and "nonce=" not in attrs,
        "<script> without nonce=",
    ),
    (lambda tag, attrs: tag.lower() == "style", "inline <style> element (use static/css)"),
    (lambda tag, attrs: re.search(r"\sstyle\s*=", attrs), "inline style= attribute (use a class)"),
    (
        lambda tag, attrs: re.search(r"\son[a-z]+\s*=", attrs, re.IGNORECASE),
        "inline on*= event handler (use static/js)",
    ),
    (lambda tag, attrs: re.search(r"\shx-on", attrs), "hx-on attribute (needs unsafe-eval)"),
    (lambda tag, attrs: "javascript:" in attrs.lower(), "javascript: URL"),
]


def lint_template(text: str) -> list[tuple[int, str]]:
    problems = []
    for match in TAG.finditer(text):
        tag, attrs = match.group(1), match.group(2)
        for rule, message in RULES:
            if rule(tag, attrs):
                problems.append((text.count("\n", 0, match.start()) + 1, message))
    return problems


def project_templates() -> list[Path]:
    folders = [ROOT / "templates"] + [
        p for p in ROOT.glob("*/templates") if not p.parts[-2].startswith(".")
    ]
    return sorted(p for folder in folders for p in folder.rglob("*.html"))


def test_no_template_has_inline_code_the_csp_would_block_d3():
    templates = project_templates()
    assert ROOT / "templates" / "base.html" in templates
    problems = [
        f"{path.relative_to(ROOT)}:{line}: {message}"
        for path in templates
        for line, message in lint_template(path.read_text())
    ]
    assert problems == [], "CSP would block these:\n" + "\n".join(problems)


def test_the_template_lint_finds_each_kind_of_problem_with_its_line():
    text = "\n".join(
        [
            '<script src="/static/js/a.js" nonce="{{ request.csp_nonce }}"></script>',
            '<script src="/static/js/b.js"></script>',
            "<style>p { color: red }</style>",
            '<p class="x"\n   style="color: red">',
            '<button type="button" onclick="go()">',
            '<div hx-on:click="alert(1)">',
            '<a href="javascript:void(0)">',
            '<p data-note="one=1" title="x > y">fine</p>',
        ]
    )
    assert lint_template(text) == [
        (2, "<script> without nonce="),
        (3, "inline <style> element (use static/css)"),
        (4, "inline style= attribute (use a class)"),
        (6, "inline on*= event handler (use static/js)"),
        (7, "hx-on attribute (needs unsafe-eval)"),
        (8, "javascript: URL"),
    ]


# --- Sessions (T7) ----------------------------------------------------------------------------


def log_in(client, user):
    return client.post(reverse("login"), {"username": user.username, "password": PASSWORD})


def test_logging_in_rotates_the_session_key_t7(client, owner):
    before = client.session
    before["seen"] = True
    before.save()
    old_key = before.session_key
    response = log_in(client, owner)
    assert response.status_code == 302
    new_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert new_key != old_key
    assert not Session.objects.filter(session_key=old_key).exists()


def test_logging_out_invalidates_the_session_t7(client, tenant, owner):
    log_in(client, owner)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    dashboard = reverse("tenants:dashboard", kwargs={"tenant_slug": tenant.slug})
    assert client.get(dashboard).status_code == 200
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()
    client.cookies[settings.SESSION_COOKIE_NAME] = key  # replaying the old cookie
    response = client.get(dashboard)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_session_cookies_are_httponly_and_samesite_lax_t7(client, owner):
    log_in(client, owner)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


@PRODUCTION_LIKE
def test_session_and_csrf_cookies_are_secure_in_production_t7(client, owner):
    client.get(reverse("login"), secure=True)
    assert client.cookies[settings.CSRF_COOKIE_NAME]["secure"] is True
    assert client.cookies[settings.CSRF_COOKIE_NAME]["samesite"] == "Lax"
    client.post(reverse("login"), {"username": owner.username, "password": PASSWORD}, secure=True)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
