"""Secrets are masked in the output of the configured console handler, JSON and text alike."""

from __future__ import annotations

import io
import json
import logging
import logging.config

import pytest
from django.conf import settings

from lib.logging import MASK, SecretMaskingFilter, mask_secrets

PAGE_TOKEN = "EAAGm0PX4ZCpsBAHZBZCqwDxIZAHd0KdZBzRrY7"
APP_TOKEN = "1234567890123456|Zx8hG2kLmN4pQr6sTu"
SECRET = "f3a9c1d27e4b5a6c8d9e0f1a2b3c4d5e"
SECRETS = [PAGE_TOKEN, APP_TOKEN, SECRET, "AbCdEfGh123456789xyz", "oauth-code-1f2e3d4c"]

ORDINARY = [
    "Published post 8f0c2 to page 104233 in 1.24s",
    "GET /t/alba/posts/?page=2&sort=date 200",
    "Graph error code: 190 (OAuthException), subcode 463",
    "token refreshed for account 42; expires in 59 days",
    "Tenant alba: 3 publications held, 0 failed",
    "cache key=rate:page:104233 hits=12",
]


def build_handler(fmt: str, stream: io.StringIO) -> logging.Handler:
    """The console handler exactly as settings.LOGGING builds it, writing to `stream`."""
    conf = settings.LOGGING
    handler_conf = conf["handlers"]["console"]
    assert handler_conf["filters"] == ["mask_secrets"]
    configurator = logging.config.DictConfigurator({})
    handler = logging.StreamHandler(stream)
    handler.setFormatter(configurator.configure_formatter(dict(conf["formatters"][fmt])))
    for name in handler_conf["filters"]:
        handler.addFilter(configurator.configure_filter(dict(conf["filters"][name])))
    return handler


@pytest.fixture(params=["json", "text"])
def emit(request):
    stream = io.StringIO()
    handler = build_handler(request.param, stream)
    logger = logging.getLogger(f"tablecast.test.masking.{request.param}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)

    def emit(call) -> str:
        stream.seek(0)
        stream.truncate()
        call(logger)
        output = stream.getvalue()
        if request.param == "json":
            for line in output.splitlines():
                json.loads(line)  # one JSON object per line
        return output

    emit.format = request.param
    yield emit
    logger.removeHandler(handler)


def assert_masked(output: str, *, shown: bool = True) -> None:
    for secret in SECRETS:
        assert secret not in output, output
    if shown:
        assert MASK in output


@pytest.mark.parametrize(
    "call",
    [
        lambda log: log.info("page token %s stored", PAGE_TOKEN),
        lambda log: log.info(
            "GET https://graph.facebook.com/v24.0/me?fields=id&access_token=%s", PAGE_TOKEN
        ),
        lambda log: log.warning("POST /oauth/access_token client_secret=%s&code=x", SECRET),
        lambda log: log.info("calling with appsecret_proof=%s", SECRET),
        lambda log: log.info("headers: {'Authorization': 'Bearer %s'}", "AbCdEfGh123456789xyz"),
        lambda log: log.info("Authorization: Bearer AbCdEfGh123456789xyz"),
        lambda log: log.info("debug_token input_token=%s access_token=%s", PAGE_TOKEN, APP_TOKEN),
        lambda log: log.info("app token %s", APP_TOKEN),
        lambda log: log.info("callback /oauth/callback?state=s1&code=oauth-code-1f2e3d4c"),
        lambda log: log.info('{"access_token": "%s", "token_type": "bearer"}', PAGE_TOKEN),
        lambda log: log.info("payload %r", {"page_token": PAGE_TOKEN, "client_secret": SECRET}),
        lambda log: log.info({"event": "token", "access_token": PAGE_TOKEN}),
    ],
)
def test_secrets_are_masked_in_the_handlers_output(emit, call):
    assert_masked(emit(call))


@pytest.mark.parametrize(
    "call",
    [
        lambda log: log.info("values", extra={"page_token": PAGE_TOKEN, "empty_secret": ""}),
        lambda log: log.info("url", extra={"url": f"/x?access_token={PAGE_TOKEN}"}),
        lambda log: log.info("stack", stack_info=True, extra={"note": APP_TOKEN}),
    ],
)
def test_secrets_in_extra_fields_are_masked(emit, call):
    # The text format leaves `extra=` fields out; JSON writes them, masked.
    assert_masked(emit(call), shown=emit.format == "json")


def test_secrets_inside_an_exception_traceback_are_masked(emit):
    def call(log):
        try:
            raise ValueError(f"Graph said no for access_token={PAGE_TOKEN} and {APP_TOKEN}")
        except ValueError:
            log.exception("publish failed")

    output = emit(call)
    assert_masked(output)
    assert "ValueError" in output
    assert "Traceback" in output


def test_secrets_in_a_local_repr_within_a_chained_traceback_are_masked(emit):
    def call(log):
        try:
            try:
                raise KeyError(PAGE_TOKEN)
            except KeyError as exc:
                raise RuntimeError("client_secret=" + SECRET) from exc
        except RuntimeError:
            log.error("boom", exc_info=True)

    output = emit(call)
    assert_masked(output)
    assert "KeyError" in output and "RuntimeError" in output


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_untouched(emit, text):
    assert text in emit(lambda log: log.info("%s", text)).replace("\\/", "/")
    assert mask_secrets(text) == text


def test_the_filter_never_drops_a_record():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token %s", (PAGE_TOKEN,), None)
    assert SecretMaskingFilter().filter(record) is True
    assert record.getMessage() == f"token {MASK}"


def test_json_is_the_production_format_and_text_the_development_one():
    # settings.LOG_FORMAT defaults by environment; tests run the development default.
    assert settings.LOG_FORMAT == "text"
    assert set(settings.LOGGING["formatters"]) == {"json", "text"}
    assert settings.LOGGING["root"]["handlers"] == ["console"]


def test_runserver_access_lines_go_through_the_masking_handler(capsys):
    """runserver logs each request line on `django.server`; an OAuth callback URL carries the code."""
    logging.config.dictConfig(settings.LOGGING)
    logging.getLogger("django.server").info(
        '"GET /social/facebook/callback/?code=AQCsecretcode123456&state=abc HTTP/1.1" 302 0'
    )
    err = capsys.readouterr().err
    assert "/social/facebook/callback/" in err
    assert "AQCsecretcode123456" not in err
    assert MASK in err


def _gunicorn_access_line(access_log_format: str, capsys) -> str:
    """One access-log line written by `GunicornLogger` with the given format."""
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config

    from lib.logging import GunicornLogger

    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("access_log_format", access_log_format)
    logger = GunicornLogger(cfg)
    token = "EAAB" + "q" * 40
    request = SimpleNamespace(headers=[("AUTHORIZATION", f"Bearer {token}"), ("HOST", "x")])
    response = SimpleNamespace(
        status="200 OK", headers=[("Set-Cookie", f"access_token={token}")], sent=2
    )
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/social/facebook/callback/?code=AQCsecret123456&access_token={token}",
        "PATH_INFO": "/social/facebook/callback/",
        "QUERY_STRING": f"code=AQCsecret123456&access_token={token}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"https://example.com/?access_token={token}",
    }
    logger.access(response, request, environ, timedelta(milliseconds=5))
    line = capsys.readouterr().out
    assert token not in line and "AQCsecret123456" not in line
    return line


