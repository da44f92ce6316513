"""Reads of the publishing engine."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from django.db.models import Count, Min, Q, QuerySet, Window
from django.db.models.functions import Coalesce

from assets.models import Asset, Rendition
from assets.selectors import rendition_url
from lib.statements import DATETIME, INT, TEXT, IdsStatement, Statement, attach
from posting.models import Post, PostMedia, Publication, PublishAttempt
from social.models import SocialAccount
from tenants.models import Tenant
from tenants.scoping import scopes_disabled
from tenants.statements import TENANT


@dataclass(frozen=True)
class Held:
    """A restaurant's held publications, in the two groups the posts list shows."""

    # The account works again: the owner picks "publish now" or a new time
    # (`posting.services.publication_publish_now`, `publication_reschedule`); soonest first.
    awaiting_choice: list[Publication]
    # The account still needs reconnecting: grouped by account (by name), soonest first in each.
    for_reconnect: list[tuple[SocialAccount, list[Publication]]]


# Held publications looked at per page (a restaurant has a handful, when one of its accounts
# broke with posts scheduled).
HELD_READ = 200
# The dashboard's "Coming up" posts and "Needs you" lines, at most.
DASHBOARD_LINES = 5


def publications_held(*, tenant: Tenant) -> Held:
    """Held publications with their posts and accounts, split by what the account needs (one
    query: most pages have none, and two queries cost twice the compiling for nothing)."""
    held = _HELD.all(tenant=tenant)
    broken = (SocialAccount.Status.NEEDS_RECONNECT, SocialAccount.Status.REVOKED)
    groups: dict[SocialAccount, list[Publication]] = {}
    for p in sorted(held, key=lambda p: p.account.name):  # stable: soonest first in each
        if p.account.status in broken:
            groups.setdefault(p.account, []).append(p)
    return Held(
        awaiting_choice=[
            p
            for p in held
            # an account moved to another restaurant is not offered
            if p.account.status in SocialAccount.WORKING_STATUSES
            and p.account.tenant_id == tenant.pk
        ],
        for_reconnect=list(groups.items()),
    )


# The posts list's and every dashboard's reads (lib/statements.py: compiled once per process).
_HELD = Statement(
    lambda tenant: (
        Publication.objects.filter(tenant=tenant, state=Publication.State.HELD)
        .select_related("post", "account")
        .order_by("next_attempt_at", "id")[:HELD_READ]
    ),
    tenant=TENANT,
)


# -- the composer ------------------------------------------------------------------------------
@dataclass(frozen=True)
class MediaItem:
    asset: Asset
    thumb_url: str
    web_url: str
    instagram_url: str
    instagram_ratio: float  # width / height of the Instagram rendition (its crop or padding)


def composer_accounts(*, tenant: Tenant) -> list[SocialAccount]:
    """The restaurant's Pages and Instagram accounts, Pages first, each with its status."""
    return _COMPOSER_ACCOUNTS.all(tenant=tenant)


# Read on every composer and posts page (lib/statements.py: compiled once per process).
_COMPOSER_ACCOUNTS = Statement(
    lambda tenant: (
        SocialAccount.objects.filter(tenant=tenant)
        .exclude(status=SocialAccount.Status.REVOKED)
        .defer("page_token", "user_token")  # never shown here: not loaded
        .order_by("kind", "name")
    ),
    tenant=TENANT,
)


def account_names(*, tenant: Tenant) -> list[tuple[str, str]]:
    """(id, name) of the accounts `composer_accounts` lists, in its order: what the posts list's
    account filter offers (one row of two columns each, not a model)."""
    return [(str(pk), name) for pk, name in _ACCOUNT_NAMES.all(tenant=tenant)]


_ACCOUNT_NAMES = Statement(
    lambda tenant: (
        SocialAccount.objects.filter(tenant=tenant)
        .exclude(status=SocialAccount.Status.REVOKED)
        .order_by("kind", "name")
        .values_list("id", "name")
    ),
    tenant=TENANT,
)


def composer_media(*, tenant: Tenant, asset_ids: Sequence[int]) -> list[MediaItem]:
    """The chosen photos in order, with the URLs the previews show (two queries)."""
    ids = [int(i) for i in asset_ids]
    unique = list(dict.fromkeys(ids))
    assets = {a.pk: a for a in _COMPOSER_ASSETS.all(tenant=tenant, ids=unique)}
    renditions: dict[tuple[int, str], Rendition] = {
        (r.asset_id, r.kind): r for r in _COMPOSER_RENDITIONS.all(tenant=tenant, ids=unique)
    }
    return _media_items(tenant, ids, assets, renditions)


