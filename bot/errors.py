"""The one exception root of Beistand and its branches.

Expected outcomes (a stale button, free text where a choice is expected) are values returned by the
engine, not exceptions. Exceptions are for misconfiguration, bad content files and bugs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """A place in a content file; line and column count from 1."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class BotError(Exception):
    """Root of every error Beistand raises on purpose."""


class ConfigError(BotError):
    """The settings (environment, command line) are missing or wrong."""


class ContentError(BotError):
    """Flows or knowledge did not validate; carries every problem found."""

    def __init__(self, problems: tuple[Problem, ...]) -> None:
        self.problems = problems
        errors = sum(1 for p in problems if p.severity == "error")
        super().__init__(f"{errors} error(s) in flows or knowledge")


class StorageError(BotError):
    """The store failed in a way the caller cannot repair."""


class Redelivered(StorageError):
    """A step's event id was recorded before (a platform delivered it again): the step's
    writes were not made; the runtime drops the step and its reply."""


class TransportError(BotError):
    """A messenger platform rejected a call or could not be reached."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding of validation, printed as ``FILE:LINE:COL: severity: message``."""

    location: SourceLocation
    message: str
    severity: str = "error"  # "error", "warning" or "note" (why other checks were left out)

    def __str__(self) -> str:
        return f"{self.location}: {self.severity}: {self.message}"
