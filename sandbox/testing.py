"""A small client for the sandbox's control API, used by the pytest fixtures and by the
app's own tests. Only `requests`; nothing here knows the app."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import requests

from sandbox.server import SandboxServer
from sandbox.state import TABLECAST_SCOPES, appsecret_proof

# Tablecast's permissions, which include the two insights need [D] (read_insights for Page and
# post insights, instagram_manage_insights for Instagram), for tests that read insights:
# `sandbox.mint_token(user_id, INSIGHT_SCOPES, page_id=...)`.
INSIGHT_SCOPES = list(
    dict.fromkeys([*TABLECAST_SCOPES, "read_insights", "instagram_manage_insights"])
)


class _FormParser(HTMLParser):
    """Collects the dialog form's inputs the way a browser would submit them."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict[str, str]] = []
        self.action = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        data = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = data.get("action", "")
        elif tag == "input":
            self.inputs.append(data)


class SandboxHandle:
    """What the `graph_sandbox` fixture yields."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.url = server.url
        self.session = requests.Session()

    # -- identity -------------------------------------------------------------------------
    @property
    def app_id(self) -> str:
        return self.server.config.app_id

    @property
    def app_secret(self) -> str:
        app = self.server.world.apps.get(self.app_id)
        return app.secret if app else self.server.config.app_secret

    @property
    def verify_token(self) -> str:
        app = self.server.world.apps.get(self.app_id)
        return app.verify_token if app else self.server.config.verify_token

    @property
    def app_token(self) -> str:
        return f"{self.app_id}|{self.app_secret}"

    def proof(self, access_token: str) -> str:
        """appsecret_proof for a token (graph-api.md §2)."""
        return appsecret_proof(self.app_secret, access_token)

    def graph_url(self, path: str, version: str = "v24.0") -> str:
        return f"{self.url}/{version}/{path.lstrip('/')}"

    # -- control API ------------------------------------------------------------------------
    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.session.request(
            method, f"{self.url}/_sandbox/{path.lstrip('/')}", timeout=30, **kwargs
        )
        if response.status_code >= 400:
            raise AssertionError(
                f"control API {method} {path} → {response.status_code}: {response.text}"
            )
        return response.json()

    def world(self) -> dict[str, Any]:
        return self.control("GET", "world")

    def reset(self, *, empty: bool = False) -> None:
        self.control("POST", "reset", json={"empty": empty})

    def requests_log(
        self, path: str | None = None, method: str | None = None
    ) -> list[dict[str, Any]]:
        """Graph calls received; `path` is exact or a glob on the unversioned path."""
        params = {k: v for k, v in {"path": path, "method": method}.items() if v}
        return self.control("GET", "requests", params=params)

    def add_fault(self, **spec: Any) -> dict[str, Any]:
        """e.g. add_fault(route="/*/feed", code=190, subcode=463, count=1)."""
        return self.control("POST", "faults", json=spec)

    def clear_faults(self) -> None:
        self.control("DELETE", "faults")

    def revoke_token(self, token: str, subcode: int = 467) -> dict[str, Any]:
        return self.control("POST", f"tokens/{token}/revoke", json={"subcode": subcode})

    def mint_token(self, user_id: str, scopes: list[str], **options: Any) -> dict[str, Any]:
        """A token without the dialog; `page_id=` gives a Page token, `pages=` the grant."""
        return self.control(
            "POST", "tokens", json={"user_id": user_id, "scopes": scopes, **options}
        )

    def trigger_message(self, page_id: str, text: str = "Hello!", **options: Any) -> dict[str, Any]:
        return self.control(
            "POST", "trigger/message", json={"page_id": page_id, "text": text, **options}
        )

    def trigger_comment(
        self, object_id: str | None = None, text: str = "Nice!", **options: Any
    ) -> dict[str, Any]:
        body = {"text": text, **options}
        if object_id:
            body["object_id"] = object_id
        return self.control("POST", "trigger/comment", json=body)

    def trigger_postback(self, page_id: str, payload: str, **options: Any) -> dict[str, Any]:
        return self.control(
            "POST", "trigger/postback", json={"page_id": page_id, "payload": payload, **options}
        )

    def trigger_reaction(self, mid: str, reaction: str = "love", **options: Any) -> dict[str, Any]:
        return self.control(
            "POST", "trigger/reaction", json={"mid": mid, "reaction": reaction, **options}
        )

    def trigger_read(self, conversation_id: str) -> dict[str, Any]:
        return self.control("POST", "trigger/read", json={"conversation_id": conversation_id})

    def trigger_mention(self, ig_id: str, **options: Any) -> dict[str, Any]:
        return self.control("POST", "trigger/mention", json={"ig_id": ig_id, **options})

    def change_comment(self, comment_id: str, action: str, text: str | None = None) -> Any:
        """The customer edits (`"edit"`, text) or deletes (`"remove"`) their comment."""
        return self.control(
            "POST", f"trigger/comment/{comment_id}", json={"action": action, "text": text}
        )

    def conversations(self, **filters: str) -> list[dict[str, Any]]:
        """Conversations with messages oldest first; filter by page_id, customer_id, platform…"""
        return self.control("GET", "conversations", params=filters)

    def page_replies(self, customer_id: str) -> list[str]:
        """What the Page (or its IG account) sent this customer, oldest first."""
        return [
            m["text"]
            for c in self.conversations(customer_id=customer_id)
            for m in c["messages"]
            if m["direction"] == "out"
        ]

    def comments(self, **filters: str) -> list[dict[str, Any]]:
        """Comments (filters: object_id, parent_id, page_id, author_id); `is_page` marks the
        Page's (or its IG account's) own."""
        return self.control("GET", "comments", params=filters)

    def trigger_post_reaction(
        self, object_id: str, reaction: str = "like", **options: Any
    ) -> dict[str, Any]:
        """A customer reacts to a Page post (`action="unreact"` takes it back)."""
        return self.control(
            "POST",
            "trigger/reaction",
            json={"object_id": object_id, "reaction": reaction, **options},
        )

    def figures(self, object_id: str) -> dict[str, Any]:
        """A post's or IG media's current figures (what insights and counts are built from)."""
        return self.control("GET", f"insights/{object_id}")["figures"]

    def set_figures(self, object_id: str, **figures: Any) -> dict[str, Any]:
        """Set a post's or IG media's figures (views, reach, likes, comments, shares, saves,
        clicks, follows, profile_visits, not_enough_viewers); absolute values."""
        return self.control("POST", f"insights/{object_id}", json=figures)["figures"]

    def trigger_deauthorize(self, user_id: str) -> dict[str, Any]:
        return self.control("POST", "trigger/deauthorize", json={"user_id": user_id})

    def trigger_data_deletion(self, user_id: str) -> dict[str, Any]:
        return self.control("POST", "trigger/data-deletion", json={"user_id": user_id})

    def flush_webhooks(self) -> list[dict[str, Any]]:
        """Deliver everything pending now; returns the deliveries/callbacks attempted."""
        return self.control("POST", "webhooks/flush")

    def configure_webhooks(self, **options: Any) -> dict[str, Any]:
        return self.control("POST", "webhooks/config", json=options)

    def deliveries(self) -> list[dict[str, Any]]:
        return self.control("GET", "webhooks/deliveries")

    def advance_clock(self, seconds: float) -> float:
        return self.control("POST", "clock/advance", json={"seconds": seconds})["now"]

    def set_usage_budgets(self, **budgets: int) -> dict[str, Any]:
        return self.control("POST", "usage", json={"budgets": budgets, "reset": True})

    def user_by_name(self, name: str) -> dict[str, Any]:
        for user in self.world()["users"]:
            if user["name"] == name:
                return user
        raise KeyError(name)

    def page_by_name(self, name: str) -> dict[str, Any]:
        for page in self.world()["pages"]:
            if page["name"] == name:
                return page
        raise KeyError(name)

    # -- the login dialog, as a browser -------------------------------------------------------
    def approve_login(
        self,
        dialog_url: str | None = None,
        *,
        user: str = "Maria Rossi",
        pages: list[str] | None = None,
        decline: list[str] | None = None,
        cancel: bool = False,
        scope: str | None = None,
        state: str = "state-123",
        redirect_uri: str | None = None,
    ) -> str:
        """GET the dialog, fill the form like a person (user radio, Page checkboxes by
        name, permission checkboxes) and POST it; returns the Location it redirects to.

        Either pass the app's full `dialog_url`, or let it build one from `scope`/`state`.
        """
        if dialog_url is None:
            app = self.server.world.apps[self.app_id]
            query = {
                "client_id": self.app_id,
                "redirect_uri": redirect_uri or app.redirect_uris[0],
                "state": state,
                "scope": scope if scope is not None else ",".join(TABLECAST_SCOPES),
            }
            dialog_url = f"{self.url}/v24.0/dialog/oauth?{urlencode(query)}"
        page = requests.get(dialog_url, timeout=10)
        if page.status_code != 200:
            raise AssertionError(f"dialog answered {page.status_code}: {page.text[:300]}")
        parser = _FormParser()
        parser.feed(page.text)
        world = self.world()
        user_id = next((u["id"] for u in world["users"] if u["name"] == user), None)
        if user_id is None:
            raise KeyError(user)
        names = {p["id"]: p["name"] for p in world["pages"]}
        form: list[tuple[str, str]] = []
        for field in parser.inputs:
            name, value, kind = (
                field.get("name", ""),
                field.get("value", ""),
                field.get("type", "text"),
            )
            if (
                kind == "hidden"
                or (name == "user_id" and value == user_id)
                or (name == "page_ids" and (pages is None or names.get(value) in pages))
                or (name == "scopes" and "disabled" not in field and value not in (decline or []))
            ):
                form.append((name, value))
        form.append(("action", "cancel" if cancel else "approve"))
        action = urljoin(page.url, parser.action) if parser.action else page.url
        response = requests.post(action, data=form, allow_redirects=False, timeout=10)
        if response.status_code != 302:
            raise AssertionError(
                f"dialog POST answered {response.status_code}: {response.text[:300]}"
            )
        return response.headers["Location"]


def query_of(url: str) -> dict[str, str]:
    """The query parameters of a redirect URL (fragment ignored)."""
    return dict(parse_qsl(urlsplit(url).query))