def _media_items(
    tenant: Tenant,
    ids: list[int],
    assets: dict[int, Asset],
    renditions: dict[tuple[int, str], Rendition],
) -> list[MediaItem]:
    """The photos of ``ids`` found in ``assets``, in order, with their renditions' URLs."""
    items = []
    for asset_id in dict.fromkeys(ids):
        asset = assets.get(asset_id)
        if asset is None:
            continue
        urls = {}
        for kind in ("thumb", "web", "instagram"):
            rendition = renditions.get((asset_id, kind))
            urls[kind] = rendition_url(tenant=tenant, rendition=rendition) if rendition else ""
        ig = renditions.get((asset_id, "instagram"))
        ratio = ig.width / ig.height if ig and ig.height else 1.0
        items.append(MediaItem(asset, urls["thumb"], urls["web"], urls["instagram"], ratio))
    return items


# A page of the posts list, or a composer's photos (`asset_ids_of` keeps 20), in one read each
# (lib/statements.py: compiled once per process).
IDS_PER_READ = 20
_COMPOSER_ASSETS = IdsStatement(
    lambda tenant, ids: Asset.objects.filter(pk__in=ids), size=IDS_PER_READ, tenant=TENANT
)
_COMPOSER_RENDITIONS = IdsStatement(
    lambda tenant, ids: Rendition.objects.filter(asset_id__in=ids), size=IDS_PER_READ, tenant=TENANT
)


def asset_ids_of(value: str) -> list[int]:
    """Comma-separated ids as typed, ignoring anything that is not a number."""
    return [int(p) for p in str(value or "").split(",") if p.strip().isdigit()][:20]


# -- history and calendar ----------------------------------------------------------------------
@dataclass(frozen=True)
class HistoryFilters:
    state: str = ""
    account: str = ""
    network: str = ""
    start: date | None = None
    end: date | None = None
    q: str = ""


class AccountLine(NamedTuple):
    name: str
    status: str


class PublicationLine(NamedTuple):
    """A publication as a line in the posts list shows it (posting/publication_html.py), with
    the account's name and status. Plain values, not models: a page holds about 30, each with
    its account, and the model instances and their prefetch cost more than the query (docs/
    performance.md, "Pages")."""

    pk: int
    post_id: int
    network: str
    state: str
    permalink: str
    published_at: datetime | None
    last_error: str
    next_attempt_at: datetime | None
    account: AccountLine


# What a post's row in the posts list shows of it, in `PostListed`'s order (a values query).
POST_LIST_FIELDS = ("id", "text", "scheduled_at", "created_at")


@dataclass(slots=True)
class PostListed:
    """A post as its row in the posts list shows it (posting/publication_html.py, `post_row`):
    plain values, not a model (a page of 20 models with every column of a post cost more than
    its query), with its publications' lines, its first photo and its links."""

    pk: int
    text: str
    scheduled_at: datetime | None
    created_at: datetime
    publication_list: list[PublicationLine] = field(default_factory=list)
    first_asset_id: int | None = None
    url: str = ""
    thumb_url: str = ""


def posts_listed(*, tenant: Tenant, rows: Iterable[tuple[Any, ...]]) -> list[PostListed]:
    """A page of posts (``POST_LIST_FIELDS`` rows of `post_history`) with each post's
    publication lines (`PublicationLine`, by network) and first photo: two queries for a page
    of up to `LIST_PAGE` posts, each compiled once per process."""
    posts = [PostListed(*row) for row in rows]
    by_id = {post.pk: post for post in posts}
    for row in _LISTED_PUBLICATIONS.all(tenant=tenant, ids=list(by_id)):
        pk, post_id, network, state, permalink, published, error, next_at, name, status = row
        by_id[post_id].publication_list.append(
            PublicationLine(
                pk, post_id, network, state, permalink, published, error, next_at,
                AccountLine(name, status),
            )
        )  # fmt: skip
    for post_id, asset_id in _LISTED_PHOTOS.all(tenant=tenant, ids=list(by_id)):
        post = by_id[post_id]
        if post.first_asset_id is None:
            post.first_asset_id = asset_id
    return posts


# The posts list's page (posting.views.history): its posts' lines and photos in one read each.
LIST_PAGE = IDS_PER_READ


