"""Checks every browser test gets from the `page` fixture (conftest.py), and helpers for the page
walk: axe-core on every page a test visits, static files that 404, console errors, horizontal
overflow, pointer use in keyboard-only tests. See docs/accessibility.md.

axe-core is vendored for tests only (lib/testing_vendor/, version in static/vendor/README.md) and
injected as an init script, which the page's Content-Security-Policy does not apply to: the
pages under test keep their real CSP."""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

AXE_VERSION = "4.14.1"
AXE_SOURCE = Path(__file__).parent / "testing_vendor" / f"axe-core-{AXE_VERSION}.min.js"
# The rule sets of the outside audit (issue 14): WCAG 2.0/2.1 A and AA, and best practice.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
FAILING_IMPACTS = ("critical", "serious")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-results"

_RUN = """
async () => {
  try { await window.__tablecastAxeRun; } catch (e) { /* the load-time run; rerun below */ }
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: %(tags)s}, resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 5).map(n => n.target.join(" "))}));
}
"""

# Runs in every page: axe once the page has loaded, the result handed to Python through an
# exposed function (which survives navigations); pointer presses are reported the same way.
_INIT = """
(() => {
  if (window.top !== window) return;
  const run = %(run)s;
  addEventListener("load", () => setTimeout(() => {
    window.__tablecastAxeRun = run().then(
      v => window.__tablecastAxeReport(location.href, innerWidth, v), () => null);
  }, 0));
  addEventListener("pointerdown", e => window.__tablecastPointer(e.pointerType || "mouse"), true);
})();
"""


class AxeModerate(UserWarning):
    """Moderate and minor axe findings: reported, not failing (issue 14)."""


@dataclass
class PageWatch:
    """What happened in one test's page: every document it showed and the axe verdict on it."""

    visited: list[tuple[str, int]] = field(default_factory=list)
    checked: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    static_404: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    pointer_presses: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        tags = json.dumps(AXE_TAGS)
        run = _RUN % {"tags": tags}
        page.expose_function("__tablecastAxeReport", self._report)
        page.expose_function("__tablecastPointer", self._pointer)
        page.add_init_script(AXE_SOURCE.read_text() + "\n" + _INIT % {"run": run})
        page.on("framenavigated", lambda frame: self._navigated(page, frame))
        page.on("response", self._response)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.console_errors.append(f"uncaught: {exc}"))

    @staticmethod
    def _key(url: str, width: int) -> tuple[str, int]:
        return (url.split("#", 1)[0], width)

    def _navigated(self, page: Any, frame: Any) -> None:
        if frame == page.main_frame and frame.url.startswith("http"):
            width = (page.viewport_size or {}).get("width", 0)
            key = self._key(frame.url, width)
            if key not in self.visited:
                self.visited.append(key)

    def _report(self, url: str, width: int, violations: list[dict[str, Any]]) -> None:
        self.checked[self._key(url, width)] = violations

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def _pointer(self, kind: str) -> None:
        self.pointer_presses.append(kind)

    def _response(self, response: Any) -> None:
        if response.status == 404 and re.search(r"/static/|/favicon\.ico", response.url):
            self.static_404.append(response.url)

    def check_now(self, page: Any) -> list[dict[str, Any]]:
        """Run axe on the page as it is now (after the test's clicks) and record the verdict."""
        violations = page.evaluate(_RUN % {"tags": json.dumps(AXE_TAGS)})
        self._report(page.url, (page.viewport_size or {}).get("width", 0), violations)
        return violations

    def finish(self, page: Any) -> list[str]:
        """Check the final state, then any page whose load-time run the test navigated away
        from (revisited by GET at the same width). Returns the failures, one line each."""
        if page.url.startswith("http"):
            self.check_now(page)
        for url, width in list(self.visited):
            if (url, width) in self.checked:
                continue
            page.set_viewport_size({"width": width, "height": page.viewport_size["height"]})
            page.goto(url)
            self.check_now(page)
        return self.failures()

    def failures(self) -> list[str]:
        lines: list[str] = []
        for (url, width), violations in self.checked.items():
            for v in violations:
                text = (
                    f"{url} at {width}px: {v['impact']} {v['id']} ({v['help']}) at {v['targets']}"
                )
                if v["impact"] in FAILING_IMPACTS:
                    lines.append(text)
                else:
                    warnings.warn(text, AxeModerate, stacklevel=1)
        lines += [f"static file not found: {url}" for url in self.static_404]
        return lines

    def save(self, nodeid: str) -> None:
        """The verdicts as a test artifact: test-results/axe/<test>.json."""
        out = ARTIFACTS / "axe" / (re.sub(r"[^\w.-]+", "_", nodeid) + ".json")
        out.parent.mkdir(parents=True, exist_ok=True)
        report = [
            {"url": url, "width": width, "violations": v}
            for (url, width), v in self.checked.items()
        ]
        out.write_text(json.dumps(report, indent=1))


def horizontal_overflow(page: Any) -> list[str]:
    """Elements sticking out past the right edge of the viewport (the cause of sideways
    scrolling), or the document being wider than the viewport."""
    return page.evaluate(
        """() => {
      const width = document.documentElement.clientWidth;
      const out = [];
      // Inside a box that scrolls or clips on its own, sticking out moves nothing on the page.
      const clipped = el => {
        for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
          if (getComputedStyle(p).overflowX !== "visible") return true;
        }
        return false;
      };
      if (document.documentElement.scrollWidth > width)
        out.push("document " + document.documentElement.scrollWidth + "px > " + width + "px");
      for (const el of document.querySelectorAll("body *")) {
        const r = el.getBoundingClientRect();
        if (r.width && r.right > width + 1 && !clipped(el)) {
          out.push(el.tagName.toLowerCase() + (el.className ? "." + el.className : "") +
                   " right edge at " + Math.round(r.right) + "px");
        }
      }
      return out.slice(0, 10);
    }"""
    )


def log_in(page: Any, live_server: Any, user: Any) -> None:
    """Give the page's browser a session of `user` (no login form: for tests of other pages)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )
