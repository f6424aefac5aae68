"""Every environment variable config/settings.py reads is named in .env.example."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _string(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def variables_read(path: Path) -> set[str]:
    """Names read by config.env's readers (env_*("NAME")), a library's env="NAME", os.environ."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            function = node.func
            called = getattr(function, "id", None) or getattr(function, "attr", "")
            if called.startswith("env_") or (called in {"getenv", "get"} and node.args):
                if node.args and (name := _string(node.args[0])) and name.isupper():
                    names.add(name)
            names |= {
                name
                for keyword in node.keywords
                if keyword.arg == "env" and (name := _string(keyword.value))
            }
        if isinstance(node, ast.Subscript) and "environ" in ast.unparse(node.value):
            if name := _string(node.slice):  # type: ignore[arg-type]
                names.add(name)
    return names


def named_in_example() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def test_the_reader_finds_the_settings_it_should():
    found = variables_read(ROOT / "config" / "settings.py")
    # Read on one line, across lines, and through dj_database_url's env=.
    assert {"PRODUCTION", "EMAIL_BACKEND", "READYZ_JOBS", "DATABASE_URL"} <= found
    assert len(found) > 40


def test_every_setting_read_from_the_environment_is_in_env_example():
    missing = variables_read(ROOT / "config" / "settings.py") - named_in_example()
    assert sorted(missing) == []


def test_env_example_names_nothing_the_project_does_not_read():
    sources = [ROOT / "compose.yaml"]
    sources += [path for path in ROOT.rglob("*.py") if ".venv" not in path.parts]
    text = "".join(path.read_text() for path in sources if path.exists())
    unread = sorted(name for name in named_in_example() if name not in text)
    assert unread == []
