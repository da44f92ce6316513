"""Log filters. `SecretMaskingFilter` is the last line of defence: code never logs tokens on
purpose, and anything that still looks like one is masked before a handler writes it.

settings.LOGGING attaches it to the console handler, so it sees every record that reaches the
output (JSON lines in production, readable lines in development). It masks the formatted message
(``%``-args included), exception tracebacks, stack info, ``extra=`` fields and dict messages.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

from gunicorn import glogging

MASK = "[masked]"

# Names whose value is a secret, in query strings, headers, JSON, reprs and key=value text.
_SECRET_NAMES = "|".join(  # names of secrets, not a secret
    [
        r"[\w.\-]*token",
        r"[\w.\-]*secret",
        "appsecret_proof",
        "password",
        "passwd",
        "api_?key",
        "secret_?key",
        "private_?key",
        "authorization",
        "signed_request",
        "x-api-key",
    ]
)
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Meta user/page tokens start with EAA.
    (re.compile(r"\bEAA[A-Za-z0-9]{20,}"), MASK),
    # App access tokens "<app id>|<app secret>" (also URL-encoded).
    (re.compile(r"\b\d{6,}(?:\||%7[Cc])[A-Za-z0-9_\-]{16,}"), MASK),
    # Bearer/Basic credentials in headers or reprs.
    (re.compile(r"(?i)\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/\-]{8,}=*"), rf"\1\2{MASK}"),
    # name=value, name: value, "name": "value", 'name': 'value'.
    (
        re.compile(
            rf"(?i)((?<![\w-])(?:{_SECRET_NAMES})[\"']?\s*[:=]\s*[\"']?)"
            r"(?!\[masked\])(?:Bearer\s+|Basic\s+)?([^\s&\"',;})\]]+)"
        ),
        rf"\1{MASK}",
    ),
    # The same names in a percent-encoded query (e.g. inside ?next=…%3Faccess_token%3D…).
    (
        re.compile(
            rf"(?i)((?:%3F|%26|[?&])(?:{_SECRET_NAMES}|code)%3D|(?:%3F|%26)(?:{_SECRET_NAMES}|code)=)"
            r"((?:(?!%26|%23)[^\s&#\"'])+)"
        ),
        rf"\1{MASK}",
    ),
    # The OAuth code only in URLs (a bare "code: 190" is a Graph error code, not a secret).
    (re.compile(r"([?&]code=)([^\s&#\"']+)"), rf"\1{MASK}"),
    # Tokens in paths: password-reset links (/password-reset/<uid>/<token>/, except Django's
    # "set-password" stand-in), sign-up confirmations (/signup/confirm/<uid>/<token>/, except
    # "confirm") and invitation links (/invitations/<token>/, except "accept").
    (re.compile(r"(/password-reset/[^/\s?#\"']+/)(?!set-password/)([^/\s?#\"']+)"), rf"\1{MASK}"),
    (re.compile(r"(/signup/confirm/[^/\s?#\"']+/)(?!confirm/)([^/\s?#\"']+)"), rf"\1{MASK}"),
    (re.compile(r"(/invitations/)(?!accept/)(?!\[masked\])([^/\s?#\"']+)"), rf"\1{MASK}"),
]
_SECRET_KEY_RE = re.compile(rf"(?i)^(?:{_SECRET_NAMES}|code)$")
# Attributes every LogRecord has; anything else came in through `extra=`.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
}


def mask_secrets(text: str) -> str:
    """Replace anything that looks like a token or secret with ``[masked]``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def mask_value(value: Any, key: str = "") -> Any:
    """Mask strings, and the whole value of secret-named keys, inside dicts/lists."""
    if key and _SECRET_KEY_RE.match(key) and value not in (None, ""):
        return MASK
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, dict):
        return {k: mask_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(mask_value(v) for v in value)
    if value is None or isinstance(value, bool | int | float):
        return value
    # Any other object (e.g. django.request's HttpRequest, whose repr holds the query string)
    # is written as its masked text, never handed to a formatter raw.
    return mask_secrets(repr(value))


class SecretMaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, dict):  # python-json-logger accepts dict messages
            record.msg = mask_value(record.msg)
        else:
            message = record.getMessage()
            masked = mask_secrets(message)
            if masked != message:
                record.msg, record.args = masked, None
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            # Formatters re-render exc_info (python-json-logger always does); keep only the
            # masked text so the traceback cannot be written unmasked.
            record.exc_info = None
        if record.exc_text:
            record.exc_text = mask_secrets(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_secrets(record.stack_info)
        for name, value in list(vars(record).items()):
            if name not in _STANDARD_ATTRS:
                setattr(record, name, mask_value(value, name))
        return True


class GunicornLogger(glogging.Logger):
    """gunicorn's logger with every access-log field and every line masked (config/gunicorn.py
    sets it): the request line, path, query string, referer and headers go through
    `mask_secrets`, and both gunicorn loggers' handlers get `SecretMaskingFilter`."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not any(isinstance(f, SecretMaskingFilter) for f in handler.filters):
                    handler.addFilter(SecretMaskingFilter())

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict[str, Any]:
        """The fields the access-log format prints, each masked. Only those: gunicorn offers
        every request and response header as a field too, and masking all of them cost more
        CPU than the rest of a webhook delivery (docs/performance.md, "Webhooks"). A field
        left out prints as "-", as gunicorn prints an unknown one."""
        atoms = super().atoms(resp, req, environ, request_time)
        masked = {}
        for key in _format_fields(self.cfg.access_log_format):
            value = atoms.get(key)
            if key == "q" and value:  # masked as a query string, then without its "?"
                masked[key] = mask_secrets(f"?{value}")[1:]
            elif isinstance(value, str):
                masked[key] = mask_secrets(value)
            elif key in atoms:
                masked[key] = value
        return masked


@functools.cache
def _format_fields(access_log_format: str) -> frozenset[str]:
    """The ``%(name)s`` fields of an access-log format; header fields (``{name}i``/``o``)
    lower-cased, as gunicorn looks them up."""
    names = re.findall(r"%\(([^)]+)\)", access_log_format)
    return frozenset(name.lower() if name.startswith("{") else name for name in names)
