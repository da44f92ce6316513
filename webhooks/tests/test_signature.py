"""`webhooks.receive.signature_valid`, the X-Hub-Signature-256 check, on its own: each way a
header can be wrong is refused, each way Meta may spell a right one is accepted
(docs/mutation.md, module ``webhook_signature``). No database: these run in milliseconds."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from webhooks import receive

SECRET = "It's a Secret to Everybody"
BODY = b"Hello, World!"
# The known vector of Meta's and GitHub's documentation (HMAC-SHA256 of BODY with SECRET).
DIGEST = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def _valid(header: str | None, *, body: bytes = BODY, secret: str = SECRET) -> bool:
    return receive.signature_valid(body=body, header=header, secret=secret)


def test_the_known_vector_is_accepted_and_is_really_hmac_sha256():
    assert hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest() == DIGEST
    assert _valid(f"sha256={DIGEST}") is True


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        DIGEST,  # no prefix
        f"sha1={DIGEST}",
        f"SHA256={DIGEST}",  # the prefix is lower case (Meta sends it so)
        f"sha256:{DIGEST}",
        f" sha256={DIGEST}",
        f"sha256={DIGEST[:-1]}",  # one hex digit short
        f"sha256={DIGEST}0",  # one too many
        f"sha256={DIGEST[:-1]}f",  # last digit changed
        f"sha256=x{DIGEST[1:]}",
        "sha256=",
        "sha256=" + "0" * 64,
    ],
)
def test_a_wrong_or_missing_header_is_refused(header):
    assert _valid(header) is False


def test_the_prefix_is_exactly_sha256_equals_and_only_the_rest_is_the_digest():
    """The digest is read after the 7 characters of ``sha256=``, no more, no fewer."""
    assert _valid(f"sha256=={DIGEST}") is False
    assert _valid(f"sha256{DIGEST}") is False
    assert _valid(f"sha256={DIGEST[1:]}") is False


def test_another_body_or_secret_is_refused():
    header = f"sha256={DIGEST}"
    assert _valid(header, body=BODY + b" ") is False
    assert _valid(header, body=b"") is False
    assert _valid(header, secret=SECRET + "!") is False


def test_an_empty_secret_refuses_even_its_own_correct_signature():
    """An app secret left unset must not turn into "every body signed with '' is genuine"."""
    empty = hmac.new(b"", BODY, hashlib.sha256).hexdigest()
    assert _valid(f"sha256={empty}", secret="") is False


def test_upper_case_hex_and_surrounding_spaces_are_accepted():
    assert _valid(f"sha256={DIGEST.upper()}") is True
    assert _valid(f"sha256={DIGEST} ") is True
    assert _valid(f"sha256=\t{DIGEST}\r\n") is True


def test_a_header_with_non_ascii_characters_is_refused_without_an_error():
    assert _valid(f"sha256={DIGEST[:-1]}é") is False
    assert _valid("sha256=" + "é" * 64) is False


def test_an_empty_body_has_a_signature_too():
    digest = hmac.new(SECRET.encode(), b"", hashlib.sha256).hexdigest()
    assert _valid(f"sha256={digest}", body=b"") is True
    assert _valid(f"sha256={digest}") is False


def test_the_comparison_is_constant_time(monkeypatch):
    """`hmac.compare_digest` decides, on the expected digest and the given one."""
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(receive.hmac, "compare_digest", spy)
    assert _valid(f"sha256={DIGEST.upper()}") is True
    assert calls == [(DIGEST.encode(), DIGEST.encode())]
