"""Per-request context for Graph handlers: parameters, the caller's token and the
permission checks every endpoint shares (graph-api.md §2, §3, §6)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import FileStorage

from sandbox.errors import GraphError, invalid_param, not_found, permission_error
from sandbox.fields import FieldSpec, parse_fields
from sandbox.state import App, Page, Token, User, World, proof_state
from sandbox.timeparse import parse_time


@dataclass
class Ctx:
    world: World
    method: str
    graph_path: str
    params: dict[str, str]
    files: dict[str, FileStorage]
    base_url: str  # scheme://host, no trailing slash
    version: str
    token_str: str | None
    token: Token | None = None
    proof: str = "not_applicable"  # valid | invalid | missing | not_applicable
    usage_object: tuple[str, str] | None = None  # (business object id, BUC type)
    extra_headers: dict[str, str] = field(default_factory=dict)

    # -- parameters -----------------------------------------------------------------------
    def param(self, name: str, default: str | None = None) -> str | None:
        return self.params.get(name, default)

    def required(self, name: str) -> str:
        value = self.params.get(name)
        if value in (None, ""):
            raise invalid_param(f"(#100) The parameter {name} is required")
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.params.get(name)
        if value is None:
            return default
        return value.strip().lower() not in ("false", "0", "no", "")

    def json_param(self, name: str) -> Any:
        """JSON-object params (`recipient`, `message`, `attached_media`) arrive as strings."""
        raw = self.params.get(name)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise invalid_param(f"(#100) Param {name} must be a JSON object") from exc

    def list_param(self, name: str) -> list[Any]:
        """List params (`children`, `attached_media`, `subscribed_fields`): a JSON array (what
        Meta's SDKs send), indexed keys (folded by `sandbox.params`), or comma-separated text."""
        raw = (self.params.get(name) or "").strip()
        if not raw:
            return []
        if raw[:1] in ("[", "{"):
            try:
                value = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise invalid_param(f"(#100) Param {name} must be a JSON array") from exc
            return value if isinstance(value, list) else [value]
        return [part.strip() for part in raw.split(",") if part.strip()]

    def time_param(self, name: str) -> int | None:
        """A time parameter (`since`, `until`, `scheduled_publish_time`): unix seconds, an
        ISO 8601 string or a strtotime-style relative string (`+2 hours`, `tomorrow`)."""
        raw = self.params.get(name)
        if raw in (None, ""):
            return None
        when = parse_time(raw, self.world.now())
        if when is None:
            raise invalid_param(f"(#100) The parameter {name} is not a valid time: {raw}")
        return when

    def fields(self) -> dict[str, FieldSpec] | None:
        return parse_fields(self.params.get("fields"))

    @property
    def url(self) -> str:
        return (
            f"{self.base_url}/{self.version}/{self.graph_path.lstrip('/')}"
            if self.version
            else self.base_url + self.graph_path
        )

    # -- tokens -----------------------------------------------------------------------------
    @property
    def app(self) -> App:
        app = self.world.default_app()
        if app is None:
            raise GraphError(190, "Invalid OAuth access token - no app is configured")
        return app

    def authenticate(self) -> Token:
        """Resolve and validate the access token, then check appsecret_proof (§2 SEC)."""
        if self.token is not None:
            return self.token
        if not self.token_str:
            raise GraphError(
                2500,
                "An active access token must be used to query information about the current user.",
            )
        world = self.world
        with world.lock:
            token = world.tokens.get(self.token_str)
            if token is None:
                app = (
                    world.apps.get(self.token_str.split("|", 1)[0])
                    if "|" in self.token_str
                    else None
                )
                if app is not None and self.token_str == app.app_token:
                    token = world.app_token_record(app)
        if token is None:
            raise GraphError(190, "Invalid OAuth access token - Cannot parse access token")
        problem = world.token_problem(token)
        if problem is not None:
            raise problem
        app = world.apps.get(token.app_id)
        if app is not None:
            self.proof = proof_state(self.params.get("appsecret_proof"), app, token.token)
            # App tokens embed the secret, so Meta does not need a proof for them [U].
            needs_proof = app.require_proof and token.kind != "app"
            if self.proof == "invalid" or (self.proof == "missing" and needs_proof):
                self.token = token  # still attribute the call in the request log
                message = (
                    "Invalid appsecret_proof provided in the API argument"
                    if self.proof == "invalid"
                    else "API calls from the server require an appsecret_proof argument"
                )
                raise GraphError(100, message, type="GraphMethodException")
        self.token = token
        return token

    def user_token(self) -> tuple[Token, User]:
        token = self.authenticate()
        if token.kind != "user" or token.user_id not in self.world.users:
            raise GraphError(
                2500,
                "An active access token must be used to query information about the current user.",
            )
        return token, self.world.users[token.user_id]

    def require_scopes(self, token: Token, *scopes: str, code: int = 200) -> None:
        missing = [s for s in scopes if s not in token.scopes]
        if missing:
            raise GraphError(
                code, f"(#{code}) Requires {' and '.join(missing)} permission to manage the object"
            )

    def can_access_page(self, token: Token, page: Page) -> bool:
        """A Page token of that Page, or a user token that was granted the Page and whose
        user still manages it (Business pages only with business_management)."""
        if token.kind == "page":
            return token.page_id == page.id
        if token.kind != "user" or page.id not in token.page_targets:
            return False
        user = self.world.users.get(token.user_id or "")
        if user is None:
            return False
        return page.id in self.world.pages_of(
            user, with_business="business_management" in token.scopes
        )

    def page_for(self, page_id: str) -> Page:
        """The Page if the caller's token may act on it, else Meta's "does not exist" error."""
        token = self.authenticate()
        page = self.world.pages.get(page_id)
        if page is None or not self.can_access_page(token, page):
            raise not_found(page_id)
        return page

    def page_token_for(
        self, page_id: str, *scopes: str, task: str = "CREATE_CONTENT"
    ) -> tuple[Token, Page]:
        """Writes on a Page need a Page token with the scopes and task (§5, §9)."""
        page = self.page_for(page_id)
        token = self.authenticate()
        if token.kind != "page":
            raise permission_error(
                "(#200) If posting to a page, requires both pages_read_engagement and "
                "pages_manage_posts as an admin with sufficient administrative permission"
            )
        self.require_scopes(token, *scopes)
        user = self.world.users.get(token.user_id or "")
        if user is not None and task not in self.world.tasks_of(user, page.id):
            raise permission_error(f"(#200) The user does not have the {task} task on this Page")
        return token, page
