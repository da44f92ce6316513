"""The sandbox's world: apps, users, pages, Instagram accounts, grants, tokens, content,
conversations, the clock and the outbox of webhook events.

One `threading.RLock` (`World.lock`) guards every mutation: the server is threaded, and the
webhook worker and scheduled-post ticks run beside request handlers.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from sandbox.config import SandboxConfig
from sandbox.errors import CATALOGUE, GraphError

USER_SHORT_LIFETIME = 3600  # graph-api.md §2: web login tokens are short-lived (~1 h)
USER_LONG_LIFETIME = 5184000  # §2: fb_exchange_token gives ~60 days
DATA_ACCESS_LIFETIME = 90 * 86400  # §3: unused permissions lapse after 90 days
CODE_LIFETIME = 600  # RFC 6749 §4.1.2 recommends ≤ 10 min; Meta's figure is [U]

# Permissions whose grant is per Page (granular_scopes target_ids are Page ids), per IG
# account, or per Business portfolio (graph-api.md §2 debug_token, §3).
PAGE_SCOPES = {
    "pages_show_list",
    "pages_manage_posts",
    "pages_read_engagement",
    "pages_manage_metadata",
    "pages_messaging",
    "pages_manage_engagement",
    "pages_read_user_content",
    "read_insights",
}
IG_SCOPES = {
    "instagram_basic",
    "instagram_content_publish",
    "instagram_manage_comments",
    "instagram_manage_messages",
    "instagram_manage_insights",
}
BUSINESS_SCOPES = {"business_management"}
ALL_TASKS = ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE", "MESSAGING"]
TABLECAST_SCOPES = [
    "pages_show_list",
    "pages_manage_posts",
    "pages_read_engagement",
    "pages_manage_metadata",
    "pages_messaging",
    "instagram_basic",
    "instagram_content_publish",
    "instagram_manage_comments",
    "instagram_manage_messages",
    "business_management",
    "read_insights",
    "instagram_manage_insights",
]


def appsecret_proof(app_secret: str, access_token: str) -> str:
    """graph-api.md §2: hex HMAC-SHA256(key=app_secret, msg=access_token)."""
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


def proof_state(proof: str | None, app: App | None, access_token: str) -> str:
    """How a call's appsecret_proof compares with the app's: missing, valid or invalid."""
    if proof is None:
        return "missing"
    valid = app is not None and hmac.compare_digest(
        proof, appsecret_proof(app.secret, access_token)
    )
    return "valid" if valid else "invalid"


def random_digits(length: int, prefix: str = "") -> str:
    """A numeric id like Meta's (no leading zero)."""
    rest = length - len(prefix)
    first = "" if prefix else secrets.choice("123456789")
    return prefix + first + "".join(secrets.choice("0123456789") for _ in range(rest - len(first)))


def to_dict(obj: Any) -> dict[str, Any]:
    """A JSON-able view of a record: sets become sorted lists, bytes are left out."""
    out: dict[str, Any] = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, bytes):
            continue
        if isinstance(value, set):
            value = sorted(value)
        elif hasattr(value, "__dataclass_fields__"):
            value = asdict(value)
        out[f.name] = value
    return out


@dataclass
class App:
    id: str
    secret: str
    name: str
    redirect_uris: list[str]
    require_proof: bool
    # Facebook Login for Business configurations: config_id -> permissions (§1).
    configs: dict[str, list[str]]
    callback_url: str | None
    verify_token: str
    deauthorize_url: str | None
    data_deletion_url: str | None
    # App-level webhook subscriptions: object ("page"/"instagram") -> fields (§8).
    subscriptions: dict[str, list[str]] = field(default_factory=dict)

    @property
    def app_token(self) -> str:
        return f"{self.id}|{self.secret}"


@dataclass
class Business:
    id: str
    name: str


@dataclass
class User:
    id: str
    name: str
    email: str
    # Pages with a direct role: page id -> tasks.
    pages: dict[str, list[str]] = field(default_factory=dict)
    # Pages reachable only through a Business portfolio: page id -> business id.
    business_pages: dict[str, str] = field(default_factory=dict)


@dataclass
class Page:
    id: str
    name: str
    category: str
    ig_id: str | None = None
    business_id: str | None = None
    about: str = ""
    followers_count: int = 0
    # Page-level webhook subscriptions: app id -> fields (§8 subscribed_apps).
    subscribed_apps: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class IGAccount:
    id: str
    username: str
    name: str
    page_id: str
    biography: str = ""
    website: str = ""
    followers_count: int = 0
    follows_count: int = 0


