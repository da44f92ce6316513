"""The Graph API: request parsing, auth, usage metering, faults, logging and dispatch of
login/token/node endpoints (graph-api.md §2, §4, §6, §7). Publishing lives in
`sandbox.content`, messaging, comments and subscriptions in `sandbox.messaging`."""

from __future__ import annotations

import hmac
import json
import logging
import math
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from sandbox import content, inbox, insights, messaging
from sandbox.context import Ctx
from sandbox.errors import GraphError, invalid_param, not_found
from sandbox.faults import ConnectionReset, fault_error, take_fault
from sandbox.fields import EdgeList, project
from sandbox.nodes import PAGE, granted_pages, schema_for
from sandbox.params import request_params
from sandbox.reads import (
    EdgeHandler,
    check_read,
    edge_list,
    instagram_account_of,
    owner_page_id,
    resolve,
    schema_edge,
)
from sandbox.state import (
    CODE_LIFETIME,
    USER_LONG_LIFETIME,
    USER_SHORT_LIFETIME,
    Token,
    World,
    proof_state,
)
from sandbox.webhooks import queue_signed_callback

logger = logging.getLogger(__name__)

MAX_IDS = 50  # ids per multi-id read [D]
MAX_BATCH = 50  # requests per batch [D]

REDACTED_PARAMS = {
    "access_token",
    "client_secret",
    "fb_exchange_token",
    "input_token",
    "appsecret_proof",
}


def split_version(path: str) -> tuple[str, str]:
    """Any `/vNN.N/` prefix is accepted, and unversioned paths too (§ "Versions")."""
    parts = path.split("/", 2)
    if len(parts) > 1 and parts[1][:1] == "v" and parts[1][1:].replace(".", "").isdigit():
        rest = "/" + (parts[2] if len(parts) > 2 else "")
        return parts[1], rest
    return "", path or "/"


