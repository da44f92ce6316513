"""The Facebook Login OAuth dialog as a real HTML page (graph-api.md §1, checklist
"Login / tokens"): pick a user, tick Pages (all ticked, like Facebook's "opt in to current
Pages"), optionally untick permissions, then Continue or Cancel."""

from __future__ import annotations

import html
import secrets
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from sandbox.state import App, Code, World

PASSTHROUGH = (
    "client_id",
    "redirect_uri",
    "state",
    "scope",
    "config_id",
    "auth_type",
    "response_type",
)

STYLE = """
body{font-family:Helvetica,Arial,sans-serif;background:#f0f2f5;margin:0;color:#1c1e21}
.box{max-width:560px;margin:40px auto;background:#fff;border-radius:8px;padding:24px;
box-shadow:0 2px 8px rgba(0,0,0,.15)} h1{font-size:20px;margin:0 0 4px} .muted{color:#65676b;font-size:14px}
fieldset{border:1px solid #dddfe2;border-radius:6px;margin:12px 0;padding:8px 12px} legend{font-weight:bold}
label{display:block;padding:3px 0} .pages{margin-left:24px} .buttons{display:flex;gap:8px;margin-top:16px}
button{font-size:15px;padding:8px 20px;border-radius:6px;border:0;cursor:pointer}
#approve{background:#0b5fcc;color:#fff} #cancel{background:#e4e6eb;color:#1c1e21} .error{color:#b00020}
button:focus-visible,input:focus-visible{outline:3px solid #0b5fcc;outline-offset:2px}
@media (max-width:600px){.box{margin:0;border-radius:0;padding:16px;box-shadow:none} .pages{margin-left:12px}}
"""
# A blue "f" tile, inline so the dialog asks its server for nothing else (no /favicon.ico).
FAVICON = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E"
    "%3Crect width='32' height='32' rx='7' fill='%230b5fcc'/%3E%3Cpath fill='%23fff' "
    "d='M18 27V17h3.4l.5-4H18v-2.5c0-1.1.3-1.9 1.9-1.9H22V5.1c-.4 0-1.6-.1-3-.1-3 0-5 1.8-5 "
    "5.1V13h-3.4v4H14v10z'/%3E%3C/svg%3E"
)


def _page(title: str, body: str, status: int = 200) -> Response:
    document = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><link rel='icon' href=\"{FAVICON}\">"
        f"<style>{STYLE}</style></head><body><main class='box'>{body}</main></body></html>"
    )
    return Response(document, status, mimetype="text/html")


def _error(title: str, message: str) -> Response:
    """Invalid client_id or redirect_uri: an error page, never a redirect (§1)."""
    return _page(
        title, f"<h1 class='error'>{html.escape(title)}</h1><p>{html.escape(message)}</p>", 400
    )


def _requested_scopes(app: App, params: dict[str, str]) -> tuple[list[str], bool] | None:
    """`config_id` (Login for Business: all-or-nothing) or `scope` (comma/space separated)."""
    config_id = params.get("config_id")
    if config_id:
        scopes = app.configs.get(config_id)
        return (list(scopes), True) if scopes is not None else None
    raw = params.get("scope", "").replace(" ", ",")
    scopes = [s for s in (part.strip() for part in raw.split(",")) if s]
    return scopes, False


def _redirect(uri: str, params: dict[str, str], fragment: str = "") -> Response:
    separator = "&" if "?" in uri else "?"
    return Response(
        status=302, headers={"Location": uri + separator + urlencode(params) + fragment}
    )


def handle_dialog(world: World, request: Request) -> Response:
    """GET renders the dialog; POST (the form) approves or cancels."""
    params = dict(request.values.items())
    app = world.apps.get(params.get("client_id", ""))
    if app is None:
        return _error("Invalid App ID", "The provided app ID does not look like a valid app ID.")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in app.redirect_uris:  # exact string match (RFC 9700 §2.1)
        return _error(
            "URL blocked",
            "This redirect failed because the redirect URI is not whitelisted in the app's "
            "Client OAuth Settings. Make sure Client and Web OAuth Login are on and add all "
            "your app domains as Valid OAuth Redirect URIs.",
        )
    if params.get("response_type", "code") not in ("code", ""):
        return _error("Not emulated", "The sandbox only emulates response_type=code.")
    requested = _requested_scopes(app, params)
    if requested is None:
        return _error("Invalid configuration", "The config_id is not a configuration of this app.")
    scopes, all_or_nothing = requested
    state = params.get("state")
    if request.method == "POST":
        if request.form.get("action") != "approve":
            error = {
                "error": "access_denied",
                "error_code": "200",
                "error_description": "Permissions error",
                "error_reason": "user_denied",
            }
            if state is not None:
                error["state"] = state
            return _redirect(redirect_uri, error, "#_=_")
        return _approve(world, app, request, params, scopes, all_or_nothing)
    return _render(world, app, params, scopes, all_or_nothing)