@dataclass
class Grant:
    """What one user granted one app (the result of the login dialog)."""

    app_id: str
    user_id: str
    scopes: set[str]
    declined: set[str]
    page_ids: set[str]
    granted_at: float
    data_access_expires_at: int


@dataclass
class Code:
    code: str
    app_id: str
    user_id: str
    redirect_uri: str
    created_at: float
    used: bool = False


@dataclass
class Token:
    id: str
    token: str
    kind: str  # "user" | "page" | "app"
    app_id: str
    user_id: str | None
    page_id: str | None
    scopes: list[str]
    page_targets: list[str]
    issued_at: int
    expires_at: int  # 0 = never (§2 debug_token)
    data_access_expires_at: int
    long_lived: bool = False
    parent_id: str | None = None
    revoked_subcode: int | None = None


@dataclass
class Photo:
    id: str
    page_id: str
    caption: str
    published: bool
    created_time: int
    width: int
    height: int
    content_type: str
    post_id: str | None = None
    source_url: str | None = None
    data: bytes = b""


@dataclass
class Post:
    id: str  # "{page-id}_{post-id}" (§5)
    page_id: str
    message: str
    kind: str  # "status" | "photo"
    published: bool
    created_time: int
    link: str | None = None
    scheduled_publish_time: int | None = None
    photo_ids: list[str] = field(default_factory=list)
    deleted: bool = False
    from_app: bool = True
    updated_time: int | None = None
    reactions: dict[str, str] = field(default_factory=dict)  # person id -> LIKE, LOVE, …


@dataclass
class Container:
    id: str
    ig_id: str
    media_type: str  # IMAGE | CAROUSEL | REELS | STORIES
    caption: str
    created_at: float
    ready_at: float
    image_url: str | None = None
    is_carousel_item: bool = False
    children: list[str] = field(default_factory=list)
    forced_status: str | None = None  # "ERROR" set through the control API
    error_subcode: int | None = None
    published_media_id: str | None = None
    width: int = 0
    height: int = 0
    data: bytes = b""


@dataclass
class IGMedia:
    id: str
    ig_id: str
    caption: str
    media_type: str
    timestamp: int
    container_id: str
    children: list[str] = field(default_factory=list)
    data: bytes = b""


@dataclass
class Comment:
    id: str
    platform: str  # "facebook" | "instagram"
    page_id: str  # owning Page (for IG: the Page linked to the IG account)
    object_id: str  # post id or IG media id
    author_id: str
    author_name: str
    message: str
    created_time: int
    parent_id: str | None = None
    private_replied: bool = False
    hidden: bool = False
    like_count: int = 0
    updated_time: int | None = None


@dataclass
class Customer:
    """Someone who messages or comments: PSID for Messenger, IGSID for Instagram."""

    id: str
    name: str
    platform: str
    account_id: str  # Page id or IG account id the scoped id belongs to


@dataclass
class Message:
    mid: str
    account_id: str
    customer_id: str
    platform: str
    direction: str  # "in" | "out"
    text: str
    timestamp: int  # ms
    tag: str | None = None
    comment_id: str | None = None
    page_id: str = ""  # the Page the conversation belongs to (IG: the linked Page)
    kind: str = "message"  # "message" | "postback"
    attachments: list[dict[str, Any]] = field(default_factory=list)  # {"type", "url"}
    quick_reply: str | None = None  # the quick reply's payload
    reply_to: dict[str, Any] | None = None  # {"mid"} or {"story": {"id", "url"}}
    postback: dict[str, Any] | None = None  # {"title", "payload"}
    reactions: dict[str, str] = field(default_factory=dict)  # person id -> reaction


@dataclass
class Conversation:
    """A Page's (or its IG account's) thread with one customer (`GET /{page}/conversations`)."""

    id: str
    page_id: str
    account_id: str  # Page id or IG account id
    customer_id: str
    platform: str  # "messenger" | "instagram"
    read_watermark: int = 0  # ms: the customer has read everything sent before this
    updated_ms: int = 0  # the last message's timestamp
    mids: list[str] = field(default_factory=list)  # its messages, oldest first


