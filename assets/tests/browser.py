"""Helpers for the library's browser tests: log a Playwright page in, move focus by keyboard,
read colours and contrast (WCAG's relative luminance)."""

from __future__ import annotations

import re

from django.conf import settings
from django.test import Client

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def log_in(page, live_server, user) -> None:
    """A session cookie for `user` (no login form: the login page is not what is tested here)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )


def focused(page, selector: str) -> bool:
    return page.evaluate(
        "(s) => !!document.activeElement && document.activeElement.matches(s)", selector
    )


def tab_to(page, selector: str, *, limit: int = 80, key: str = "Tab") -> list[str]:
    """Press Tab until the focused element matches `selector`; returns what was passed on the
    way (tag#id or tag[name]), so a test can check the order. Fails after `limit` presses."""
    passed: list[str] = []
    for _ in range(limit):
        page.keyboard.press(key)
        if focused(page, selector):
            return passed
        passed.append(
            page.evaluate(
                "() => { const e = document.activeElement; return e.tagName.toLowerCase()"
                " + (e.id ? '#' + e.id : e.name ? '[' + e.name + ']' : '') }"
            )
        )
    raise AssertionError(f"{selector} never took the focus; passed {passed}")


def status_text(page) -> str:
    return page.text_content("#library-status") or ""


def wait_for_status(page, words: str) -> None:
    page.wait_for_function(
        "(w) => (document.getElementById('library-status').textContent || '').includes(w)",
        arg=words,
    )


def _channel(c: float) -> float:
    c /= 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(rgb: tuple[int, int, int]) -> float:
    r, g, b = (_channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def css_rgb(value: str) -> tuple[int, int, int]:
    """'rgb(1, 2, 3)' or 'rgba(1, 2, 3, 1)' (a computed colour) as a tuple."""
    numbers = re.findall(r"[\d.]+", value)
    return tuple(round(float(n)) for n in numbers[:3])  # type: ignore[return-value]


def no_horizontal_overflow(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
