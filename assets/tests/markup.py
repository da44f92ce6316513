"""A small reading of rendered HTML for the page-structure tests (the standard library's parser:
the elements in document order, with their attributes and whether a <label> wraps them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
CONTROLS = {"input", "select", "textarea"}
NOT_NAMED = {"hidden", "submit", "button", "reset", "image"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    index: int
    in_label: bool
    hidden: bool = False
    text: list[str] = field(default_factory=list)

    def get(self, name: str, default: str = "") -> str:
        return self.attrs.get(name) or default


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.open: list[Element] = []

    def handle_starttag(self, tag, attrs):
        values = {k: (v or "") for k, v in attrs}
        in_label = any(e.tag == "label" for e in self.open)
        hidden = "hidden" in values or any(e.hidden for e in self.open)
        element = Element(tag, values, len(self.elements), in_label, hidden)
        self.elements.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag):
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i].tag == tag:
                del self.open[i:]
                break

    def handle_data(self, data):
        for element in self.open:
            element.text.append(data)


def parse(html: str) -> list[Element]:
    parser = _Parser()
    parser.feed(html)
    return parser.elements


def text_of(element: Element) -> str:
    return " ".join("".join(element.text).split())


def ids(elements: list[Element]) -> set[str]:
    return {e.attrs["id"] for e in elements if e.attrs.get("id")}


def unnamed_controls(elements: list[Element]) -> list[str]:
    """Form controls a screen reader could not name: no label (for= or wrapping), no
    aria-label, no aria-labelledby pointing at an element of the page."""
    known = ids(elements)
    labelled = {e.attrs["for"] for e in elements if e.tag == "label" and e.attrs.get("for")}
    missing = []
    for e in elements:
        if e.tag not in CONTROLS or e.get("type") in NOT_NAMED:
            continue
        by = e.get("aria-labelledby").split()
        if e.in_label or e.get("aria-label").strip() or e.get("id") in labelled:
            continue
        if by and all(i in known for i in by):
            continue
        missing.append(f"<{e.tag} name={e.get('name')!r} id={e.get('id')!r}>")
    return missing


def dangling_references(elements: list[Element]) -> list[str]:
    """aria-describedby / aria-labelledby / aria-controls / label for= naming a missing id."""
    known = ids(elements)
    out = []
    for e in elements:
        for attr in ("aria-describedby", "aria-labelledby", "aria-controls", "for"):
            if e.tag != "label" and attr == "for":
                continue
            for ref in e.get(attr).split():
                if ref not in known:
                    out.append(f"<{e.tag} {attr}={ref!r}>")
    return out
