"""``beistand init DIR``: an operator's own content directory, copied from the shipped content.

Layout (see :meth:`bot.content.ContentLayout.of_directory`): ``flows/``, ``knowledge/``,
``locales/``, ``schemas/``, ``conversations/`` and a commented ``.env`` whose
``BEISTAND_CONTENT_DIR`` points at the directory. The editor links
(``# yaml-language-server: $schema=...``) in the copied YAML files are rewritten to point at the
copied ``schemas/``.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from bot.content import ContentLayout, examples_dir, shipped_content
from bot.errors import ConfigError

#: the parts copied, by the attribute of :class:`ContentLayout` that names them
PARTS = ("flows", "knowledge", "locales", "schemas", "conversations")
_SCHEMA_LINK = re.compile(r"^(#\s*yaml-language-server:\s*\$schema=)(\S+)[ \t]*$", re.MULTILINE)
_CONTENT_DIR_LINE = re.compile(r"^BEISTAND_CONTENT_DIR=.*$", re.MULTILINE)
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo")


@dataclass(frozen=True, slots=True)
class InitResult:
    """What ``init`` wrote."""

    layout: ContentLayout
    files: int
    env_written: bool
    #: the example local layer copied into ``local/`` (``--example``), or ""
    example: str = ""


def _fix_schema_links(path: Path, schemas: Path) -> None:
    """Point a YAML file's editor schema link at ``schemas/`` (relative, so the folder can move)."""
    text = path.read_text(encoding="utf-8")

    def relink(match: re.Match[str]) -> str:
        name = match.group(2).rsplit("/", 1)[-1]
        relative = os.path.relpath(schemas / name, path.parent)
        return match.group(1) + Path(relative).as_posix()

    fixed = _SCHEMA_LINK.sub(relink, text)
    if fixed != text:
        path.write_text(fixed, encoding="utf-8")


def settings_text(template: str, content_dir: Path) -> str:
    """The ``.env`` for a content directory: the commented template with
    ``BEISTAND_CONTENT_DIR`` set (added after the header comments if the template lacks it)."""
    line = f"BEISTAND_CONTENT_DIR={content_dir}"
    if _CONTENT_DIR_LINE.search(template):
        return _CONTENT_DIR_LINE.sub(lambda _m: line, template, count=1)
    lines = template.splitlines(keepends=True)
    # beside the other content settings if the template has them, else after its header
    head = next((i for i, text in enumerate(lines) if text.startswith("# Content dir")), None)
    if head is None:
        head = 0
        while head < len(lines) and lines[head].startswith("#"):
            head += 1
    block = [
        "# The content directory made by `beistand init` (flows/, knowledge/, locales/,\n",
        "# conversations/); BEISTAND_FLOWS, BEISTAND_KNOWLEDGE, BEISTAND_LOCALES override parts.\n",
        line + "\n",
        "\n",
    ]
    return "".join(lines[:head] + block + lines[head:])


def examples() -> list[str]:
    """The names of the example local layers that come with Beistand."""
    root = examples_dir()
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def _copy_example(name: str, layout: ContentLayout) -> int:
    """Copy the example local layer ``name`` into ``layout.local``; the number of files."""
    assert layout.local is not None
    shutil.copytree(examples_dir() / name, layout.local, ignore=_IGNORE, dirs_exist_ok=True)
    files = 0
    for path in sorted(layout.local.rglob("*")):
        if path.is_file():
            files += 1
            if path.suffix in (".yaml", ".yml"):
                _fix_schema_links(path, layout.schemas)
    return files


def init_directory(target: Path, force: bool = False, example: str = "") -> InitResult:
    """Write a copy of the shipped content and a commented ``.env`` into ``target``.

    Raises :class:`ConfigError` for a non-empty ``target`` (unless ``force``) or one that is
    not a directory. With ``force`` the shipped files replace those of the same name; an existing
    ``.env`` is never replaced (it may hold the secret that keys every stored conversation).
    ``example`` names an example local layer (``examples/<name>``) to copy into ``local/``.
    """
    target = target.expanduser().absolute()
    if example and example not in examples():
        known = ", ".join(examples()) or "(none)"
        raise ConfigError(f"no example {example!r}; examples: {known}")
    if target.exists() and not target.is_dir():
        raise ConfigError(f"{target} exists and is not a directory")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise ConfigError(
            f"{target} is not empty; choose an empty or new directory, or pass --force to "
            "overwrite the shipped files in it (an existing .env is kept)"
        )
    shipped = shipped_content()
    layout = ContentLayout.of_directory(target)
    target.mkdir(parents=True, exist_ok=True)
    files = 0
    for part in PARTS:
        source: Path = getattr(shipped, part)
        destination: Path = getattr(layout, part)
        shutil.copytree(source, destination, ignore=_IGNORE, dirs_exist_ok=True)
        for path in sorted(destination.rglob("*")):
            if not path.is_file():
                continue
            files += 1
            if path.suffix in (".yaml", ".yml"):
                _fix_schema_links(path, layout.schemas)
    if example:
        files += _copy_example(example, layout)
    env_written = not layout.settings_file.exists()
    if env_written:
        text = settings_text(shipped.settings_file.read_text(encoding="utf-8"), target)
        # the operator puts the secret and the channel tokens here: owner only
        fd = os.open(layout.settings_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    return InitResult(layout, files, env_written, example)


def next_steps(result: InitResult) -> list[str]:
    """What to tell the operator after ``init``."""
    root = result.layout.root
    env = result.layout.settings_file
    lines = [f"wrote {result.files} files into {root}"]
    lines.append(f"wrote {env} (mode 0600)" if result.env_written else f"kept the existing {env}")
    lines += [
        "",
        "Next:",
        f"  1. edit {env}: set BEISTAND_SECRET (python3 -c 'import secrets; "
        "print(secrets.token_hex(32))') and the channel settings",
        f"  2. run beistand in {root} (it reads ./.env there), or set BEISTAND_ENV_FILE={env};",
        f"     BEISTAND_CONTENT_DIR={root} alone selects the content",
        "  3. edit flows/, knowledge/ and locales/ there; check with: beistand validate",
        "  4. run the conversation tests (conversations/): beistand test",
        "  5. after changing texts, update the catalogs: beistand translations",
        "  6. start the bot: beistand run",
    ]
    if result.example:
        lines += [
            "",
            f"The example local layer {result.example!r} is in {result.layout.local}: its regions",
            "and contacts are fictitious. Replace them with your own or delete the folder before",
            "going live (docs/kommunen.md).",
        ]
    return lines


__all__ = ["PARTS", "InitResult", "examples", "init_directory", "next_steps", "settings_text"]