def test_gunicorns_default_access_line_is_masked(capsys):
    from gunicorn.config import Config

    line = _gunicorn_access_line(Config().access_log_format, capsys)
    assert (
        '"GET /social/facebook/callback/?code=[masked]&access_token=[masked] HTTP/1.1" 200' in line
    )
    assert "https://example.com/?access_token=[masked]" in line


def test_header_and_query_fields_of_a_custom_access_format_are_masked(capsys):
    """Only the fields a format prints are computed and masked (lib/logging.py): headers and
    the bare query must still come out masked when a format asks for them."""
    line = _gunicorn_access_line(
        "%(U)s q=%(q)s auth=%({Authorization}i)s out=%({set-cookie}o)s none=%({X-Absent}i)s", capsys
    )
    assert line.strip() == (
        "/social/facebook/callback/ q=code=[masked]&access_token=[masked] "
        "auth=Bearer [masked] out=access_token=[masked] none=-"
    )


@pytest.mark.parametrize(
    ("path", "masked"),
    [
        (
            "/signup/confirm/Mg/d1z58d-a417be3fd848f94380fd5f9c67bebf64/",
            "/signup/confirm/Mg/[masked]/",
        ),
        ("/signup/confirm/Mg/confirm/", "/signup/confirm/Mg/confirm/"),  # the token-free stand-in
        ("/password-reset/MQ/cv1xyz-4f0d9c2b/", "/password-reset/MQ/[masked]/"),
        ("/password-reset/MQ/set-password/", "/password-reset/MQ/set-password/"),
        ("/invitations/Zq7_secret/", "/invitations/[masked]/"),
        ("/invitations/accept/", "/invitations/accept/"),
    ],
)
def test_tokens_in_emailed_link_paths_are_masked_and_their_stand_ins_kept(path, masked):
    assert mask_secrets(f'"GET {path} HTTP/1.1" 302') == f'"GET {masked} HTTP/1.1" 302'
