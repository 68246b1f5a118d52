"""The shape issue 12 asks for, checked on the source ("Done when"):

- storage happens only in ``bot/storage/``: no other file under ``bot/`` mentions aiosqlite,
  imports ``sqlite3`` or holds an SQL statement in a string literal;
- no module in ``bot/`` is over 400 lines;
- the transports import nothing of the runtime, the store or the handoff (they see the core
  through ``bot.runtime_api`` only), and the core never imports ``telegram`` or ``nio``.

The import purity of the engine (``import bot.engine.step`` loads no YAML, Babel, aiosqlite,
cryptography, telegram or nio) is checked in ``tests/test_engine_purity.py``; the transports'
own layout in ``tests/test_transport_layout.py``.

The checks read the source with :mod:`ast`, so lazy imports inside functions and imports under
``TYPE_CHECKING`` count too.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOT = ROOT / "bot"
STORAGE = BOT / "storage"
TRANSPORTS = BOT / "transports"
MAX_LINES = 400

#: SQL statements as this code base writes them (keywords in capitals).
SQL = re.compile(
    r"\bSELECT\s+(?:[\w*(]|DISTINCT\b)"
    r"|\bINSERT\s+(?:OR\s+\w+\s+)?INTO\b"
    r"|\bUPDATE\s+\w+\s+SET\b"
    r"|\bDELETE\s+FROM\b"
    r"|\b(?:CREATE|DROP|ALTER)\s+(?:TABLE|INDEX|TRIGGER|VIEW)\b"
    r"|\bPRAGMA\s+\w+"
    r"|\bBEGIN\s+(?:IMMEDIATE|EXCLUSIVE|DEFERRED)\b"
)


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _modules(base: Path = BOT) -> list[Path]:
    return sorted(p for p in base.rglob("*.py") if "__pycache__" not in p.parts)


def _outside(folder: Path) -> list[Path]:
    return [p for p in _modules() if not p.is_relative_to(folder)]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package.pop()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            yield module
            # ``from bot import storage`` imports bot.storage
            yield from (f"{module}.{alias.name}" for alias in node.names)


def _within(module: str, bases: set[str]) -> bool:
    return any(module == base or module.startswith(base + ".") for base in bases)


def _within_any_import(path: Path, bases: set[str]) -> bool:
    return any(_within(module, bases) for module in _imports(path))


def _sql_literals(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        f"{_relative(path)}:{node.lineno}: {match.group(0)!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        for match in [SQL.search(node.value)]
        if match
    ]


def test_nothing_outside_the_storage_mentions_aiosqlite_or_sqlite3() -> None:
    found = [
        _relative(path)
        for path in _outside(STORAGE)
        if "aiosqlite" in path.read_text(encoding="utf-8").lower()
        or _within_any_import(path, {"sqlite3", "aiosqlite"})
    ]
    assert found == []


def test_no_sql_outside_the_storage() -> None:
    found = [hit for path in _outside(STORAGE) for hit in _sql_literals(path)]
    assert found == []


def test_the_sql_check_finds_the_stores_statements() -> None:
    """The pattern is not blind: it finds the statements the SQLite store really holds."""
    hits = [hit for path in _modules(STORAGE) for hit in _sql_literals(path)]
    for kind in ("SELECT", "INSERT", "UPDATE", "DELETE FROM", "CREATE TABLE", "PRAGMA"):
        assert any(kind in hit for hit in hits), kind


@pytest.mark.parametrize("path", _modules(), ids=_relative)
def test_no_module_in_bot_is_over_400_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{_relative(path)} has {lines} lines"


@pytest.mark.parametrize("path", _modules(TRANSPORTS), ids=_relative)
def test_a_transport_imports_nothing_of_the_runtime_the_store_or_the_handoff(path: Path) -> None:
    bad = {"bot.runtime", "bot.storage", "bot.handoff", "aiosqlite"}
    # the one exception: the SQL that erases a partner from matrix-nio's own crypto store lives
    # with the rest of the SQL in bot/storage/ and imports nothing of Beistand's store
    allowed = {"bot.storage.nio_crypto"}
    found = [m for m in _imports(path) if _within(m, bad) and not _within(m, allowed)]
    assert sorted(found) == []


@pytest.mark.parametrize("path", _outside(TRANSPORTS), ids=_relative)
def test_the_core_never_imports_a_platform_library(path: Path) -> None:
    assert sorted(m for m in _imports(path) if _within(m, {"telegram", "nio"})) == []


def test_the_import_check_sees_lazy_imports() -> None:
    """``_imports`` is not blind either: imports inside functions count, and a transport's
    platform library is found where it is used."""
    assert "bot.storage.sqlite" in set(_imports(BOT / "cli" / "service.py"))
    below = {m for path in _modules(TRANSPORTS / "telegram") for m in _imports(path)}
    assert any(_within(m, {"telegram"}) for m in below)