# What a `PublicationLine` is made of, in its order.
_LINE_FIELDS = (
    *("id", "post_id", "network", "state", "permalink", "published_at", "last_error"),
    *("next_attempt_at", "account__name", "account__status"),
)
_LISTED_PUBLICATIONS = IdsStatement(
    lambda tenant, ids: (
        Publication.objects.filter(post_id__in=ids)
        .order_by("network", "id")
        .values_list(*_LINE_FIELDS)
    ),
    size=LIST_PAGE,
    tenant=TENANT,
)
_LISTED_PHOTOS = IdsStatement(
    lambda tenant, ids: (
        PostMedia.objects.filter(post_id__in=ids)
        .order_by("post_id", "position")
        .values_list("post_id", "asset_id")
    ),
    size=LIST_PAGE,
    tenant=TENANT,
)


def post_history(*, tenant: Tenant, filters: HistoryFilters) -> QuerySet[Post]:
    """Posts newest first (by their time, else by creation), filtered; a page of them gets its
    publications and photos from `posts_listed` (a constant number of queries per page)."""
    posts = Post.objects.filter(tenant=tenant)
    publications = Publication.objects.filter(tenant=tenant)
    narrowed = False
    if filters.state:
        publications, narrowed = publications.filter(state=filters.state), True
    if filters.account:
        publications, narrowed = publications.filter(account__pk=filters.account), True
    if filters.network:
        publications, narrowed = publications.filter(network=filters.network), True
    if narrowed:
        posts = posts.filter(pk__in=publications.values("post_id"))
    zone = tenant.tzinfo
    if filters.start:
        start = datetime.combine(filters.start, time.min, tzinfo=zone)
        posts = posts.filter(
            Q(scheduled_at__gte=start) | Q(scheduled_at=None, created_at__gte=start)
        )
    if filters.end:
        end = datetime.combine(filters.end + timedelta(days=1), time.min, tzinfo=zone)
        posts = posts.filter(Q(scheduled_at__lt=end) | Q(scheduled_at=None, created_at__lt=end))
    if filters.q:
        posts = posts.filter(
            Q(text__icontains=filters.q)
            | Q(text_facebook__icontains=filters.q)
            | Q(text_instagram__icontains=filters.q)
        )
    return posts.annotate(when=Coalesce("scheduled_at", "created_at")).order_by("-when", "-id")


def posts_first_page(
    *, tenant: Tenant, filters: HistoryFilters
) -> tuple[list[tuple[Any, ...]], int] | None:
    """The first `LIST_PAGE` rows (``POST_LIST_FIELDS``) of `post_history` and how many posts
    it lists in all, in one query compiled once per process, when the filters are a state, a
    network, both or none (the list as it opens, and the filters its links use); None for any
    other filter (a search, an account or dates: the caller pages the queryset)."""
    if filters.q or filters.account or filters.start or filters.end:
        return None
    values = {"state": filters.state, "network": filters.network}
    given = {name: value for name, value in values.items() if value}
    rows = _FIRST_POSTS[tuple(sorted(given))].all(tenant=tenant, **given)
    # Each row carries the total (``COUNT(*) OVER ()``, as lib/pagination.py reads it).
    return [row[:-1] for row in rows], (rows[0][-1] if rows else 0)


def _first_posts(*filtered: str) -> Statement:
    def build(tenant: Tenant, state: str = "", network: str = "") -> QuerySet[Any]:
        listed = post_history(tenant=tenant, filters=HistoryFilters(state=state, network=network))
        window = listed.values_list(*POST_LIST_FIELDS).annotate(total=Window(Count("pk")))
        return window[:LIST_PAGE]

    return Statement(build, tenant=TENANT, **dict.fromkeys(filtered, TEXT))


_FIRST_POSTS: dict[tuple[str, ...], Statement] = {
    filtered: _first_posts(*filtered)
    for filtered in ((), ("state",), ("network",), ("network", "state"))
}


class ChipPublication(NamedTuple):
    state: str
    network: str


class ChipPost(NamedTuple):
    """What a post's line in the calendar or on the dashboard shows: its text and time, and its
    publications' state and network. Plain rows, not models: a month holds about a hundred
    posts and their publications, and a model instance each cost more than the rest of the
    query (docs/performance.md, "Pages")."""

    pk: int
    text: str
    scheduled_at: datetime | None  # both lists show only posts with a time
    publication_list: list[ChipPublication]