def bearer_token(request: Request) -> str | None:
    """`Authorization: Bearer <token>` or `Authorization: OAuth <token>`."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("bearer", "oauth") and value.strip():
        return value.strip()
    return None


class GraphAPI:
    """WSGI-level handler for every Graph path (anything not under /_sandbox or /dialog)."""

    def __init__(self, world: World) -> None:
        self.world = world

    def __call__(self, request: Request, base_url: str) -> Response:
        world = self.world
        version, graph_path = split_version(request.path)
        files = dict(request.files.items(multi=False))
        record: dict[str, Any] = {
            "time": world.now(),
            "method": request.method,
            "path": request.path,
            "graph_path": graph_path,
            "version": version,
            "files": {k: f.filename for k, f in files.items()},
        }
        headers: dict[str, str] = {"facebook-api-version": version or "v24.0"}
        started = time.monotonic()
        try:
            params = request_params(request)
        except GraphError as err:
            params = dict(request.args.items(multi=False))
            parse_error: GraphError | None = err
        else:
            parse_error = None
        record["params"] = {
            k: ("[redacted]" if k in REDACTED_PARAMS else v) for k, v in params.items()
        }
        token_str = params.get("access_token") or bearer_token(request)
        ctx = Ctx(world, request.method, graph_path, params, files, base_url, version, token_str)
        segments = [s for s in graph_path.split("/") if s]
        try:
            if parse_error is not None:
                raise parse_error
            world.tick()
            page_ids = self._page_ids(segments, token_str)
            fault = take_fault(
                world,
                method=request.method,
                path=graph_path,
                token_str=token_str,
                page_ids=page_ids,
            )
            if fault is not None:
                record["fault"] = fault["id"]
                special = self._apply_fault(fault, segments)
                if special is not None:
                    return special
            headers.update(self._meter(ctx, segments, page_ids))
            body = self.dispatch(ctx, segments)
            status = 200
        except GraphError as err:
            body = err.body()
            status = err.http_status or 400
            headers.update(err.headers)
            record["error_code"] = err.code
            record["error_subcode"] = err.subcode
        except ConnectionReset:
            record["status"] = "reset"
            self._finish_log(record, ctx, started)
            raise
        except Exception:  # a sandbox bug or an input it did not foresee: still Meta's envelope
            logger.exception("sandbox: %s %s failed", request.method, graph_path)
            body, status = GraphError(1).body(), 500  # "An unknown error occurred", like Meta
            record["error_code"] = 1
        record["status"] = status
        self._finish_log(record, ctx, started)
        return Response(json.dumps(body), status, headers, mimetype="application/json")

    # -- cross-cutting --------------------------------------------------------------------
    def _finish_log(self, record: dict[str, Any], ctx: Ctx, started: float) -> None:
        token = ctx.token or self.world.tokens.get(ctx.token_str or "")
        record.update(
            token_kind=token.kind if token else None,
            token_id=token.id if token else None,
            user_id=token.user_id if token else None,
            page_id=token.page_id if token else None,
            has_access_token=bool(ctx.token_str),
            proof=ctx.proof if ctx.token is not None else self._proof_state(ctx, token),
            duration_ms=round((time.monotonic() - started) * 1000, 2),
        )
        self.world.log_request(record)

    def _proof_state(self, ctx: Ctx, token: Token | None) -> str:
        """For calls that failed before authentication, still say whether the proof was right."""
        if not ctx.token_str:
            return "not_applicable"
        app = self.world.apps.get(token.app_id) if token else self.world.default_app()
        return proof_state(ctx.params.get("appsecret_proof"), app, ctx.token_str)

    def _page_ids(self, segments: list[str], token_str: str | None) -> set[str]:
        """Pages a call concerns, for fault matching by page id."""
        world = self.world
        ids: set[str] = set()
        token = world.tokens.get(token_str or "")
        if token and token.page_id:
            ids.add(token.page_id)
        if segments:
            head = segments[0]
            obj = resolve(world, head)
            if obj is not None:
                page_id = owner_page_id(world, obj)
                if page_id:
                    ids.update({page_id, head})
        return ids

    def _apply_fault(self, fault: dict[str, Any], segments: list[str]) -> Response | None:
        kind = fault["kind"]
        if kind == "error":
            raise fault_error(fault, segments[0] if segments else None)
        if kind == "delay":
            time.sleep(fault["delay"])
            return None
        if kind == "timeout":
            # Sleep past the client's timeout, then carry on: like Meta, the call may still
            # take effect, which is what makes blind retries of media_publish dangerous.
            time.sleep(fault["seconds"])
            return None
        if kind == "reset":
            raise ConnectionReset()
        # malformed_json: a 200 whose body is cut off mid-object.
        return Response('{"id": "1234567890", "success": tr', 200, mimetype="application/json")

    def _meter(self, ctx: Ctx, segments: list[str], page_ids: set[str]) -> dict[str, str]:
        """§7 usage headers and throttling: X-App-Usage for user/app tokens (codes 4, 17,
        and 32 for Page calls with a user token), X-Business-Use-Case-Usage for Page
        tokens (80001 pages, 80002 instagram, 80006 messenger)."""
        world = self.world
        token = world.tokens.get(ctx.token_str or "")
        if token is None:
            return {}
        now = world.now()
        usage = world.usage
        with world.lock:
            if token.kind in ("user", "app"):
                usage.record("app:" + token.app_id, now)
                app_pct = usage.percent("app:" + token.app_id, "app", now)
                header = {
                    "X-App-Usage": json.dumps(
                        {
                            "call_count": app_pct,
                            "total_cputime": app_pct // 4,
                            "total_time": app_pct // 3,
                        }
                    )
                }
                if app_pct > 100:
                    raise GraphError(4, headers=header)
                if token.user_id:
                    usage.record("user:" + token.user_id, now)
                    if usage.percent("user:" + token.user_id, "user", now) > 100:
                        raise GraphError(17, headers=header)
                page_id = next((p for p in page_ids if p in world.pages), None)
                if page_id:
                    usage.record("page:" + page_id, now)
                    if usage.percent("page:" + page_id, "page", now) > 100:
                        raise GraphError(32, headers=header)
                return header
            ig_id = instagram_account_of(world, resolve(world, segments[0]) if segments else None)
            if ig_id:
                buc_type, object_id, code = "instagram", ig_id, 80002
            elif segments and segments[-1] == "messages":
                buc_type, object_id, code = "messenger", token.page_id or "", 80006
            else:
                buc_type, object_id, code = "pages", token.page_id or "", 80001
            key = f"buc:{object_id}:{buc_type}"
            usage.record(key, now)
            pct = usage.percent(key, "buc", now)
            calls = usage.calls.get(key)
            regain = math.ceil((calls[0] + usage.WINDOW - now) / 60) if pct > 100 and calls else 0
            entry = {
                "type": buc_type,
                "call_count": pct,
                "total_cputime": pct // 4,
                "total_time": pct // 3,
                "estimated_time_to_regain_access": regain,
            }
            header = {"X-Business-Use-Case-Usage": json.dumps({object_id: [entry]})}
            if pct > 100:
                raise GraphError(code, headers=header)
            return header

    # -- several objects in one call ------------------------------------------------------
    def multi_ids(self, ctx: Ctx, segments: list[str]) -> dict[str, Any]:
        """`GET /?ids=a,b&fields=…` and `GET /{edge}?ids=a,b`: one answer keyed by id; any
        failing id fails the whole call, as on Meta [C]; at most 50 ids [D]."""
        ids = [str(i).strip() for i in ctx.list_param("ids") if str(i).strip()]
        if not ids:
            raise invalid_param("(#100) The parameter ids is required")
        if len(ids) > MAX_IDS:
            raise invalid_param(f"(#100) Too many IDs. Maximum: {MAX_IDS}.")
        ctx.params.pop("ids")
        return {object_id: self.dispatch(ctx, [object_id, *segments]) for object_id in ids}

    def batch(self, ctx: Ctx) -> list[dict[str, Any] | None]:
        """`POST /` with `batch=[{"method", "relative_url", "body"?, "name"?}]`: each request
        runs as its own Graph call (logged, metered, faults apply), with the outer
        access_token unless it brings one; answers `[{code, headers, body}]` in order,
        bodies as JSON text [D]. At most 50 requests [D]; JSONPath references between
        requests are not emulated."""
        calls = ctx.json_param("batch")
        if not isinstance(calls, list) or not calls:
            raise invalid_param("(#100) The parameter batch must be a non-empty JSON array")
        if len(calls) > MAX_BATCH:
            raise invalid_param(
                f"(#100) Too many requests in batch message. Maximum batch size is {MAX_BATCH}"
            )
        include_headers = ctx.flag("include_headers", True)
        out: list[dict[str, Any] | None] = []
        for call in calls:
            if not isinstance(call, dict) or not call.get("relative_url"):
                raise invalid_param("(#100) Each batch request needs a method and a relative_url")
            response = self(self._batch_request(ctx, call), ctx.base_url)
            item: dict[str, Any] = {
                "code": response.status_code,
                "body": response.get_data(as_text=True),
            }
            if include_headers:
                item["headers"] = [{"name": k, "value": v} for k, v in response.headers.items()]
            out.append(item)
        return out

    def _batch_request(self, ctx: Ctx, call: dict[str, Any]) -> Request:
        method = str(call.get("method") or "GET").upper()
        path, _, query = str(call["relative_url"]).lstrip("/").partition("?")
        args = dict(parse_qsl(query, keep_blank_values=True))
        body = dict(parse_qsl(str(call.get("body") or ""), keep_blank_values=True))
        given = args.get("access_token") or body.get("access_token")
        if not given and ctx.token_str:
            args["access_token"] = ctx.token_str
            if "appsecret_proof" in ctx.params:
                args["appsecret_proof"] = ctx.params["appsecret_proof"]
        builder = EnvironBuilder(
            path="/" + path,
            method=method,
            query_string=urlencode(args),
            data=body if method not in ("GET", "DELETE") else None,
            base_url=ctx.base_url,
        )
        try:
            return Request(builder.get_environ())
        finally:
            builder.close()

    # -- dispatch -------------------------------------------------------------------------
    def dispatch(self, ctx: Ctx, segments: list[str]) -> Any:
        if not segments and ctx.method == "POST" and "batch" in ctx.params:
            return self.batch(ctx)
        if "ids" in ctx.params and (
            len(segments) == 0 or (len(segments) == 1 and resolve(self.world, segments[0]) is None)
        ):
            return self.multi_ids(ctx, segments)
        if not segments:
            raise GraphError(
                100,
                "(#100) Unsupported get request: missing object id",
                type="GraphMethodException",
            )
        head = segments[0]
        if segments == ["oauth", "access_token"]:
            return oauth_access_token(ctx)
        if head == "debug_token":
            return debug_token(ctx)
        if head == "me":
            token = ctx.authenticate()
            if token.kind == "user" and segments[1:2] == ["permissions"]:
                return permissions(ctx, segments[2:])
            me = token.user_id if token.kind == "user" else token.page_id
            if not me:
                raise GraphError(
                    2500,
                    "An active access token must be used to query information about the current user.",
                )
            segments = [me, *segments[1:]]
            head = me
        obj = resolve(self.world, head)
        if obj is None:
            ctx.authenticate()
            raise not_found(head)
        if len(segments) == 1:
            return node(ctx, obj)
        if len(segments) == 2:
            handler = EDGES.get((type(obj).__name__, segments[1], ctx.method))
            if handler is not None:
                return handler(ctx, obj)
        if len(segments) == 3 and segments[1] == "insights" and ctx.method == "GET":
            insight = insights.INSIGHTS.get(type(obj).__name__)
            if insight is not None:  # /{id}/insights/{metric}
                return insight(ctx, obj, segments[2])
        ctx.authenticate()
        raise GraphError(
            100,
            f"(#100) Unsupported {ctx.method.lower()} request. Unknown edge '{'/'.join(segments[1:])}' on this node.",
            type="GraphMethodException",
        )


def node(ctx: Ctx, obj: Any) -> dict[str, Any]:
    """GET, DELETE and POST (update) /{id}."""
    check_read(ctx, obj)
    kind = type(obj).__name__
    if ctx.method == "DELETE":
        return content.delete_object(ctx, obj)
    if ctx.method == "POST" and kind in UPDATES:
        return UPDATES[kind](ctx, obj)
    if ctx.method != "GET":
        raise GraphError(100, "(#100) Unsupported post request.", type="GraphMethodException")
    if kind == "App":
        return {
            "id": obj.id,
            "name": obj.name,
            "link": f"https://www.facebook.com/games/?app_id={obj.id}",
        }
    return project(schema_for(obj), obj, ctx.fields(), ctx)


# -- login and tokens (§2) --------------------------------------------------------------------
def _client(ctx: Ctx, *, secret: bool = True) -> Any:
    app = ctx.world.apps.get(ctx.param("client_id") or "")
    if app is None:
        raise GraphError(101, "Error validating application. Invalid application ID.")
    if secret and not hmac.compare_digest(ctx.param("client_secret") or "", app.secret):
        raise GraphError(100, "Error validating client secret.")  # Meta's text [C]; code [U]
    return app


def oauth_access_token(ctx: Ctx) -> dict[str, Any]:
    """Code exchange (single use, same redirect_uri), fb_exchange_token, client_credentials."""
    world = ctx.world
    grant_type = ctx.param("grant_type")
    app = _client(ctx)
    if grant_type == "client_credentials":
        return {"access_token": app.app_token, "token_type": "bearer"}
    if grant_type == "fb_exchange_token":
        short = world.tokens.get(ctx.required("fb_exchange_token"))
        if short is None or short.kind != "user" or short.app_id != app.id:
            raise GraphError(190, "Invalid OAuth access token - Cannot parse access token")
        problem = world.token_problem(short)
        if problem is not None:
            raise problem  # §2: an expired token cannot be exchanged (190/463)
        with world.lock:
            token = world.new_token(
                "user",
                app.id,
                user_id=short.user_id,
                scopes=short.scopes,
                page_targets=short.page_targets,
                lifetime=USER_LONG_LIFETIME,
                long_lived=True,
                data_access_expires_at=short.data_access_expires_at,
            )
        return {
            "access_token": token.token,
            "token_type": "bearer",
            "expires_in": USER_LONG_LIFETIME,
        }
    if grant_type not in (None, "authorization_code"):
        raise invalid_param(f"(#100) Unsupported grant_type {grant_type}")
    code_str = ctx.required("code")
    redirect_uri = ctx.param("redirect_uri") or ""
    with world.lock:
        code = world.codes.get(code_str)
        if code is None or code.app_id != app.id:
            raise GraphError(100, "Invalid verification code format.")
        if code.used:
            raise GraphError(100, "This authorization code has been used.", subcode=36009)
        if world.now() > code.created_at + CODE_LIFETIME:
            raise GraphError(100, "This authorization code has expired.", subcode=36007)
        if redirect_uri != code.redirect_uri:
            raise GraphError(
                100,
                "Error validating verification code. Please make sure your redirect_uri is "
                "identical to the one you used in the OAuth dialog request",
                subcode=36008,
            )
        code.used = True
        grant = world.grants.get((app.id, code.user_id))
        if grant is None:
            raise GraphError(100, "Invalid verification code format.")
        token = world.new_token(
            "user",
            app.id,
            user_id=code.user_id,
            scopes=sorted(grant.scopes),
            page_targets=sorted(grant.page_ids),
            lifetime=USER_SHORT_LIFETIME,
            data_access_expires_at=grant.data_access_expires_at,
        )
    return {"access_token": token.token, "token_type": "bearer", "expires_in": USER_SHORT_LIFETIME}


def debug_token(ctx: Ctx) -> dict[str, Any]:
    """§2 debug_token: full shape incl. granular_scopes; invalid tokens → is_valid false +
    error. The caller uses an app token (or a token of the same app [U])."""
    world = ctx.world
    caller = ctx.authenticate()
    input_str = ctx.required("input_token")
    app = world.apps[caller.app_id]
    token = world.tokens.get(input_str)
    if token is None and input_str == app.app_token:
        token = world.app_token_record(app)
    if token is None:
        return {
            "data": {
                "error": {
                    "code": 190,
                    "message": "Invalid OAuth access token - Cannot parse access token",
                },
                "is_valid": False,
                "scopes": [],
            }
        }
    token_app = world.apps.get(token.app_id, app)
    data: dict[str, Any] = {
        "app_id": token.app_id,
        "type": token.kind.upper(),
        "application": token_app.name,
    }
    if token.kind == "app":
        data["is_valid"] = True
        return {"data": data}
    problem = world.token_problem(token)
    data.update(
        data_access_expires_at=token.data_access_expires_at,
        expires_at=token.expires_at,
        is_valid=problem is None,
        issued_at=token.issued_at,
        scopes=list(token.scopes),
        granular_scopes=world.granular_scopes(token.scopes, token.page_targets),
        user_id=token.user_id,
    )
    if token.kind == "page":
        data["profile_id"] = token.page_id
    if problem is not None:
        data["error"] = {
            "code": problem.code,
            "message": problem.message,
            "subcode": problem.subcode,
        }
        data["scopes"] = []
        data["granular_scopes"] = []
    return {"data": data}


def permissions(ctx: Ctx, rest: list[str]) -> dict[str, Any]:
    """GET /me/permissions ([U] shape: permission + status), DELETE /me/permissions
    (revokes everything, fires the deauthorize callback) and DELETE /me/permissions/{p}."""
    world = ctx.world
    token, user = ctx.user_token()
    with world.lock:
        grant = world.grants.get((token.app_id, user.id))
        if ctx.method == "GET":
            granted = sorted(set(token.scopes) | ({"public_profile"}))
            declined = sorted(grant.declined) if grant else []
            data = [{"permission": p, "status": "granted"} for p in granted]
            data += [{"permission": p, "status": "declined"} for p in declined if p not in granted]
            return {"data": data}
        if ctx.method != "DELETE":
            raise GraphError(100, "(#100) Unsupported post request.", type="GraphMethodException")
        if rest:
            scope = rest[0]
            if grant:
                grant.scopes.discard(scope)
            for t in world.tokens.values():
                if t.user_id == user.id and t.app_id == token.app_id and scope in t.scopes:
                    t.scopes.remove(scope)
            return {"success": True}
        world.revoke_user(token.app_id, user.id, 458)
        queue_signed_callback(world, "deauthorize", user.id)
    return {"success": True}


ACCOUNT_FIELDS = ["access_token", "category", "category_list", "name", "id", "tasks"]


def accounts(ctx: Ctx, user: Any) -> dict[str, Any]:
    """GET /me/accounts: paged; default fields include access_token, category, tasks (§2)."""
    check_read(ctx, user)
    pages = [ctx.world.pages[p] for p in granted_pages(ctx, user)]
    return edge_list(ctx, EdgeList(PAGE, pages, lambda p: p.id), default=ACCOUNT_FIELDS)


UPDATES: dict[str, EdgeHandler] = {
    "Post": content.update_post,
    "Comment": messaging.update_comment,
}

EDGES: dict[tuple[str, str, str], EdgeHandler] = {
    ("User", "accounts", "GET"): accounts,
    ("Page", "feed", "GET"): schema_edge("feed"),
    ("Page", "posts", "GET"): schema_edge("posts"),
    ("Page", "published_posts", "GET"): schema_edge("published_posts"),
    ("Post", "comments", "GET"): schema_edge("comments"),
    ("Comment", "comments", "GET"): schema_edge("comments"),
    ("Comment", "replies", "GET"): schema_edge("replies"),
    ("IGAccount", "media", "GET"): schema_edge("media"),
    ("IGMedia", "comments", "GET"): schema_edge("comments"),
    ("IGMedia", "children", "GET"): schema_edge("children"),
    **content.EDGES,
    **messaging.EDGES,
    **inbox.EDGES,
    **insights.EDGES,
}
