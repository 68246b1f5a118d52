"""Build step: copy the shipped content into the wheel as package data (``bot/_content/``).

The source tree keeps its top-level layout (``flows/``, ``knowledge/``, ``locales/``,
``schemas/``, ``tests/conversations/``, ``examples/``) so developers edit those folders
directly; only the build directory gets the copy, so ``git status`` stays clean.
``bot.content.shipped_content`` finds the copy in an installed package and the top-level
folders in a checkout. An editable install keeps using the top-level folders, so the copy is
skipped there.

setuptools has no declarative way to place folders from outside the package inside it, hence this
small ``build_py`` subclass (all other metadata lives in pyproject.toml).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
#: folder inside ``bot/_content/`` -> source in the checkout
CONTENT = {
    "flows": "flows",
    "knowledge": "knowledge",
    "locales": "locales",
    "schemas": "schemas",
    "conversations": "tests/conversations",
    # the example local layers (docs/kommunen.md), e.g. examples/musterland
    "examples": "examples",
    "surveys": "surveys",
}
#: single files: name inside ``bot/_content/`` -> source
FILES = {"env.example": ".env.example"}
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", "*~", ".*.swp")


class BuildWithContent(build_py):
    """``build_py`` that also copies the shipped content into ``bot/_content/``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "bot" / "_content"
        if target.exists():
            shutil.rmtree(target)
        for name, source in CONTENT.items():
            shutil.copytree(HERE / source, target / name, ignore=IGNORE)
        for name, source in FILES.items():
            shutil.copy2(HERE / source, target / name)


setup(cmdclass={"build_py": BuildWithContent})
