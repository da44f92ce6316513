"""`make mutation MODULE=<name>`: run mutmut on one module and print its score and survivors.

Modules (docs/mutation.md): crypto, scoping, middleware, oauth, images, publishing_state,
webhook_signature, registration, statements. Each runs in its own
working copy, .mutation/<module>/ (git-ignored). The score is killed ÷
(mutants − the equivalent ones listed in docs/mutation.md); "no tests" and "suspicious" count as
survivors. One module at a time, with one mutmut child by default (MUTATION_CHILDREN=n for more).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = Path(sys.executable).with_name("mutmut")
DOC = ROOT / "docs" / "mutation.md"
WORK = ROOT / ".mutation"


@dataclass(frozen=True)
class Module:
    source: str
    patterns: list[str]  # mutant names to run and count
    tests: list[str]  # the tests that protect it (pytest arguments)
    # Tests of those files left out: slow ones that every surviving mutant would wait for,
    # whose checks faster tests make too (docs/mutation.md says which and why).
    leave_out: tuple[str, ...] = ()


# The OAuth state functions are the start/callback steps of social.services.oauth (not the
# page summary).
_OAUTH = "social.services.oauth.x_"
MODULES: dict[str, Module] = {
    "crypto": Module(
        "lib/crypto.py",
        ["lib.crypto.*"],
        ["lib/tests/test_crypto.py", "lib/tests/test_crypto_edges.py", "lib/tests/test_checks.py"],
        # A minute of re-encryption under four reading threads; it reaches nearly every function,
        # so each survivor there would cost that minute.
        ("lib/tests/test_crypto.py::test_rotation_while_four_threads_read_loses_nothing_e6",),
    ),
    "scoping": Module(
        "tenants/scoping.py",
        ["tenants.scoping.*"],
        ["tenants/tests/test_scoping.py", "tenants/tests/test_isolation.py"],
    ),
    "middleware": Module(
        "tenants/middleware.py",
        ["tenants.middleware.*"],
        [
            "tenants/tests/test_scoping.py",
            "tenants/tests/test_middleware.py",
            "tenants/tests/test_isolation.py",
        ],
    ),
    "oauth": Module(
        "social/services/oauth.py",
        [
            f"{_OAUTH}{name}__mutmut_*"
            for name in (
                "callback_uri",
                "_sha256",
                "_session_binding",
                "oauth_start",
                "_consume_state",
                "oauth_callback",
                "_callback_with_state",
            )
        ],
        [
            "social/tests/test_oauth_security.py",
            "social/tests/test_oauth_rechecks.py",
            "social/tests/test_connect.py",
            "social/tests/test_token_health.py",  # the one-click reconnect
        ],
    ),
    # The upload validation of assets/images.py (issue 14's "file sniffing"): the type from the
    # magic bytes, the pixel limit before decoding, the refusals and their codes. Not the
    # renditions or the re-encoding (resampling and quality steps, measured in bench/).
    "images": Module(
        "assets/images.py",
        [
            f"assets.images.{name}__mutmut_*"
            for name in (
                "x_sniff",
                "x__too_many_pixels",
                "x_open_checked",
                "x__open_header",
                "x__draft",
                "x__decode",
                "x__header_size",
                "xǁImageRejectedǁ__init__",
            )
        ],
        [
            "assets/tests/test_validation_edges.py",
            "assets/tests/test_images.py",
            "assets/tests/test_sniffing.py",
            "assets/tests/test_bad_input.py",
            "assets/tests/test_upload.py",
        ],
        # Two bombs refused "in under a second": with every function traced by mutmut, on a
        # loaded machine, the second is not a property of the code. test_validation_edges.py
        # checks the same refusals (and non-square sizes) without a clock.
        (
            "assets/tests/test_bad_input.py::"
            "test_it_refuses_a_30000_by_30000_png_quickly_without_decoding",
            "assets/tests/test_bad_input.py::test_it_refuses_a_jpeg_header_claiming_20000_by_20000",
        ),
    ),
    # The publication state machine's compare-and-set (posting.states.transition, with the edge
    # check it calls and `move`, its one-row form).
    "publishing_state": Module(
        "posting/states.py",
        [
            "posting.states.x_check__mutmut_*",
            "posting.states.x_transition__mutmut_*",
            "posting.states.x_move__mutmut_*",
            "posting.states.xǁIllegalTransitionǁ__init____mutmut_*",
        ],
        ["posting/tests/test_states_cas.py", "posting/tests/test_states.py"],
    ),
    # The X-Hub-Signature-256 check of the webhook receiver.
    "webhook_signature": Module(
        "webhooks/receive.py",
        ["webhooks.receive.x_signature_valid__mutmut_*"],
        [
            "webhooks/tests/test_signature.py",
            "webhooks/tests/test_receiver.py::test_w1_the_published_known_vector_is_accepted",
            "webhooks/tests/test_receiver.py::"
            "test_w1_the_view_accepts_the_vector_signature_then_refuses_the_non_json_body",
        ],
    ),
    "registration": Module(
        "tenants/registration.py",
        ["tenants.registration.*"],
        [
            "tenants/tests/test_signup_confirm.py",
            "tenants/tests/test_signup.py",
            "tenants/tests/test_invitation_pending.py",
            "tenants/tests/test_profile.py::"
            "test_the_dashboard_counts_missing_opening_hours_for_a_new_restaurant",
        ],
    ),
    # Queries compiled once (lib/statements.py) with the tenant stand-in (tenants/statements.py):
    # a wrong substitution would serve one restaurant's rows to another.
    "statements": Module(
        "lib/statements.py",
        ["lib.statements.*"],
        ["lib/tests/test_statements.py"],
    ),
}
KILLED = {1, 3, 36, 24, -24, 152, 255, 37}  # a failing test, pytest error, timeout, type check
EQUIVALENT_LINE = re.compile(r"^\s*[-*]\s+`(?P<name>[\w.ǁ]+__mutmut_\d+)`")
_LEFT_OUT = {".git", ".venv", ".mutation", "mutants", "pyproject.toml", "var", "media"}


def equivalent_mutants() -> set[str]:
    """Mutant names listed in docs/mutation.md as equivalent (same behaviour as the code)."""
    if not DOC.exists():
        return set()
    return {
        m["name"] for line in DOC.read_text().splitlines() if (m := EQUIVALENT_LINE.match(line))
    }


def _toml(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)  # strings and lists of strings: valid TOML


def workdir(name: str) -> Path:
    """.mutation/<module>/: the project through symlinks plus a pyproject.toml whose
    [tool.mutmut] mutates this module only, with its own tests (so the tests run for each
    mutant are the few that protect it, and its results and stats are kept apart)."""
    module = MODULES[name]
    where = WORK / name
    where.mkdir(parents=True, exist_ok=True)
    for entry in ROOT.iterdir():
        link = where / entry.name
        if entry.name not in _LEFT_OUT and not link.exists():
            link.symlink_to(entry)
    text = (ROOT / "pyproject.toml").read_text()
    shared = tomllib.loads(text)["tool"]["mutmut"]
    settings = {
        **shared,
        "source_paths": [module.source],
        "pytest_add_cli_args_test_selection": [
            *module.tests,
            *(f"--deselect={test}" for test in module.leave_out),
        ],
    }
    section = "\n".join(
        ["[tool.mutmut]", *(f"{key} = {_toml(value)}" for key, value in settings.items())]
    )
    head = text[: text.index("[tool.mutmut]")]
    (where / "pyproject.toml").write_text(head + section + "\n")
    return where


def results(name: str) -> dict[str, int | None]:
    module = MODULES[name]
    meta = WORK / name / "mutants" / f"{module.source}.meta"
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    return {k: v for k, v in codes.items() if any(fnmatch(k, p) for p in module.patterns)}


def show(where: Path, name: str) -> str:
    done = subprocess.run(  # noqa: S603 (our own virtualenv's mutmut, fixed arguments)
        [str(MUTMUT), "show", name], cwd=where, capture_output=True, text=True, check=False
    )
    lines = [
        line
        for line in done.stdout.splitlines()
        if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))
    ]
    return "\n".join(f"      {line}" for line in lines) or "      (no diff)"


def report(module: str) -> float:
    source = MODULES[module].source
    codes = results(module)
    equivalent = equivalent_mutants() & set(codes)
    counted = {k: v for k, v in codes.items() if k not in equivalent}
    killed = sorted(k for k, v in counted.items() if v in KILLED)
    unchecked = sorted(k for k, v in counted.items() if v is None)
    survived = sorted(k for k, v in counted.items() if v not in KILLED and v is not None)
    checked = len(killed) + len(survived)
    score = 100.0 * len(killed) / checked if checked else 0.0
    print(f"\n{module} ({source}): {len(codes)} mutants, {len(equivalent)} equivalent")
    print(f"  killed {len(killed)}, survived {len(survived)}, not checked {len(unchecked)}")
    print(f"  score {score:.1f} % (killed ÷ checked non-equivalent mutants)")
    for name in survived:
        print(f"  survived: {name} (exit code {counted[name]})")
        print(show(WORK / module, name))
    return score


def main(argv: list[str]) -> int:
    names = argv or list(MODULES)
    unknown = [n for n in names if n not in MODULES]
    if unknown:
        print(f"Unknown module {unknown}; choose from {', '.join(MODULES)}.", file=sys.stderr)
        return 2
    if len(names) > 1 and not os.environ.get("MUTATION_REPORT_ONLY"):
        print("Run one module at a time: make mutation MODULE=<name>.", file=sys.stderr)
        return 2
    if not os.environ.get("MUTATION_REPORT_ONLY"):
        where = workdir(names[0])
        children = os.environ.get("MUTATION_CHILDREN", "1")
        started = time.monotonic()
        subprocess.run(  # noqa: S603 (our own virtualenv's mutmut, fixed arguments)
            [str(MUTMUT), "run", "--max-children", children, *MODULES[names[0]].patterns],
            cwd=where,
            check=True,
        )
        print(f"\nmutmut ran for {(time.monotonic() - started) / 60:.1f} minutes")
    for name in names:
        report(name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
