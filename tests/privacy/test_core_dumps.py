"""Core dumps (security.md, test 1: "core dumps"): the bot's memory never lands in a core file.

The machine's ``core_pattern`` decides where a core would go; with a plain file name (the kernel's
default, ``core``) a crashing process writes it into its working directory. The baseline shows that
such a core holds what the process had in memory; the bot's own process leaves none.
"""

from __future__ import annotations

import os
import resource
import select
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

BEISTAND = Path(sys.executable).with_name("beistand")
PATTERN = Path("/proc/sys/kernel/core_pattern")


def _allow_cores() -> None:  # runs in the child before exec: an operator's "ulimit -c unlimited"
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def _cores(directory: Path) -> list[Path]:
    return [p for p in directory.iterdir() if p.name.startswith("core")]


def _cores_land_here() -> bool:
    return PATTERN.exists() and PATTERN.read_text().strip().startswith("core")


def test_switching_core_dumps_off_in_this_process_shape():
    code = (
        "from bot.hardening import dumpable, no_core_dumps\n"
        "import resource\n"
        "before = dumpable()\n"
        "ok = no_core_dumps()\n"
        "print(before, ok, dumpable(), resource.getrlimit(resource.RLIMIT_CORE))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        preexec_fn=_allow_cores,
    )
    assert result.stdout.split(maxsplit=3) == ["True", "True", "False", "(0, 0)\n"]


def test_a_crashing_bot_leaves_no_core_while_a_plain_process_does(tmp_path: Path):
    canary = f"CNRY-{uuid.uuid4()}"
    plain = tmp_path / "plain"
    plain.mkdir()
    baseline = subprocess.run(
        [sys.executable, "-c", f"import os; kept = {canary!r} * 4; os.abort()"],
        cwd=plain,
        capture_output=True,
        preexec_fn=_allow_cores,
    )
    assert baseline.returncode == -signal.SIGABRT
    if _cores_land_here():  # the scan would see a core: the baseline proves it
        (core,) = _cores(plain)
        assert canary.encode() in core.read_bytes()

    bot = tmp_path / "bot"
    bot.mkdir()
    env = {**os.environ, "BEISTAND_DATA_DIR": str(bot)}
    with subprocess.Popen(
        [str(BEISTAND), "chat", "--db", str(bot / "chat.db")],
        cwd=bot,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        preexec_fn=_allow_cores,
    ) as process:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(f"{canary}\n/hilfe\n".encode())  # the help comes after the canary
        process.stdin.flush()
        deadline = time.monotonic() + 60
        seen = b""
        while b"/loeschen" not in seen and time.monotonic() < deadline:
            if select.select([process.stdout], [], [], 1.0)[0]:
                seen += process.stdout.read1(4096)
        assert b"/loeschen" in seen, "the bot did not answer"
        limits = Path(f"/proc/{process.pid}/limits").read_text()
        process.send_signal(signal.SIGABRT)
        assert process.wait(30) == -signal.SIGABRT
    assert _cores(bot) == []
    core_line = next(line for line in limits.splitlines() if line.startswith("Max core file size"))
    assert core_line.split()[4:6] == ["0", "0"]
