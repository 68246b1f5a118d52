"""Where stored conversations stand, read for ``beistand validate`` (never written).

An administrator who renames or removes a node should know before the reload that conversations
saved there will start over (the runtime tells each such user that the flow changed). The
database is opened read-only (``mode=ro``), so this works beside a running bot and changes
nothing; only counts per (flow, node) are read, no key.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from urllib.parse import quote

_POSITIONS = "SELECT flow, node, count(*) FROM conversations GROUP BY flow, node"


def saved_positions(db: Path) -> dict[tuple[str, str], int] | None:
    """How many stored conversations stand at each (flow, node); None when the file does not
    exist or cannot be read as a Beistand database."""
    if not db.is_file():
        return None
    uri = f"file:{quote(str(db.resolve()))}?mode=ro"
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=5)) as connection:
            rows = connection.execute(_POSITIONS).fetchall()
    except sqlite3.Error:
        return None
    return {(str(flow), str(node)): int(count) for flow, node, count in rows}


__all__ = ["saved_positions"]
