"""The mutation-testing setup (docs/mutation.md) stays runnable as the project grows."""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]


def _script():
    spec = importlib.util.spec_from_file_location("mutation", ROOT / "scripts" / "mutation.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_every_python_package_of_the_project_is_copied_into_mutants():
    """mutmut runs the tests from a copy of the project: a package left out breaks every run."""
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"bench", "mutants"}
    assert packages <= set(CONFIG["also_copy"])


def test_every_module_of_make_mutation_and_its_tests_exist():
    for module in _script().MODULES.values():
        for path in [module.source, *(test.split("::")[0] for test in module.tests)]:
            assert (ROOT / path).is_file(), path
        assert all(p.startswith(module.source[:-3].replace("/", ".")) for p in module.patterns)


def test_the_equivalent_mutants_are_read_from_the_docs():
    names = _script().equivalent_mutants()
    assert names, "docs/mutation.md lists no equivalent mutant: the pattern is broken"
    assert all("__mutmut_" in name for name in names)
