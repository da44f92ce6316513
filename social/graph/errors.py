"""Facebook's error envelope (graph-api.md §6) as a small exception hierarchy.

Callers branch on the class (or ``retryable``), show ``user_message`` to owners and log
``describe()`` for operators; no message ever contains a token (`lib.logging.mask_secrets`)."""

from __future__ import annotations

from typing import Any

from lib.logging import mask_secrets
from social.graph.usage import Usage

# graph-api.md §6: which codes mean what.
TOKEN_CODES = {102, 190, 2500}
PERMISSION_CODES = {3, 10} | set(range(200, 300))
RATE_LIMIT_CODES = {4, 17, 32, 341, 613, 80001, 80002, 80003, 80004, 80005, 80006, 80008}
TRANSIENT_CODES = {1, 2, -1, -2}
TRANSIENT_SUBCODES = {2207008}
DEFAULT_RETRY_AFTER = 300  # seconds, when Facebook gives no estimate

# graph-api.md §6 code 190 subcodes, in words an owner understands.
TOKEN_SUBCODE_WORDS = {
    458: "Tablecast was removed from the Facebook account that connected this page.",
    459: "Facebook has locked the account that connected this page (a security checkpoint).",
    460: "The password of the Facebook account that connected this page was changed.",
    463: "The Facebook login that connected this page has expired.",
    464: "The Facebook account that connected this page is not confirmed yet.",
    467: "Facebook no longer accepts this connection.",
    492: "The person who connected this page is no longer an admin of it.",
}


class GraphError(Exception):
    """A failed Graph call. ``retryable`` says whether trying again later can help."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        subcode: int | None = None,
        error_type: str = "",
        fbtrace_id: str = "",
        http_status: int | None = None,
        usage: Usage | None = None,
    ) -> None:
        self.message = mask_secrets(message or "")
        self.code = code
        self.subcode = subcode
        self.error_type = error_type
        self.fbtrace_id = fbtrace_id
        self.http_status = http_status
        self.usage = usage or Usage()
        super().__init__(self.describe())

    def describe(self) -> str:
        """For operators: the raw code and Facebook's message (token-free)."""
        codes = f"code {self.code}" if self.code is not None else "no code"
        if self.subcode:
            codes += f"/{self.subcode}"
        return f"{type(self).__name__} ({codes}): {self.message}"

    @property
    def user_message(self) -> str:
        """For restaurant owners: what happened, in plain words."""
        return "Facebook returned an error we did not expect. Please try again later."


class TokenInvalid(GraphError):
    """Code 190/102: the token is expired, revoked or otherwise dead; the owner must reconnect."""

    @property
    def user_message(self) -> str:
        return TOKEN_SUBCODE_WORDS.get(
            self.subcode or 0, "Facebook no longer accepts this connection; please reconnect."
        )


class PermissionMissing(GraphError):
    """Codes 3, 10, 200–299: a permission is missing or was removed."""

    @property
    def user_message(self) -> str:
        return "A permission Tablecast needs was not granted on Facebook."


class RateLimited(GraphError):
    """Codes 4, 17, 32, 613, 80001…: too many calls; try again after ``retry_after`` seconds."""

    retryable = True

    def __init__(self, message: str, *, retry_after: int = DEFAULT_RETRY_AFTER, **kw: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kw)

    @property
    def user_message(self) -> str:
        minutes = max(1, round(self.retry_after / 60))
        return f"Facebook is busy right now. Please try again in about {minutes} minutes."


class TransientError(GraphError):
    """Codes 1, 2, HTTP 5xx, connection errors, malformed answers: retry with backoff."""

    retryable = True

    @property
    def user_message(self) -> str:
        return "Facebook is not answering properly right now. Please try again in a minute."


class GraphTimeout(TransientError):
    """No answer in time. The call may still have taken effect at Facebook."""

    @property
    def user_message(self) -> str:
        return "Facebook took too long to answer. Please try again in a minute."


class InvalidParameter(GraphError):
    """Code 100: a bad id, a used or expired code, a bad schedule time, …"""


class DuplicatePost(GraphError):
    """Code 506: the same message was just posted."""


class UnknownGraphError(GraphError):
    """Anything else (e.g. 368 policy blocks): not retried automatically."""
