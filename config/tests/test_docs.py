"""The repository explains itself: every pointer into docs/ resolves, and nothing points outside.

Code comments cite `docs/<page>.md`, a section (`docs/graph-api.md §5`, or a bare `graph-api.md §5`
in the sandbox and the Graph client) or a reliability test id (`docs/reliability.md U6`, or the
older `RELIABILITY U6`). Each of those must exist, so a fresh clone can follow every pointer."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
TEXT_SUFFIXES = {".py", ".md", ".html", ".txt", ".toml", ".cfg", ".example", ".yml", ".css", ".js"}
TEXT_NAMES = {"Makefile", "Dockerfile", "Procfile", "run"}

DOC_PAGE = re.compile(r"\bdocs/([\w-]+\.md)")
SECTION = re.compile(r"\b(?:docs/)?(graph-api|reliability)\.md,? §\s?(\d+)")
RELIABILITY_ID = re.compile(
    r"(?:RELIABILITY|docs/reliability\.md)\s+((?:[A-Z]\d+(?:[–-][A-Z]?\d+)?(?:,\s*|\s+and\s+)?)+)"
)
OUTSIDE = re.compile(
    r"\.\./shared/|/work/shared|shared/(?:ARCHITECTURE|RELIABILITY|STYLE|graph-api)"
)


def _tracked_text_files() -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, text=True
        ).stdout
        paths = [ROOT / p for p in out.split("\0") if p]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: walk the tree
        paths = [p for p in ROOT.rglob("*") if ".venv" not in p.parts and ".git" not in p.parts]
    vendor = ROOT / "static" / "vendor"
    return [
        p
        for p in paths
        if p.is_file()
        and (p.suffix in TEXT_SUFFIXES or p.name in TEXT_NAMES)
        and vendor not in p.parents
    ]


def _sections(page: str) -> set[str]:
    text = (DOCS / f"{page}.md").read_text(encoding="utf-8")
    return set(re.findall(r"^#+ §(\d+)\b", text, flags=re.MULTILINE))


def _reliability_ids() -> set[str]:
    text = (DOCS / "reliability.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| ([A-Z]\d+) \|", text, flags=re.MULTILINE))


def _expand(ids: str) -> set[str]:
    """'U1–U6' → U1..U6; 'E1, E2' → E1, E2; 'E1–8' → E1..E8."""
    found: set[str] = set()
    for part in re.split(r",\s*|\s+and\s+", ids.strip()):
        m = re.fullmatch(r"([A-Z])(\d+)(?:[–-]([A-Z])?(\d+))?", part.strip())
        if not m:
            continue
        letter, start, _, end = m.groups()
        for n in range(int(start), int(end or start) + 1):
            found.add(f"{letter}{n}")
    return found


FILES = [p for p in _tracked_text_files() if p != Path(__file__)]  # its own examples are broken


def test_the_docs_folder_has_its_pages():
    for page in ("README.md", "architecture.md", "graph-api.md", "reliability.md", "recipes.md"):
        assert (DOCS / page).is_file(), f"docs/{page} is missing"


def test_nothing_points_outside_the_repository():
    offenders = [
        str(p.relative_to(ROOT))
        for p in FILES
        if OUTSIDE.search(p.read_text(encoding="utf-8", errors="replace"))
    ]
    assert offenders == [], f"these files point at documents a fresh clone lacks: {offenders}"


def test_every_docs_page_that_is_cited_exists():
    missing = {
        (str(p.relative_to(ROOT)), page)
        for p in FILES
        for page in DOC_PAGE.findall(p.read_text(encoding="utf-8", errors="replace"))
        if not (DOCS / page).is_file()
    }
    assert missing == set()


def test_every_cited_section_exists():
    sections = {page: _sections(page) for page in ("graph-api", "reliability")}
    missing = {
        (str(p.relative_to(ROOT)), f"{page}.md §{number}")
        for p in FILES
        for page, number in SECTION.findall(p.read_text(encoding="utf-8", errors="replace"))
        if number not in sections[page]
    }
    assert missing == set()


def test_every_cited_reliability_id_exists():
    known = _reliability_ids()
    missing = set()
    for p in FILES:
        for ids in RELIABILITY_ID.findall(p.read_text(encoding="utf-8", errors="replace")):
            missing |= {(str(p.relative_to(ROOT)), i) for i in _expand(ids) - known}
    assert missing == set()


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_links_between_docs_pages_resolve(page):
    text = (DOCS / page).read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [t for t in targets if not re.match(r"[a-z]+:", t)]
    missing = [t for t in local if not (DOCS / t).resolve().exists()]
    assert missing == [], f"docs/{page} links to missing files: {missing}"


def test_the_checker_catches_a_broken_pointer(tmp_path):
    """The patterns above really match what the code writes (so the tests can fail)."""
    assert SECTION.findall("see docs/graph-api.md §5 and graph-api.md §99") == [
        ("graph-api", "5"),
        ("graph-api", "99"),
    ]
    assert "99" not in _sections("graph-api")
    assert _expand(RELIABILITY_ID.findall("(RELIABILITY U1–U6)")[0]) == {
        "U1",
        "U2",
        "U3",
        "U4",
        "U5",
        "U6",
    }
    assert "Z9" not in _reliability_ids()
    assert OUTSIDE.search("see .." + "/shared/ARCHITECTURE.md")  # split: the repo's own scan