def _shown_scopes(
    world: World, app: App, user_id: str | None, scopes: list[str], params: dict[str, str]
) -> list[str]:
    """Without auth_type=rerequest, previously declined permissions are not asked again."""
    grant = world.grants.get((app.id, user_id or ""))
    if grant is None or params.get("auth_type") == "rerequest":
        return scopes
    return [s for s in scopes if s not in grant.declined]


def _render(
    world: World, app: App, params: dict[str, str], scopes: list[str], all_or_nothing: bool
) -> Response:
    hidden = "".join(
        f"<input type='hidden' name='{name}' value='{html.escape(params[name], quote=True)}'>"
        for name in PASSTHROUGH
        if name in params
    )
    users = []
    for index, user in enumerate(world.users.values()):
        checked = " checked" if index == 0 else ""
        page_rows = []
        for page_id in world.pages_of(user, with_business=True):
            page = world.pages[page_id]
            via = ""
            if page_id in user.business_pages and page_id not in user.pages:
                business = world.businesses.get(user.business_pages[page_id])
                via = f" <span class='muted'>(via Business portfolio {html.escape(business.name if business else '')})</span>"
            ig = " <span class='muted'>+ Instagram</span>" if page.ig_id else ""
            page_rows.append(
                f"<label><input type='checkbox' name='page_ids' value='{page.id}' checked>"
                f" {html.escape(page.name)}{via}{ig}</label>"
            )
        pages_html = "".join(page_rows) or "<p class='muted'>No Pages.</p>"
        users.append(
            f"<fieldset><legend><label><input type='radio' name='user_id' value='{user.id}'{checked}>"
            f" Continue as {html.escape(user.name)}</label></legend>"
            f"<div class='pages'>{pages_html}</div></fieldset>"
        )
    shown = _shown_scopes(world, app, None, scopes, params)
    disabled = " disabled" if all_or_nothing else ""
    scope_rows = "".join(
        f"<label><input type='checkbox' name='scopes' value='{html.escape(s)}' checked{disabled}> {html.escape(s)}</label>"
        + (
            f"<input type='hidden' name='scopes' value='{html.escape(s)}'>"
            if all_or_nothing
            else ""
        )
        for s in shown
    )
    note = " (this configuration is granted as a whole)" if all_or_nothing else ""
    body = (
        f"<h1>{html.escape(app.name)} is requesting access</h1>"
        f"<p class='muted'>Facebook Login (sandbox) · app {app.id}</p>"
        f"<form method='post' action=''>{hidden}"
        f"<h2>Who are you?</h2>{''.join(users) or '<p>No users.</p>'}"
        f"<h2>Permissions{note}</h2>{scope_rows or '<p class=muted>public_profile only.</p>'}"
        "<div class='buttons'><button id='approve' name='action' value='approve' type='submit'>Continue</button>"
        "<button id='cancel' name='action' value='cancel' type='submit'>Cancel</button></div></form>"
    )
    return _page("Log in with Facebook", body)


def _approve(
    world: World,
    app: App,
    request: Request,
    params: dict[str, str],
    scopes: list[str],
    all_or_nothing: bool,
) -> Response:
    user = world.users.get(request.form.get("user_id", ""))
    if user is None:
        return _error("Choose a user", "Pick the Facebook user to log in as.")
    ticked_pages = set(request.form.getlist("page_ids"))
    ticked_scopes = set(request.form.getlist("scopes"))
    with world.lock:
        shown = set(_shown_scopes(world, app, user.id, scopes, params))
        granted_now = shown if all_or_nothing else shown & ticked_scopes
        declined_now = shown - granted_now
        allowed_pages = set(world.pages_of(user, with_business=True))
        grant = world.renew_grant(app.id, user.id)
        grant.scopes = (grant.scopes | granted_now | {"public_profile"}) - declined_now
        grant.declined = (grant.declined | declined_now) - granted_now
        grant.page_ids = ticked_pages & allowed_pages
        code = Code(
            "AQ" + secrets.token_urlsafe(60), app.id, user.id, params["redirect_uri"], world.now()
        )
        world.codes[code.code] = code
    query: dict[str, Any] = {"code": code.code}
    if params.get("state") is not None:
        query["state"] = params["state"]
    return _redirect(params["redirect_uri"], query, "#_=_")