class Usage:
    """Rolling-hour call counters behind X-App-Usage / X-Business-Use-Case-Usage (§7)."""

    WINDOW = 3600.0

    def __init__(self) -> None:
        self.calls: dict[str, deque[float]] = {}
        # Calls per rolling hour that make 100 %; configurable through the control API.
        self.budgets: dict[str, int] = {"app": 20000, "user": 20000, "page": 20000, "buc": 20000}

    def record(self, key: str, now: float) -> None:
        calls = self.calls.setdefault(key, deque())
        calls.append(now)
        self._prune(calls, now)

    def percent(self, key: str, budget: str, now: float) -> int:
        calls = self.calls.get(key)
        if not calls:
            return 0
        self._prune(calls, now)
        return len(calls) * 100 // max(self.budgets[budget], 1)

    def _prune(self, calls: deque[float], now: float) -> None:
        while calls and calls[0] <= now - self.WINDOW:
            calls.popleft()


class World:
    """All sandbox state. Methods that mutate must be called with `lock` held."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.clock_offset = 0.0
        self.apps: dict[str, App] = {}
        self.businesses: dict[str, Business] = {}
        self.users: dict[str, User] = {}
        self.pages: dict[str, Page] = {}
        self.ig_accounts: dict[str, IGAccount] = {}
        self.grants: dict[tuple[str, str], Grant] = {}
        self.codes: dict[str, Code] = {}
        self.tokens: dict[str, Token] = {}  # token string -> Token
        self.tokens_by_id: dict[str, Token] = {}
        self.posts: dict[str, Post] = {}
        # Indexes kept by sandbox.content, so a Graph call costs the same with 10 or 10,000
        # posts: each Page's app-made posts in creation order (the duplicate-message check),
        # and the posts waiting for their scheduled_publish_time (tick).
        self.app_posts_by_page: dict[str, list[str]] = {}
        self.scheduled_post_ids: set[str] = set()
        self.photos: dict[str, Photo] = {}
        self.containers: dict[str, Container] = {}
        self.ig_media: dict[str, IGMedia] = {}
        self.comments: dict[str, Comment] = {}
        self.customers: dict[str, Customer] = {}
        self.messages: list[Message] = []
        self.messages_by_mid: dict[str, Message] = {}
        self.conversations: dict[str, Conversation] = {}
        # @-mentions of an IG account by others: media or comment id -> what they wrote.
        self.mentions: dict[str, dict[str, Any]] = {}
        # Figures set through the control API: object id -> {"views": …, "reach": …, …}.
        self.insight_overrides: dict[str, dict[str, Any]] = {}
        self.usage = Usage()
        self.publish_limit = 50  # §5: 50 posts per moving 24 h (read from the limit endpoint)
        self.container_limit = 400  # §5: 400 containers per rolling 24 h
        self.container_processing_seconds = config.container_processing_seconds
        # Webhook events waiting to be batched into deliveries (see sandbox.webhooks).
        self.outbox: list[dict[str, Any]] = []
        self.deliveries: list[dict[str, Any]] = []
        self.callbacks: list[dict[str, Any]] = []  # deauthorize / data-deletion POSTs
        self.request_log: list[dict[str, Any]] = []
        self.faults: list[dict[str, Any]] = []
        self.webhook_options: dict[str, Any] = {
            "duplicate_next": 0,
            "bad_signature_next": 0,
            "max_batch": 1000,
            "legacy_sha1": True,
        }

    def reset(self, *, empty: bool = False) -> None:
        """Forget everything (the caller re-seeds); keeps the lock and the clock offset."""
        with self.lock:
            lock, offset = self.lock, self.clock_offset
            self.config.empty_world = empty
            self.__init__(self.config)  # type: ignore[misc]
            self.lock, self.clock_offset = lock, offset

    # -- clock ------------------------------------------------------------------------
    def now(self) -> float:
        """Sandbox time: real time plus what the control API advanced (no sleeping)."""
        return time.time() + self.clock_offset

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.clock_offset += seconds
            self.tick()

    def tick(self) -> None:
        """Let time-driven things happen: scheduled posts going live (§5)."""
        with self.lock:
            now = self.now()
            for post_id in list(self.scheduled_post_ids):
                post = self.posts.get(post_id)
                due = post.scheduled_publish_time if post is not None else None
                if post is None or post.published or post.deleted or not due:
                    self.scheduled_post_ids.discard(post_id)
                elif due <= now:
                    self.scheduled_post_ids.discard(post_id)
                    post.published = True
                    post.created_time = due
                    self.emit_feed(post.page_id, self.feed_value(post, "add"))

    # -- ids and tokens -----------------------------------------------------------------
    def new_token(
        self,
        kind: str,
        app_id: str,
        *,
        user_id: str | None = None,
        page_id: str | None = None,
        scopes: list[str] | None = None,
        page_targets: list[str] | None = None,
        lifetime: int | None = None,
        long_lived: bool = False,
        parent_id: str | None = None,
        data_access_expires_at: int = 0,
    ) -> Token:
        """Mint an opaque token; the prefix shows its kind ("EAA" like Meta's)."""
        prefix = {"user": "EAASbU" + ("L" if long_lived else "S"), "page": "EAASbPG"}[kind]
        token_str = prefix + secrets.token_urlsafe(90).replace("-", "A").replace("_", "z")
        now = int(self.now())
        token = Token(
            id="tok" + secrets.token_hex(6),
            token=token_str,
            kind=kind,
            app_id=app_id,
            user_id=user_id,
            page_id=page_id,
            scopes=list(scopes or []),
            page_targets=list(page_targets or []),
            issued_at=now,
            expires_at=now + lifetime if lifetime else 0,
            data_access_expires_at=data_access_expires_at,
            long_lived=long_lived,
            parent_id=parent_id,
        )
        self.tokens[token_str] = token
        self.tokens_by_id[token.id] = token
        return token

    def app_token_record(self, app: App) -> Token:
        """App tokens are `{id}|{secret}` (§2); registered lazily so the log can name them."""
        token = self.tokens.get(app.app_token)
        if token is None:
            token = Token(
                id="tokapp" + app.id,
                token=app.app_token,
                kind="app",
                app_id=app.id,
                user_id=None,
                page_id=None,
                scopes=[],
                page_targets=[],
                issued_at=int(self.now()),
                expires_at=0,
                data_access_expires_at=0,
            )
            self.tokens[token.token] = token
            self.tokens_by_id[token.id] = token
        return token

    def find_token(self, token_or_id: str) -> Token | None:
        return self.tokens.get(token_or_id) or self.tokens_by_id.get(token_or_id)

    def token_problem(self, token: Token) -> GraphError | None:
        """Why a token cannot be used (§6 code 190 subcodes), or None if it is valid."""
        if token.revoked_subcode is not None:
            return GraphError(
                190,
                subcode=token.revoked_subcode,
                message=_token_message(token.revoked_subcode, token.app_id),
            )
        if token.expires_at and token.expires_at <= self.now():
            when = time.strftime("%A, %d-%b-%y %H:%M:%S UTC", time.gmtime(token.expires_at))
            current = time.strftime("%A, %d-%b-%y %H:%M:%S UTC", time.gmtime(self.now()))
            return GraphError(
                190,
                subcode=463,
                message=f"Error validating access token: Session has expired on {when}. "
                f"The current time is {current}.",
            )
        return None

    def renew_grant(self, app_id: str, user_id: str) -> Grant:
        """The user's grant to the app (created empty if new), its data access renewed (§3)."""
        grant = self.grants.get((app_id, user_id))
        if grant is None:
            grant = Grant(app_id, user_id, set(), set(), set(), self.now(), 0)
            self.grants[(app_id, user_id)] = grant
        grant.data_access_expires_at = int(self.now()) + DATA_ACCESS_LIFETIME
        return grant

    def revoke_user(self, app_id: str, user_id: str, subcode: int = 458) -> int:
        """Revoke a user's grant and every token derived from it; returns how many."""
        self.grants.pop((app_id, user_id), None)
        return self.revoke_tokens(subcode, user_id=user_id, app_id=app_id)

    def revoke_tokens(
        self, subcode: int, *, user_id: str, app_id: str | None = None, page_id: str | None = None
    ) -> int:
        """Kill the user's still-valid user and Page tokens (of one app / one Page if given)
        with a 190 subcode; returns how many."""
        count = 0
        for token in self.tokens.values():
            if token.kind == "app" or token.user_id != user_id or token.revoked_subcode is not None:
                continue
            if (app_id is not None and token.app_id != app_id) or (
                page_id is not None and token.page_id != page_id
            ):
                continue
            token.revoked_subcode = subcode
            count += 1
        return count

    # -- access ---------------------------------------------------------------------------
    def pages_of(self, user: User, *, with_business: bool) -> list[str]:
        """Pages the user can manage; Business-portfolio ones only with business_management."""
        ids = list(user.pages)
        if with_business:
            ids += [pid for pid in user.business_pages if pid not in user.pages]
        return ids

    def tasks_of(self, user: User, page_id: str) -> list[str]:
        if page_id in user.pages:
            return list(user.pages[page_id])
        return list(ALL_TASKS) if page_id in user.business_pages else []

    def granular_scopes(self, scopes: list[str], page_targets: list[str]) -> list[dict[str, Any]]:
        """debug_token's granular_scopes: target ids for Page/IG/Business permissions (§2)."""
        out: list[dict[str, Any]] = []
        for scope in scopes:
            if scope in PAGE_SCOPES:
                out.append({"scope": scope, "target_ids": list(page_targets)})
            elif scope in IG_SCOPES:
                igs = [self.pages[p].ig_id for p in page_targets if p in self.pages]
                out.append({"scope": scope, "target_ids": [i for i in igs if i]})
            elif scope in BUSINESS_SCOPES:
                businesses = {self.pages[p].business_id for p in page_targets if p in self.pages}
                out.append({"scope": scope, "target_ids": sorted(b for b in businesses if b)})
            else:
                out.append({"scope": scope})
        return out

    # -- webhook events -------------------------------------------------------------------
    def page_subscribed(self, page_id: str, object_type: str, field_name: str) -> bool:
        """§8: only fields subscribed at app AND page level are delivered. For Instagram
        events the page-level condition is that the linked Page has the app subscribed
        (any field) [U]."""
        app = self.default_app()
        if app is None or field_name not in app.subscriptions.get(object_type, []):
            return False
        page = self.pages.get(page_id)
        if page is None or app.id not in page.subscribed_apps:
            return False
        if object_type == "instagram":
            return True
        return field_name in page.subscribed_apps[app.id]

    def emit(
        self,
        object_type: str,
        entry_id: str,
        page_id: str,
        field_name: str,
        value: dict[str, Any],
        *,
        messaging: bool = False,
    ) -> bool:
        """Queue one webhook update if subscribed; returns whether it was queued."""
        if not self.page_subscribed(page_id, object_type, field_name):
            return False
        self.outbox.append(
            {
                "object": object_type,
                "entry_id": entry_id,
                "field": field_name,
                "value": value,
                "messaging": messaging,
                "time": self.now(),
            }
        )
        return True

    def emit_feed(self, page_id: str, value: dict[str, Any]) -> bool:
        return self.emit("page", page_id, page_id, "feed", value)

    def feed_value(self, post: Post, verb: str) -> dict[str, Any]:
        """A `feed` change value for a Page's own post (§8, [C] real payloads)."""
        page = self.pages[post.page_id]
        value: dict[str, Any] = {
            "from": {"id": page.id, "name": page.name},
            "item": post.kind,
            "post_id": post.id,
            "verb": verb,
            "created_time": int(post.created_time),
            "published": 1 if post.published else 0,
        }
        if post.message:
            value["message"] = post.message
        if post.kind == "photo" and post.photo_ids:
            value["photo_id"] = post.photo_ids[0]
            value["link"] = f"/_sandbox/photos/{post.photo_ids[0]}.jpg"
        if post.link:
            value["link"] = post.link
        return value

    def default_app(self) -> App | None:
        return self.apps.get(self.config.app_id) or next(iter(self.apps.values()), None)

    # -- messages -------------------------------------------------------------------------
    def add_message(self, message: Message) -> Conversation:
        """Store a message in its conversation (created on the first message)."""
        self.messages.append(message)
        self.messages_by_mid[message.mid] = message
        conversation = self.conversation_of(message.account_id, message.customer_id)
        conversation.mids.append(message.mid)
        conversation.updated_ms = max(conversation.updated_ms, message.timestamp)
        return conversation

    def conversation_of(self, account_id: str, customer_id: str) -> Conversation:
        digest = hashlib.sha256(f"{account_id}:{customer_id}".encode()).hexdigest()
        conversation_id = "t_" + str(int(digest[:15], 16))
        conversation = self.conversations.get(conversation_id)
        if conversation is None:
            customer = self.customers[customer_id]
            ig = self.ig_accounts.get(account_id)
            conversation = Conversation(
                conversation_id,
                ig.page_id if ig else account_id,
                account_id,
                customer_id,
                customer.platform,
            )
            self.conversations[conversation_id] = conversation
        return conversation

    # -- log ------------------------------------------------------------------------------
    def log_request(self, record: dict[str, Any]) -> None:
        with self.lock:
            record["seq"] = len(self.request_log) + 1
            self.request_log.append(record)


def _token_message(subcode: int, app_id: str) -> str:
    entry = CATALOGUE.get((190, subcode)) or CATALOGUE[(190, None)]
    return entry[1].format(app_id=app_id)
