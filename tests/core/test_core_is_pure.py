"""survey_app/core stays pure: no web, database or form imports, no file or network I/O."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "survey_app" / "core"
FORBIDDEN_MODULES = {
    "flask",
    "sqlalchemy",
    "wtforms",
    "requests",
    "socket",
    "urllib",
    "http",
    "httpx",
    "aiohttp",
    "pathlib",
    "shutil",
    "tempfile",
    "io",
}
# Calls that read or write files whatever object they are made on (Path and friends).
IO_METHODS = {
    "read_text",
    "write_text",
    "read_bytes",
    "write_bytes",
    "open",
    "touch",
    "unlink",
    "mkdir",
    "rmdir",
    "iterdir",
    "glob",
    "rglob",
    "to_csv",
    "to_excel",
    "to_parquet",
    "to_pickle",
    "read_csv",
    "read_excel",
}
IO_FUNCTIONS = {"open", "__import__", "exec", "eval"}


def _modules() -> list[Path]:
    return sorted(CORE.glob("*.py"))


def _problems(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            names = []
        for name in names:
            root = name.split(".")[0]
            if root in FORBIDDEN_MODULES or root.startswith("flask_"):
                found.append(f"line {node.lineno}: imports {name}")
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in IO_FUNCTIONS:
                found.append(f"line {node.lineno}: calls {func.id}()")
            if isinstance(func, ast.Attribute) and func.attr in IO_METHODS:
                found.append(f"line {node.lineno}: calls .{func.attr}()")
    return found


def test_core_modules_exist() -> None:
    assert len(_modules()) >= 8


@pytest.mark.parametrize("module", _modules(), ids=lambda path: path.name)
def test_module_is_pure(module: Path) -> None:
    tree = ast.parse(module.read_text(encoding="utf-8"), filename=str(module))
    assert _problems(tree) == []


@pytest.mark.parametrize(
    "source",
    [
        "import flask",
        "from flask_babel import gettext",
        "import sqlalchemy.orm",
        "from wtforms import Form",
        "import requests",
        "import socket",
        "from pathlib import Path",
        "open('x')",
        "Path('x').read_text()",
        "frame.to_csv('x.csv')",
    ],
)
def test_checker_catches(source: str) -> None:
    assert _problems(ast.parse(source))
