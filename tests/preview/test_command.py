"""``beistand preview`` as a process: the first line is its URL, the API answers there, and it
needs neither a secret nor a data directory."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest
from aiohttp import ClientSession

pytestmark = pytest.mark.channel

ROOT = Path(__file__).resolve().parents[2]


async def test_the_first_line_is_the_url(tmp_path: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("BEISTAND_", "BROWSER", "DISPLAY"))
    }
    env |= {"PYTHONPATH": str(ROOT), "BEISTAND_DATA_DIR": str(tmp_path / "data")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "preview",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode().strip()
        assert line.startswith("http://127.0.0.1:") and line.endswith("/"), line
        async with ClientSession() as http, http.get(line + "api/state") as response:
            state = json.loads(await response.text())
        assert state["ready"] and state["current"] == {"flow": "menu", "node": "auswahl"}
    finally:
        process.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 130, err.decode()
    # nothing of the service's: no data directory, no database
    assert not (tmp_path / "data").exists()
