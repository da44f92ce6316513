"""The control API under /_sandbox/ (JSON): create and inspect everything, script faults,
move the clock, trigger customer-side events and flush webhooks. Also serves pictures
and photo bytes. The HTML overview is in `sandbox.overview`."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandbox import customers, faults, overview, webhooks
from sandbox.figures import object_figures
from sandbox.images import picture_png
from sandbox.nodes import container_status, ig_media_of, page_token_from, visible_posts
from sandbox.seed import seed_default_world
from sandbox.state import (
    ALL_TASKS,
    USER_LONG_LIFETIME,
    USER_SHORT_LIFETIME,
    IGAccount,
    Page,
    User,
    World,
    random_digits,
    to_dict,
)


class ControlError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, default=str), status, mimetype="application/json")


def _body(request: Request) -> dict[str, Any]:
    if not request.data:
        return dict(request.values.items())
    try:
        data = json.loads(request.data)
    except json.JSONDecodeError as exc:
        raise ControlError(f"invalid JSON body: {exc}") from exc
    if not isinstance(data, dict):
        raise ControlError("the JSON body must be an object")
    return data


OVERRIDABLE = {
    "views",
    "reach",
    "likes",
    "reactions",
    "comments",
    "shares",
    "saves",
    "clicks",
    "follows",
    "profile_visits",
    "profile_links_taps",
    "not_enough_viewers",
    "unavailable",
}


def _pick(body: dict[str, Any], func: Callable[..., Any]) -> dict[str, Any]:
    """The body's keys that are keyword arguments of a trigger; a missing required one is a
    400 (ValueError) naming it."""
    parameters = inspect.signature(func).parameters
    required = [
        name
        for name, p in parameters.items()
        if p.kind is p.KEYWORD_ONLY and p.default is p.empty and name not in body
    ]
    if required:
        raise ControlError(f"missing {', '.join(required)}")
    return {k: v for k, v in body.items() if k in parameters and k != "world"}


def token_view(world: World, token: Any, *, full: bool = True) -> dict[str, Any]:
    data = to_dict(token)
    if not full:
        data["token"] = token.token[:12] + "…"
    problem = world.token_problem(token)
    data["is_valid"] = problem is None
    data["invalid_reason"] = problem.message if problem else None
    return data


class Control:
    """Routes /_sandbox/... requests; every handler takes (request, **url_args)."""

    def __init__(self, world: World) -> None:
        self.world = world
        rules = [
            ("/_sandbox/", "overview", ["GET"]),
            ("/_sandbox/world", "world", ["GET"]),
            ("/_sandbox/reset", "reset", ["POST"]),
            ("/_sandbox/clock", "clock", ["GET"]),
            ("/_sandbox/clock/advance", "advance", ["POST"]),
            ("/_sandbox/apps/<app_id>", "app", ["GET", "PATCH", "POST"]),
            ("/_sandbox/users", "users", ["GET", "POST"]),
            ("/_sandbox/users/<user_id>/pages", "user_pages", ["POST"]),
            ("/_sandbox/users/<user_id>/pages/<page_id>", "user_page_remove", ["DELETE"]),
            ("/_sandbox/users/<user_id>/change-password", "change_password", ["POST"]),
            ("/_sandbox/pages", "pages", ["GET", "POST"]),
            ("/_sandbox/tokens", "tokens", ["GET", "POST"]),
            ("/_sandbox/tokens/<path:token>/revoke", "revoke", ["POST"]),
            ("/_sandbox/tokens/<path:token>/expire", "expire", ["POST"]),
            ("/_sandbox/posts", "posts", ["GET"]),
            ("/_sandbox/photos", "photos", ["GET"]),
            ("/_sandbox/photos/<photo_id>.jpg", "photo_bytes", ["GET"]),
            ("/_sandbox/media/<media_id>.jpg", "media_bytes", ["GET"]),
            ("/_sandbox/pictures/<object_id>.png", "picture", ["GET"]),
            ("/_sandbox/containers", "containers", ["GET"]),
            ("/_sandbox/containers/<container_id>", "container_set", ["POST"]),
            ("/_sandbox/ig-media", "ig_media", ["GET"]),
            ("/_sandbox/comments", "comments", ["GET"]),
            ("/_sandbox/conversations", "conversations", ["GET"]),
            ("/_sandbox/requests", "requests", ["GET", "DELETE"]),
            ("/_sandbox/faults", "faults", ["GET", "POST", "DELETE"]),
            ("/_sandbox/faults/<fault_id>", "fault_remove", ["DELETE"]),
            ("/_sandbox/usage", "usage", ["GET", "POST"]),
            ("/_sandbox/limits", "limits", ["GET", "POST"]),
            ("/_sandbox/webhooks", "webhooks", ["GET"]),
            ("/_sandbox/webhooks/config", "webhook_config", ["POST"]),
            ("/_sandbox/webhooks/verify", "webhook_verify", ["POST"]),
            ("/_sandbox/webhooks/flush", "webhook_flush", ["POST"]),
            ("/_sandbox/webhooks/deliveries", "deliveries", ["GET"]),
            ("/_sandbox/webhooks/deliveries/<delivery_id>/redeliver", "redeliver", ["POST"]),
            ("/_sandbox/trigger/message", "trigger_message", ["POST"]),
            ("/_sandbox/trigger/comment", "trigger_comment", ["POST"]),
            ("/_sandbox/trigger/comment/<comment_id>", "trigger_comment_change", ["POST"]),
            ("/_sandbox/trigger/postback", "trigger_postback", ["POST"]),
            ("/_sandbox/trigger/reaction", "trigger_reaction", ["POST"]),
            ("/_sandbox/trigger/read", "trigger_read", ["POST"]),
            ("/_sandbox/trigger/mention", "trigger_mention", ["POST"]),
            ("/_sandbox/insights/<object_id>", "insights", ["GET", "POST", "DELETE"]),
            ("/_sandbox/trigger/deauthorize", "trigger_deauthorize", ["POST"]),
            ("/_sandbox/trigger/data-deletion", "trigger_data_deletion", ["POST"]),
        ]
        self.map = Map(
            [Rule(path, endpoint=name, methods=methods) for path, name, methods in rules],
            strict_slashes=False,
        )

    def __call__(self, request: Request, base_url: str) -> Response:
        adapter = self.map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
            handler: Callable[..., Any] = getattr(self, "do_" + endpoint)
            result = handler(request, **args)
        except ControlError as exc:
            return _json({"error": str(exc)}, exc.status)
        except (KeyError, ValueError) as exc:
            return _json({"error": f"{type(exc).__name__}: {exc}"}, 400)
        except HTTPException as exc:
            return _json({"error": exc.description}, exc.code or 500)
        return result if isinstance(result, Response) else _json(result)

    # -- world ----------------------------------------------------------------------------
    def do_overview(self, request: Request) -> Response:
        return Response(
            overview.render(self.world, request.host_url.rstrip("/")), mimetype="text/html"
        )

    def do_world(self, request: Request) -> dict[str, Any]:
        world = self.world
        with world.lock:
            return {
                "now": world.now(),
                "apps": [to_dict(a) for a in world.apps.values()],
                "businesses": [to_dict(b) for b in world.businesses.values()],
                "users": [to_dict(u) for u in world.users.values()],
                "pages": [to_dict(p) for p in world.pages.values()],
                "instagram_accounts": [to_dict(i) for i in world.ig_accounts.values()],
                "grants": [to_dict(g) for g in world.grants.values()],
                "tokens": [token_view(world, t) for t in world.tokens.values()],
                "posts": [to_dict(p) for p in world.posts.values()],
                "photos": [to_dict(p) for p in world.photos.values()],
                "containers": [to_dict(c) for c in world.containers.values()],
                "ig_media": [to_dict(m) for m in world.ig_media.values()],
                "comments": [to_dict(c) for c in world.comments.values()],
                "customers": [to_dict(c) for c in world.customers.values()],
                "messages": [to_dict(m) for m in world.messages],
                "conversations": [to_dict(c) for c in world.conversations.values()],
            }

    def do_reset(self, request: Request) -> dict[str, Any]:
        body = _body(request)
        world = self.world
        with world.lock:
            world.reset(empty=bool(body.get("empty", False)))
            seed_default_world(world)
        return {"success": True}

    def do_clock(self, request: Request) -> dict[str, Any]:
        return {"now": self.world.now(), "offset": self.world.clock_offset}

    def do_advance(self, request: Request) -> dict[str, Any]:
        seconds = float(_body(request).get("seconds", 0))
        if seconds < 0:
            raise ControlError("the clock only moves forward")
        self.world.advance(seconds)
        return {"now": self.world.now(), "offset": self.world.clock_offset}

    def do_app(self, request: Request, app_id: str) -> dict[str, Any]:
        app = self.world.apps.get(app_id)
        if app is None:
            raise NotFound(f"no app {app_id}")
        if request.method != "GET":
            body = _body(request)
            with self.world.lock:
                for name, value in body.items():
                    if name in ("id",) or not hasattr(app, name):
                        raise ControlError(f"unknown app field {name}")
                    setattr(app, name, value)
        return to_dict(app)

    def do_users(self, request: Request) -> Any:
        world = self.world
        if request.method == "GET":
            return [to_dict(u) for u in world.users.values()]
        body = _body(request)
        pages = body.get("pages") or {}
        if isinstance(pages, list):
            pages = {p: list(ALL_TASKS) for p in pages}
        with world.lock:
            user = User(
                id=body.get("id") or random_digits(17, "1016"),
                name=body.get("name") or "Sam Sandbox",
                email=body.get("email") or "sam@example.com",
                pages={p: list(t) for p, t in pages.items()},
                business_pages=dict(body.get("business_pages") or {}),
            )
            world.users[user.id] = user
        return to_dict(user)

    def do_user_pages(self, request: Request, user_id: str) -> dict[str, Any]:
        body = _body(request)
        with self.world.lock:
            user = self.world.users[user_id]
            page_id = body["page_id"]
            if page_id not in self.world.pages:
                raise ControlError(f"no page {page_id}")
            user.pages[page_id] = list(body.get("tasks") or ALL_TASKS)
            return to_dict(user)

    def do_user_page_remove(self, request: Request, user_id: str, page_id: str) -> dict[str, Any]:
        """The user loses their role on a Page: their Page tokens for it die with 190/492."""
        world = self.world
        with world.lock:
            user = world.users[user_id]
            user.pages.pop(page_id, None)
            user.business_pages.pop(page_id, None)
            revoked = world.revoke_tokens(492, user_id=user_id, page_id=page_id)
        return {"success": True, "revoked_tokens": revoked}

    def do_change_password(self, request: Request, user_id: str) -> dict[str, Any]:
        """Every session of the user ends: tokens fail with 190/460."""
        world = self.world
        with world.lock:
            count = world.revoke_tokens(460, user_id=user_id)
        return {"success": True, "revoked_tokens": count}

    def do_pages(self, request: Request) -> Any:
        world = self.world
        if request.method == "GET":
            return [to_dict(p) for p in world.pages.values()]
        body = _body(request)
        with world.lock:
            page = Page(
                id=body.get("id") or random_digits(15, "10"),
                name=body.get("name") or "Sandbox Bistro",
                category=body.get("category") or "Restaurant",
                business_id=body.get("business_id"),
                about=body.get("about", ""),
            )
            world.pages[page.id] = page
            ig = body.get("instagram")
            if ig:
                username = ig if isinstance(ig, str) else page.name.lower().replace(" ", "")
                page.ig_id = random_digits(17, "1784")
                world.ig_accounts[page.ig_id] = IGAccount(page.ig_id, username, page.name, page.id)
            for user_id in body.get("managers") or []:
                if page.business_id:
                    world.users[user_id].business_pages[page.id] = page.business_id
                else:
                    world.users[user_id].pages[page.id] = list(ALL_TASKS)
            return to_dict(page)

    # -- tokens ---------------------------------------------------------------------------
    def do_tokens(self, request: Request) -> Any:
        """GET lists tokens (full strings: a dev tool); POST mints one without the dialog:
        {"user_id", "scopes", "pages", "long_lived", "page_id"} (page_id → a Page token)."""
        world = self.world
        if request.method == "GET":
            return [token_view(world, t) for t in world.tokens.values()]
        body = _body(request)
        app = world.default_app()
        assert app is not None
        user = world.users[body["user_id"]]
        scopes = list(body.get("scopes") or [])
        pages = list(body.get("pages") or world.pages_of(user, with_business=True))
        with world.lock:
            grant = world.renew_grant(app.id, user.id)
            grant.scopes |= set(scopes) | {"public_profile"}
            grant.page_ids |= set(pages)
            long_lived = bool(body.get("long_lived", True))
            token = world.new_token(
                "user",
                app.id,
                user_id=user.id,
                scopes=sorted(set(scopes) | {"public_profile"}),
                page_targets=pages,
                lifetime=int(
                    body.get("lifetime")
                    or (USER_LONG_LIFETIME if long_lived else USER_SHORT_LIFETIME)
                ),
                long_lived=long_lived,
                data_access_expires_at=grant.data_access_expires_at,
            )
            if body.get("page_id"):
                token = page_token_from(world, token, body["page_id"])
        return token_view(world, token)

    def _token(self, key: str) -> Any:
        token = self.world.find_token(key)
        if token is None:
            raise NotFound(f"no token {key[:16]}")
        return token

    def do_revoke(self, request: Request, token: str) -> dict[str, Any]:
        """Revoke one token (default subcode 467, or any 190 subcode given)."""
        subcode = int(_body(request).get("subcode", 467))
        with self.world.lock:
            record = self._token(token)
            record.revoked_subcode = subcode
        return token_view(self.world, record)

    def do_expire(self, request: Request, token: str) -> dict[str, Any]:
        with self.world.lock:
            record = self._token(token)
            record.expires_at = int(self.world.now()) - 1
        return token_view(self.world, record)

    # -- content --------------------------------------------------------------------------
    def do_posts(self, request: Request) -> list[dict[str, Any]]:
        page_id = request.args.get("page_id")
        return [
            to_dict(p) for p in self.world.posts.values() if not page_id or p.page_id == page_id
        ]

    def do_photos(self, request: Request) -> list[dict[str, Any]]:
        page_id = request.args.get("page_id")
        out = []
        for photo in self.world.photos.values():
            if not page_id or photo.page_id == page_id:
                data = to_dict(photo)
                data["bytes"] = len(photo.data)
                out.append(data)
        return out

    def do_photo_bytes(self, request: Request, photo_id: str) -> Response:
        photo = self.world.photos.get(photo_id)
        if photo is None:
            raise NotFound(f"no photo {photo_id}")
        return Response(photo.data, mimetype=photo.content_type)

    def do_media_bytes(self, request: Request, media_id: str) -> Response:
        media = self.world.ig_media.get(media_id)
        if media is None or not media.data:
            raise NotFound(f"no Instagram media image {media_id}")
        return Response(media.data, mimetype="image/jpeg")

    def do_picture(self, request: Request, object_id: str) -> Response:
        world = self.world
        obj = (
            world.users.get(object_id)
            or world.pages.get(object_id)
            or world.ig_accounts.get(object_id)
        )
        label = getattr(obj, "name", "") if obj else ""
        return Response(picture_png(object_id, label), mimetype="image/png")

    def do_containers(self, request: Request) -> list[dict[str, Any]]:
        return [
            dict(to_dict(c), status_code=container_status(self.world, c)[0])
            for c in self.world.containers.values()
        ]

    def do_container_set(self, request: Request, container_id: str) -> dict[str, Any]:
        """{"status": "ERROR", "subcode": 2207026} or {"ready": true} (skip processing)."""
        body = _body(request)
        with self.world.lock:
            container = self.world.containers[container_id]
            if body.get("status") == "ERROR":
                container.forced_status = "ERROR"
                container.error_subcode = int(body.get("subcode") or 2207001)
            if body.get("ready"):
                container.ready_at = self.world.now()
            return to_dict(container)

    def do_ig_media(self, request: Request) -> list[dict[str, Any]]:
        return [to_dict(m) for m in self.world.ig_media.values()]

    def do_comments(self, request: Request) -> list[dict[str, Any]]:
        """Filters: object_id (post or IG media), parent_id, page_id, author_id."""
        filters = {
            k: request.args[k]
            for k in ("object_id", "parent_id", "page_id", "author_id")
            if request.args.get(k)
        }
        with self.world.lock:
            comments = list(self.world.comments.values())
        return [
            dict(to_dict(c), is_page=c.author_id in (c.page_id, self.world.pages[c.page_id].ig_id))
            for c in comments
            if all(getattr(c, k) == v for k, v in filters.items())
        ]

    def do_conversations(self, request: Request) -> list[dict[str, Any]]:
        """Each conversation with its messages oldest first (direction in/out). Filters:
        page_id, account_id, customer_id, platform, id."""
        world = self.world
        filters = {
            k: request.args[k]
            for k in ("page_id", "account_id", "customer_id", "platform", "id")
            if request.args.get(k)
        }
        with world.lock:
            out = []
            for conversation in world.conversations.values():
                if not all(getattr(conversation, k) == v for k, v in filters.items()):
                    continue
                customer = world.customers.get(conversation.customer_id)
                data = to_dict(conversation)
                data.pop("mids")
                data["customer_name"] = customer.name if customer else None
                data["messages"] = [
                    to_dict(world.messages_by_mid[mid]) for mid in conversation.mids
                ]
                out.append(data)
            return out

    # -- request log, faults, usage ---------------------------------------------------------
    def do_requests(self, request: Request) -> Any:
        """The Graph request log; filters: path (exact or glob on the unversioned path, or
        the raw path), method, since (seq)."""
        world = self.world
        if request.method == "DELETE":
            with world.lock:
                world.request_log.clear()
            return {"success": True}
        path = request.args.get("path")
        method = (request.args.get("method") or "").upper()
        since = int(request.args.get("since") or 0)
        out = []
        for record in list(world.request_log):
            if record["seq"] <= since or (method and record["method"] != method):
                continue
            if path and not (
                record["graph_path"] == path
                or record["path"] == path
                or fnmatchcase(record["graph_path"], path)
            ):
                continue
            out.append(record)
        return out

    def do_faults(self, request: Request) -> Any:
        world = self.world
        if request.method == "GET":
            return list(world.faults)
        if request.method == "DELETE":
            with world.lock:
                world.faults.clear()
            return {"success": True}
        try:
            return faults.add_fault(world, _body(request))
        except ValueError as exc:
            raise ControlError(str(exc)) from exc

    def do_fault_remove(self, request: Request, fault_id: str) -> dict[str, Any]:
        with self.world.lock:
            self.world.faults[:] = [f for f in self.world.faults if f["id"] != fault_id]
        return {"success": True}

    def do_usage(self, request: Request) -> dict[str, Any]:
        """GET counters; POST {"budgets": {"app": N, "user": N, "page": N, "buc": N},
        "reset": true} (budgets are calls per rolling hour that make 100 %)."""
        world = self.world
        usage = world.usage
        if request.method == "POST":
            body = _body(request)
            with world.lock:
                for name, value in (body.get("budgets") or {}).items():
                    if name not in usage.budgets:
                        raise ControlError(f"unknown budget {name}")
                    usage.budgets[name] = int(value)
                if body.get("reset"):
                    usage.calls.clear()
        now = world.now()
        return {
            "budgets": dict(usage.budgets),
            "calls": {k: len(v) for k, v in usage.calls.items()},
            "percent": {
                k: usage.percent(
                    k, k.split(":")[0] if k.split(":")[0] in usage.budgets else "buc", now
                )
                for k in list(usage.calls)
            },
        }

    def do_limits(self, request: Request) -> dict[str, Any]:
        world = self.world
        if request.method == "POST":
            body = _body(request)
            with world.lock:
                for name in ("publish_limit", "container_limit", "container_processing_seconds"):
                    if name in body:
                        setattr(world, name, type(getattr(world, name))(body[name]))
        return {
            "publish_limit": world.publish_limit,
            "container_limit": world.container_limit,
            "container_processing_seconds": world.container_processing_seconds,
        }

    # -- webhooks -----------------------------------------------------------------------------
    def do_webhooks(self, request: Request) -> dict[str, Any]:
        world = self.world
        app = world.default_app()
        return {
            "callback_url": app.callback_url if app else None,
            "verify_token": app.verify_token if app else None,
            "subscriptions": app.subscriptions if app else {},
            "options": dict(world.webhook_options),
            "auto_deliver": world.config.auto_deliver,
            "time_scale": world.config.webhook_time_scale,
            "outbox": len(world.outbox),
            "deliveries": [webhooks.public_delivery(d) for d in world.deliveries],
            "callbacks": list(world.callbacks),
        }

    def do_webhook_config(self, request: Request) -> dict[str, Any]:
        """{"callback_url", "verify_token", "app_secret", "duplicate_next", "bad_signature_next",
        "max_batch", "legacy_sha1", "auto_deliver", "time_scale", "timeout",
        "deauthorize_url", "data_deletion_url", "subscriptions": {"page": [...]}}."""
        body = _body(request)
        world = self.world
        app = world.default_app()
        assert app is not None
        with world.lock:
            for name, value in body.items():
                if name in (
                    "callback_url",
                    "verify_token",
                    "deauthorize_url",
                    "data_deletion_url",
                    "subscriptions",
                ):
                    setattr(app, name, value)
                elif name == "app_secret":
                    app.secret = value
                elif name in world.webhook_options:
                    world.webhook_options[name] = value
                elif name == "auto_deliver":
                    world.config.auto_deliver = bool(value)
                elif name == "time_scale":
                    world.config.webhook_time_scale = float(value)
                elif name == "timeout":
                    world.config.webhook_timeout = float(value)
                else:
                    raise ControlError(f"unknown webhook option {name}")
        return self.do_webhooks(request)

    def do_webhook_verify(self, request: Request) -> dict[str, Any]:
        """Run the §8 GET handshake against the configured (or given) callback URL."""
        body = _body(request)
        app = self.world.default_app()
        assert app is not None
        url = body.get("callback_url") or app.callback_url
        if not url:
            raise ControlError("no callback URL configured")
        return webhooks.handshake(
            url, body.get("verify_token") or app.verify_token, self.world.config.webhook_timeout
        )

    def do_webhook_flush(self, request: Request) -> list[dict[str, Any]]:
        """Deliver everything pending now, synchronously, and return what was attempted."""
        return webhooks.deliver_due(self.world)

    def do_deliveries(self, request: Request) -> list[dict[str, Any]]:
        return [webhooks.public_delivery(d) for d in self.world.deliveries]

    def do_redeliver(self, request: Request, delivery_id: str) -> dict[str, Any]:
        original = next((d for d in self.world.deliveries if d["id"] == delivery_id), None)
        if original is None:
            raise NotFound(f"no delivery {delivery_id}")
        return webhooks.public_delivery(webhooks.duplicate(self.world, original))

    # -- triggers -----------------------------------------------------------------------------
    def do_trigger_message(self, request: Request) -> dict[str, Any]:
        """{"page_id", "text", "platform": "messenger"|"instagram", "sender_name",
        "sender_id", "attachments": [{"type", "url"}], "quick_reply": payload,
        "reply_to_mid", "story": {"id", "url"}} (story: an IG story reply)."""
        body = {"text": "Hi! Do you have a table for two tonight?", **_body(request)}
        return customers.trigger_message(self.world, **_pick(body, customers.trigger_message))

    def do_trigger_postback(self, request: Request) -> dict[str, Any]:
        """{"page_id", "payload", "title", "platform", "sender_name", "sender_id"}."""
        body = _body(request)
        return customers.trigger_postback(self.world, **_pick(body, customers.trigger_postback))

    def do_trigger_reaction(self, request: Request) -> dict[str, Any]:
        """{"mid", "reaction": "love"|…, "action": "react"|"unreact"}: the conversation's
        customer reacts to that message; or {"object_id": post id, "reaction": "like"|"love"|…,
        "action", "author_name", "author_id"}: a customer reacts to a Page post."""
        body = _body(request)
        if "object_id" in body:
            trigger = customers.trigger_post_reaction
            return trigger(self.world, **_pick({"reaction": "like", **body}, trigger))
        return customers.trigger_reaction(self.world, **_pick(body, customers.trigger_reaction))

    def do_insights(self, request: Request, object_id: str) -> dict[str, Any]:
        """GET: a post's or IG media's current figures; POST {"views", "reach", "likes",
        "reactions", "comments", "shares", "saves", "clicks", "follows", "profile_visits",
        "not_enough_viewers": bool}: set them (absolute values); DELETE: back to the
        deterministic numbers."""
        world = self.world
        with world.lock:
            obj = world.posts.get(object_id) or world.ig_media.get(object_id)
            if obj is None:
                raise NotFound(f"no post or Instagram media {object_id}")
            if request.method == "DELETE":
                world.insight_overrides.pop(object_id, None)
            elif request.method == "POST":
                body = _body(request)
                unknown = set(body) - OVERRIDABLE
                if unknown:
                    raise ControlError(
                        f"unknown figures {sorted(unknown)}; use {sorted(OVERRIDABLE)}"
                    )
                world.insight_overrides.setdefault(object_id, {}).update(body)
            return {
                "object_id": object_id,
                "figures": object_figures(world, obj),
                "overrides": dict(world.insight_overrides.get(object_id, {})),
            }

    def do_trigger_read(self, request: Request) -> dict[str, Any]:
        """{"conversation_id"}: the customer reads the Page's messages."""
        body = _body(request)
        return customers.trigger_read(self.world, **_pick(body, customers.trigger_read))

    def do_trigger_mention(self, request: Request) -> dict[str, Any]:
        """{"ig_id", "media_id"?, "comment_id"?} (comment_id "" = a new comment id)."""
        body = _body(request)
        return customers.trigger_mention(self.world, **_pick(body, customers.trigger_mention))

    def do_trigger_comment_change(self, request: Request, comment_id: str) -> dict[str, Any]:
        """{"action": "edit", "text"} or {"action": "remove"}: the customer changes their comment."""
        body = {**_body(request), "comment_id": comment_id}
        return customers.trigger_comment_change(
            self.world, **_pick(body, customers.trigger_comment_change)
        )

    def do_trigger_comment(self, request: Request) -> dict[str, Any]:
        """{"object_id"} (post or IG media), or {"page_id"} (its latest post) or {"ig_id"}
        (its latest media); "text", "author_name", "author_id", "parent_id"."""
        body = _body(request)
        world = self.world
        object_id = body.get("object_id")
        if not object_id and body.get("page_id"):
            posts = visible_posts(world, body["page_id"])
            object_id = posts[0].id if posts else None
        if not object_id and body.get("ig_id"):
            media = ig_media_of(world, body["ig_id"])
            object_id = media[0].id if media else None
        if not object_id:
            raise ControlError("give object_id, or a page_id/ig_id that has published something")
        return customers.trigger_comment(
            world,
            object_id=object_id,
            text=body.get("text", "Looks delicious! 😍"),
            author_name=body.get("author_name", "Luca Verdi"),
            author_id=body.get("author_id"),
            parent_id=body.get("parent_id"),
        )

    def do_trigger_deauthorize(self, request: Request) -> dict[str, Any]:
        """The user removes the app: tokens revoked (190/458), signed_request POSTed now."""
        user_id = _body(request)["user_id"]
        world = self.world
        with world.lock:
            app = world.default_app()
            assert app is not None
            revoked = world.revoke_user(app.id, user_id, 458)
            record = webhooks.queue_signed_callback(world, "deauthorize", user_id)
            record["status"] = "sending"
        result = dict(webhooks.send_callback(world, record))
        result["revoked_tokens"] = revoked
        return result

    def do_trigger_data_deletion(self, request: Request) -> dict[str, Any]:
        user_id = _body(request)["user_id"]
        with self.world.lock:
            record = webhooks.queue_signed_callback(self.world, "data_deletion", user_id)
            record["status"] = "sending"
        return dict(webhooks.send_callback(self.world, record))