def calendar_posts(*, tenant: Tenant, start: datetime, end: datetime) -> list[ChipPost]:
    """Posts with a time inside [start, end) (UTC instants), oldest first, as chips (two
    queries, each compiled once per process)."""
    rows = _CALENDAR_POSTS.all(tenant=tenant, start=start, end=end)
    publications: dict[int, list[ChipPublication]] = {pk: [] for pk, _, _ in rows}
    if rows:
        for post_id, state, network in _CALENDAR_PUBLICATIONS.all(
            tenant=tenant, start=start, end=end
        ):
            # a post moved into the range between the two reads is not in ``rows``
            if post_id in publications:
                publications[post_id].append(ChipPublication(state, network))
    return [ChipPost(pk, text, when, publications[pk]) for pk, text, when in rows]


# Every calendar page (lib/statements.py: compiled once per process). The publications are
# those of the same range's posts: a join rather than the posts' ids (a list changes the SQL).
_CALENDAR_POSTS = Statement(
    lambda tenant, start, end: (
        Post.objects.filter(tenant=tenant, scheduled_at__gte=start, scheduled_at__lt=end)
        .order_by("scheduled_at", "id")
        .values_list("id", "text", "scheduled_at")
    ),
    tenant=TENANT,
    start=DATETIME,
    end=DATETIME,
)
_CALENDAR_PUBLICATIONS = Statement(
    lambda tenant, start, end: (
        Publication.objects.filter(
            tenant=tenant,
            # the posts' own restaurant too: their (tenant, scheduled_at) index finds the range
            post__tenant=tenant,
            post__scheduled_at__gte=start,
            post__scheduled_at__lt=end,
        )
        .order_by("network", "id")
        .values_list("post_id", "state", "network")
    ),
    tenant=TENANT,
    start=DATETIME,
    end=DATETIME,
)


def upcoming_posts(*, tenant: Tenant) -> list[ChipPost]:
    """The next posts waiting to go out (scheduled or held), soonest first, as chips (text,
    time, and each publication's state and network, as `calendar_posts` gives them): one query,
    the publications of the first `DASHBOARD_LINES` such posts with their post's text and time."""
    # The first posts are picked among the waiting publications (the (tenant, state) index),
    # grouped by post: ordering posts by time and keeping those with a waiting publication
    # made PostgreSQL walk the restaurant's whole history, oldest first, before it reached
    # the first waiting post (docs/performance.md, "Pages").
    chips: dict[int, ChipPost] = {}
    for post_id, text, when, state, network in _UPCOMING.all(tenant=tenant):
        chip = chips.setdefault(post_id, ChipPost(post_id, text, when, []))
        chip.publication_list.append(ChipPublication(state, network))
    return list(chips.values())


def _upcoming(tenant: Tenant) -> QuerySet[Publication, Any]:
    first = (
        Publication.objects.filter(
            tenant=tenant,
            state__in=(Publication.State.SCHEDULED, Publication.State.HELD),
            post__scheduled_at__isnull=False,
        )
        .values("post_id")
        .annotate(at=Min("post__scheduled_at"))
        .order_by("at", "post_id")
        .values("post_id")[:DASHBOARD_LINES]
    )
    return (
        Publication.objects.filter(tenant=tenant, post__in=first)
        .order_by("post__scheduled_at", "post_id", "network", "id")
        .values_list("post_id", "post__text", "post__scheduled_at", "state", "network")
    )


# The dashboard's two lists (lib/statements.py: compiled once per process).
_UPCOMING = Statement(_upcoming, tenant=TENANT)


class AttentionLine(NamedTuple):
    """A publication that needs the owner, as the dashboard lists it."""

    post_id: int
    network: str
    state: str
    last_error: str
    post_text: str

    @property
    def state_label(self) -> str:
        return str(Publication.State(self.state).label)


def failed_publications(*, tenant: Tenant) -> list[AttentionLine]:
    """Publications that need the owner: failed or held, newest first, with what the
    dashboard shows of them (network, state, the sentence for the owner, the post's text)."""
    return [AttentionLine(*row) for row in _ATTENTION.all(tenant=tenant)]


_ATTENTION = Statement(
    lambda tenant: (
        Publication.objects.filter(
            tenant=tenant, state__in=(Publication.State.FAILED, Publication.State.HELD)
        )
        .order_by("-updated_at")
        .values_list("post_id", "network", "state", "last_error", "post__text")[:DASHBOARD_LINES]
    ),
    tenant=TENANT,
)


