"""Meta's error envelope and the catalogue of errors the sandbox can raise or inject.

graph-api.md §6: `{"error": {"message", "type", "code", "error_subcode", "error_user_title",
"error_user_msg", "fbtrace_id"}}`, HTTP 400 except codes 1 and 2 (HTTP 500 here), and
`is_transient` on Instagram errors.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field

# (code, subcode) -> (type, message, is_instagram). Messages are Meta's where known ([C] in
# graph-api.md); the others are plausible texts, since clients must branch on codes only.
CATALOGUE: dict[tuple[int, int | None], tuple[str, str, bool]] = {
    (1, None): ("OAuthException", "An unknown error occurred", False),
    (2, None): (
        "OAuthException",
        "An unexpected error has occurred. Please retry your request later.",
        False,
    ),
    (4, None): ("OAuthException", "(#4) Application request limit reached", False),
    (10, None): (
        "OAuthException",
        "(#10) Application does not have permission for this action",
        False,
    ),
    (10, 2018278): (
        "OAuthException",
        "(#10) This message is sent outside of allowed window.",
        False,
    ),
    (17, None): ("OAuthException", "(#17) User request limit reached", False),
    (32, None): ("OAuthException", "(#32) Page request limit reached", False),
    (100, None): ("OAuthException", "(#100) Invalid parameter", False),
    (190, None): (
        "OAuthException",
        "Invalid OAuth access token - Cannot parse access token",
        False,
    ),
    (190, 458): (
        "OAuthException",
        "Error validating access token: The user has not authorized application {app_id}.",
        False,
    ),
    (190, 459): (
        "OAuthException",
        "Error validating access token: You cannot access the app till you log in to www.facebook.com and follow the instructions given.",
        False,
    ),
    (190, 460): (
        "OAuthException",
        "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.",
        False,
    ),
    (190, 463): ("OAuthException", "Error validating access token: Session has expired.", False),
    (190, 464): (
        "OAuthException",
        "Error validating access token: Sessions for the user are not allowed because the user is not a confirmed user.",
        False,
    ),
    (190, 467): (
        "OAuthException",
        "Error validating access token: The access token is invalid.",
        False,
    ),
    (190, 492): (
        "OAuthException",
        "Error validating access token: The user is not an admin of the page.",
        False,
    ),
    (200, None): ("OAuthException", "(#200) Permissions error", False),
    (368, None): (
        "OAuthException",
        "It looks like you were misusing this feature by going too fast. You've been temporarily blocked from using it.",
        False,
    ),
    (506, None): ("OAuthException", "(#506) Duplicate status message", False),
    (613, None): (
        "OAuthException",
        "(#613) Calls to this api have exceeded the rate limit.",
        False,
    ),
    (80001, None): (
        "OAuthException",
        "There have been too many calls to this Page account. Wait a bit and try again.",
        False,
    ),
    (80002, None): (
        "OAuthException",
        "There have been too many calls to this Instagram account. Wait a bit and try again.",
        True,
    ),
    (80006, None): (
        "OAuthException",
        "There have been too many messaging requests to this Page. Wait a bit and try again.",
        False,
    ),
    (-1, 2207001): (
        "IGApiException",
        "An unexpected error has occurred. Please retry your request later.",
        True,
    ),
    (-2, 2207003): (
        "IGApiException",
        "The media could not be downloaded: download timed out.",
        True,
    ),
    (-2, 2207020): (
        "IGApiException",
        "The media you are trying to access has expired. Please try again.",
        True,
    ),
    (4, 2207051): (
        "IGApiException",
        "We restrict certain activity to protect our community.",
        True,
    ),
    (9, 2207042): (
        "IGApiException",
        "Application request limit reached: the publishing limit of this account has been reached.",
        True,
    ),
    (24, 2207006): ("IGApiException", "The media with the given ID could not be found.", True),
    (24, 2207008): (
        "IGApiException",
        "The media builder with the given ID has expired. Please try again.",
        True,
    ),
    (100, 2207023): ("IGApiException", "The media type is unknown.", True),
    (100, 2207028): (
        "IGApiException",
        "Your post won't be published: a carousel needs 2 to 10 photos or videos.",
        True,
    ),
    (100, 2207040): ("IGApiException", "Cannot use more than 20 @-tags in a caption.", True),
    (9004, 2207052): ("IGApiException", "The media could not be fetched from this URI.", True),
    (9007, 2207027): (
        "IGApiException",
        "The media is not ready for publishing, please wait for a moment.",
        True,
    ),
    (36000, 2207004): ("IGApiException", "The image size is too large (8 MiB at most).", True),
    (36001, 2207005): ("IGApiException", "The image format is not supported: only JPEG.", True),
    (36003, 2207009): ("IGApiException", "The aspect ratio is not supported.", True),
    (36004, 2207010): ("IGApiException", "The caption is too long or has too many hashtags.", True),
}

# Which codes are transient for `is_transient` (graph-api.md §6 retry policy).
TRANSIENT_CODES = {1, 2, 4, 17, 32, 341, 613, 80001, 80002, 80006, -1, -2}


def fbtrace_id() -> str:
    """Meta's trace ids look like 11 random base62-ish characters."""
    alphabet = string.ascii_letters + string.digits
    return "A" + "".join(secrets.choice(alphabet) for _ in range(22))


@dataclass
class GraphError(Exception):
    """A Graph API error, rendered as Meta's envelope (graph-api.md §6)."""

    code: int
    message: str | None = None
    subcode: int | None = None
    type: str | None = None
    user_title: str | None = None
    user_msg: str | None = None
    is_transient: bool | None = None
    http_status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    instagram: bool | None = None

    def __post_init__(self) -> None:
        known = CATALOGUE.get((self.code, self.subcode)) or CATALOGUE.get((self.code, None))
        if known is not None:
            if self.type is None:
                self.type = known[0]
            if self.message is None:
                self.message = known[1]
            if self.instagram is None:
                self.instagram = known[2]
        self.type = self.type or "OAuthException"
        self.message = self.message or f"(#{self.code}) Error"
        if self.instagram is None:
            self.instagram = bool(self.subcode and 2207000 <= self.subcode < 2208000)
        if self.http_status is None:
            # Codes 1/2 are server-side failures; everything else is reported as HTTP 400.
            self.http_status = 500 if self.code in (1, 2) else 400
        super().__init__(self.message)

    def body(self) -> dict[str, object]:
        """The JSON body: Meta's envelope with a fresh `fbtrace_id`."""
        error: dict[str, object] = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.instagram or self.is_transient is not None:
            transient = self.is_transient
            if transient is None:
                transient = self.code in TRANSIENT_CODES or self.subcode == 2207008
            error["is_transient"] = transient
        if self.user_title:
            error["error_user_title"] = self.user_title
        if self.user_msg:
            error["error_user_msg"] = self.user_msg
        error["fbtrace_id"] = fbtrace_id()
        return {"error": error}


def not_found(object_id: str) -> GraphError:
    """The classic "Unsupported get request" error for unknown or unreachable ids."""
    return GraphError(
        100,
        f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation. Please read "
        "the Graph API documentation at https://developers.facebook.com/docs/graph-api",
        subcode=33,
        type="GraphMethodException",
    )


def invalid_param(message: str, subcode: int | None = None) -> GraphError:
    """Code 100 with a specific message."""
    return GraphError(100, message, subcode=subcode)


def permission_error(message: str = "(#200) Permissions error") -> GraphError:
    """Code 200: a permission is missing or was declined/revoked."""
    return GraphError(200, message)
