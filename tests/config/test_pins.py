"""Every dependency, development tools included, has an upper bound (pyproject.toml)."""

import tomllib
from pathlib import Path

from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
CHECKERS = {"ruff", "mypy", "django-stubs", "import-linter"}


def _requirements() -> list[Requirement]:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    return [
        Requirement(line)
        for line in project["dependencies"] + project["optional-dependencies"]["dev"]
    ]


def test_every_dependency_has_an_upper_bound():
    unbounded = [
        str(requirement)
        for requirement in _requirements()
        if not any(spec.operator in {"<", "<=", "==", "~="} for spec in requirement.specifier)
    ]
    assert unbounded == []


def test_linters_and_type_checkers_are_held_to_a_minor_release():
    for requirement in _requirements():
        if requirement.name in CHECKERS:
            upper = next(spec.version for spec in requirement.specifier if spec.operator == "<")
            assert upper.count(".") >= 1, requirement