@dataclass(frozen=True)
class PostPage:
    """What the post page shows of a post, read once (`post_page`)."""

    post: Post  # its publications (and their accounts) left on it as prefetch_related would
    publications: list[Publication]  # by network, with their accounts
    attempts: dict[int, list[PublishAttempt]]  # each publication's, newest first
    media: list[PostMedia]  # its photos (each with its asset) in order

    @property
    def attempt_lists(self) -> list[tuple[Publication, list[PublishAttempt]]]:
        """The publications that were tried, each with its attempts."""
        return [(p, self.attempts[p.pk]) for p in self.publications if self.attempts[p.pk]]


def post_page(*, post: Post) -> PostPage:
    """``post`` (as `posting.access.access_post` found it, its restaurant with it) with its
    publications, their attempts and its photos (three queries, two without publications; each
    compiled once). Only the publications are left on the post (analytics' figures read them
    there); the page reads the rest from plain lists, since leaving each part on its row builds
    a related manager's queryset per row (docs/performance.md, "Pages")."""
    tenant = post.tenant
    publications = _POST_PUBLICATIONS.all(tenant=tenant, post_id=post.pk)
    attempts: dict[int, list[PublishAttempt]] = {p.pk: [] for p in publications}
    if publications:
        for attempt in _POST_ATTEMPTS.all(tenant=tenant, post_id=post.pk):
            attempts[attempt.publication_id].append(attempt)
    attach(post, "publications", publications)
    media = _POST_MEDIA.all(tenant=tenant, post_id=post.pk)
    return PostPage(post, publications, attempts, media)


def post_parts_load(*, post: Post) -> Post:
    """``post`` with its publications (their accounts and attempts) and photos, as `post_page`
    reads them, loaded onto it as ``prefetch_related`` would."""
    page = post_page(post=post)
    for publication in page.publications:
        attach(publication, "attempts", page.attempts[publication.pk])
    attach(post, "media_items", page.media)
    return post


def post_live_publications(*, post: Post) -> list[Publication]:
    """``post``'s publications that are not cancelled, with their accounts (what editing it
    starts from)."""
    return _LIVE_PUBLICATIONS.all(tenant=post.tenant, post_id=post.pk)


def post_photo_ids(*, post: Post) -> list[int]:
    """``post``'s photos' ids in order (photos deleted since are left out)."""
    return _PHOTO_IDS.all(tenant=post.tenant, post_id=post.pk)


# The post page's parts and the composer's (lib/statements.py: compiled once per process).
def _of_post(rows: Callable[[int], QuerySet[Any]]) -> Statement:
    return Statement(lambda tenant, post_id: rows(post_id), tenant=TENANT, post_id=INT)


_POST_PUBLICATIONS = _of_post(
    lambda post_id: (
        Publication.objects.filter(post_id=post_id)
        .select_related("account")
        .order_by("network", "id")
    )
)
# Newest first, as the model orders them.
_POST_ATTEMPTS = _of_post(
    lambda post_id: PublishAttempt.objects.filter(publication__post_id=post_id)
)
_LIVE_PUBLICATIONS = _of_post(
    lambda post_id: (
        Publication.objects.filter(post_id=post_id)
        .exclude(state=Publication.State.CANCELLED)
        .select_related("account")
    )
)
_PHOTO_IDS = _of_post(
    lambda post_id: (
        PostMedia.objects.filter(post_id=post_id, asset_id__isnull=False)
        .order_by("position")
        .values_list("asset_id", flat=True)
    )
)
_POST_MEDIA = _of_post(
    lambda post_id: (
        PostMedia.objects.filter(post_id=post_id).order_by("position").select_related("asset")
    )
)


def ids_of_other_restaurants(
    *, tenant: Tenant, account_ids: Sequence[str], asset_ids: Sequence[int]
) -> bool:
    """Whether any of these ids names another restaurant's account or photo (two queries over
    every restaurant, deliberately unscoped: they only answer yes or no)."""
    with scopes_disabled():
        accounts = SocialAccount.objects.filter(pk__in=[a for a in account_ids if _is_uuid(a)])
        photos = Asset.objects.filter(pk__in=list(asset_ids))
        return accounts.exclude(tenant=tenant).exists() or photos.exclude(tenant=tenant).exists()


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
