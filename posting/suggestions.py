"""Photo suggestions for a post: the restaurant's ready photos ranked for a post type and the
owner's notes, each with a one-line reason ("Dishes · tagged risotto · not posted for 41 days").

The rule set, strongest first: the photo sits in (or under) the folder that suits the post type
(`posting.ai.POST_TYPES[...].folders`); its tags and title share words with the notes; it has not
been posted for the longest time (never posted counts as longest); its shape is already
Instagram-ready (4:5 to 1.91:1, no crop or padding needed); and, once analytics has scored it,
photos that earned more engagement per post come first (`scores`).

Three queries whatever the library's size: the folders, the ready assets, their tags.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch
from django.utils import timezone

from assets.models import Asset, Folder, Tag
from posting.ai import POST_TYPES
from tenants.models import Tenant

SUGGESTION_COUNT = 5
INSTAGRAM_RATIO = (0.8, 1.91)
_STOP = {"the", "and", "for", "with", "our", "your", "this", "that", "tonight", "today", "new"}


@dataclass(frozen=True)
class Suggestion:
    asset: Asset
    reason: str
    score: float


def _words(text: str) -> set[str]:
    words = {w for w in re.findall(r"[^\W\d_]{3,}", text.lower()) if w not in _STOP}
    return words | {w[:-1] for w in words if w.endswith("s") and len(w) > 3}


def _days_since(moment: datetime | None, now: datetime) -> int | None:
    return None if moment is None else max(0, (now - moment).days)


def _posted_words(days: int | None) -> str:
    if days is None:
        return "never posted"
    if days == 0:
        return "posted today"
    return "posted yesterday" if days == 1 else f"not posted for {days} days"


def asset_suggestions(
    *,
    tenant: Tenant,
    post_type: str,
    notes: str = "",
    scores: Mapping[int, float] | None = None,
    limit: int = SUGGESTION_COUNT,
) -> list[Suggestion]:
    """The best `limit` ready photos of `tenant` for this post, best first."""
    kind = POST_TYPES.get(post_type)
    wanted_folders = {name.lower() for name in kind.folders} if kind else set()
    folders = {
        f.pk: f for f in Folder.objects.filter(tenant=tenant).only("id", "name", "parent_id")
    }

    def suitable_folder(folder_id: int | None) -> str | None:
        seen = set()
        while folder_id is not None and folder_id in folders and folder_id not in seen:
            seen.add(folder_id)
            folder = folders[folder_id]
            if folder.name.lower() in wanted_folders:
                return folder.name
            folder_id = folder.parent_id
        return None

    note_words = _words(notes)
    scores = scores or {}
    now = timezone.now()
    assets = (
        Asset.objects.filter(tenant=tenant, status=Asset.Status.READY)
        .only("id", "title", "folder_id", "width", "height", "last_posted_at", "created_at")
        .prefetch_related(
            Prefetch("tags", queryset=Tag.objects.only("id", "name"), to_attr="tag_list")
        )
    )
    ranked = []
    for asset in assets:
        folder = suitable_folder(asset.folder_id)
        tags = {t.name.lower() for t in asset.tag_list}
        tag_hits = sorted(w for w in note_words if w in tags or any(w in _words(t) for t in tags))
        title_hits = sorted(w for w in note_words & _words(asset.title) if w not in tag_hits)
        days = _days_since(asset.last_posted_at, now)
        ratio = asset.width / asset.height if asset.height else 0
        instagram_ready = INSTAGRAM_RATIO[0] <= ratio <= INSTAGRAM_RATIO[1]
        engagement = scores.get(asset.pk)
        score = (
            (4.0 if folder else 0.0)
            + 2.0 * min(len(tag_hits) + len(title_hits), 3)
            + (3.0 if days is None else min(days, 90) / 30)
            + (1.0 if instagram_ready else 0.0)
            + (2.0 * engagement if engagement else 0.0)
        )
        reason = [folder] if folder else []
        if tag_hits:
            reason.append("tagged " + ", ".join(tag_hits[:3]))
        if title_hits:
            reason.append("title mentions " + ", ".join(title_hits[:3]))
        reason.append(_posted_words(days))
        if engagement:
            reason.append("did well before")
        if not instagram_ready:
            reason.append("will be cropped for Instagram")
        ranked.append(Suggestion(asset, " · ".join(reason), round(score, 3)))
    ranked.sort(key=lambda s: (-s.score, -s.asset.created_at.timestamp(), -s.asset.pk))
    return ranked[:limit]
