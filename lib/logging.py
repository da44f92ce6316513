"""Log filters. `SecretMaskingFilter` is the last line of defence: code never logs tokens on
purpose, and anything that still looks like one is masked before a handler writes it."""

from __future__ import annotations

import logging
import re

# Meta tokens start with EAA; app tokens are "<digits>|<secret>"; generic key=value secrets.
_PATTERNS = [
    re.compile(r"\bEAA[A-Za-z0-9]{20,}"),
    re.compile(r"\b\d{6,}\|[A-Za-z0-9_\-]{16,}"),
    re.compile(
        r"(?i)((?:access_token|client_secret|appsecret_proof|fb_exchange_token|input_token|"
        r"password|secret|api_key|authorization|code|key)[\"']?\s*[:=]\s*[\"']?(?:Bearer\s+)?)"
        r"([^\s&\"',;}]+)"
    ),
    re.compile(r"(?i)(Bearer\s+)([A-Za-z0-9._\-]{12,})"),
]
MASK = "[masked]"


def mask_secrets(text: str) -> str:
    """Replace anything that looks like a token or secret with a mask."""
    for pattern in _PATTERNS:
        if pattern.groups >= 2:
            text = pattern.sub(lambda m: m.group(1) + MASK, text)
        else:
            text = pattern.sub(MASK, text)
    return text


class SecretMaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_secrets(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_secrets(record.exc_text)
        if masked != message:
            record.msg, record.args = masked, None
        return True
