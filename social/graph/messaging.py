"""Messenger / Instagram messaging and comment moderation (graph-api.md §9, docs/graph-api.md).

Plain functions: a `GraphClient` first, keyword-only values after, frozen dataclasses out; no
ORM. JSON-object parameters (``recipient``, ``message``) are sent as JSON strings in a form body,
as Meta's Send API accepts them. Every call uses the Page token (Instagram via Facebook Login
uses the linked Page's token and the Page's ``/messages`` edge).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from social.graph.transport import GraphClient

# Messenger's limit for one text message (Send API reference); Instagram's is 1,000 bytes.
MESSENGER_TEXT_LIMIT = 2000
INSTAGRAM_TEXT_LIMIT = 1000


@dataclass(frozen=True)
class Sent:
    recipient_id: str
    message_id: str


def message_send(
    client: GraphClient,
    *,
    page_id: str,
    page_token: str,
    recipient_id: str,
    text: str,
    tag: str = "",
) -> Sent:
    """``POST /{page-id}/messages`` to a PSID or IGSID: ``RESPONSE`` inside the 24-hour
    window, ``MESSAGE_TAG`` + ``tag`` (e.g. ``HUMAN_AGENT``) outside it. Out of window Meta
    answers code 10 / subcode 2018278 (`PermissionMissing`)."""
    data = {
        "recipient": json.dumps({"id": recipient_id}),
        "message": json.dumps({"text": text}),
        "messaging_type": "MESSAGE_TAG" if tag else "RESPONSE",
    }
    if tag:
        data["tag"] = tag
    body = client.request("POST", f"{page_id}/messages", token=page_token, data=data)
    return Sent(str(body.get("recipient_id") or ""), str(body.get("message_id") or ""))


def private_reply_send(
    client: GraphClient, *, page_id: str, page_token: str, comment_id: str, text: str
) -> Sent:
    """A private reply to a comment: ``recipient={"comment_id"}``; once per comment, within
    7 days of it."""
    data = {
        "recipient": json.dumps({"comment_id": comment_id}),
        "message": json.dumps({"text": text}),
    }
    body = client.request("POST", f"{page_id}/messages", token=page_token, data=data)
    return Sent(str(body.get("recipient_id") or ""), str(body.get("message_id") or ""))


def comment_reply(
    client: GraphClient, *, comment_id: str, page_token: str, text: str, instagram: bool
) -> str:
    """A public reply under a comment: Facebook ``POST /{comment}/comments``, Instagram
    ``POST /{ig-comment}/replies`` (top-level comments only). Returns the new comment's id."""
    edge = "replies" if instagram else "comments"
    body = client.request("POST", f"{comment_id}/{edge}", token=page_token, data={"message": text})
    return str(body.get("id") or "")


def comment_hide(
    client: GraphClient, *, comment_id: str, page_token: str, instagram: bool, hidden: bool = True
) -> bool:
    """``POST /{comment-id}`` with ``is_hidden`` (Facebook) or ``hide`` (Instagram)."""
    flag = "true" if hidden else "false"
    name = "hide" if instagram else "is_hidden"
    body = client.request("POST", comment_id, token=page_token, data={name: flag})
    return bool(body.get("success", True))


def customer_name(
    client: GraphClient, *, page_id: str, page_token: str, customer_id: str, instagram: bool
) -> str:
    """A customer's name (Messenger) or username (Instagram), from the participants of their
    conversation with the Page: ``GET /{page-id}/conversations?user_id=…&fields=participants``
    (``platform=instagram`` for Instagram DMs)."""
    params = {"user_id": customer_id, "fields": "participants"}
    if instagram:
        params["platform"] = "instagram"
    body = client.request("GET", f"{page_id}/conversations", token=page_token, params=params)
    for conversation in body.get("data") or []:
        participants = (conversation.get("participants") or {}).get("data") or []
        for person in participants:
            if str(person.get("id")) == customer_id:
                return str(person.get("name") or person.get("username") or "")
    return ""
