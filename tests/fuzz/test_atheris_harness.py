"""The atheris harness (benchmarks/fuzz_loader.py) in a short run: it fuzzes the loader, prints its
figures and exits 0 only when no input raised or took too long. The full run of 10^6 executions
is done by hand (docs/testing.md); this keeps the harness working and catches the easy finds."""

from __future__ import annotations

import importlib.util
import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import unavailable

HARNESS = Path(__file__).resolve().parents[2] / "benchmarks" / "fuzz_loader.py"
RUNS = 20_000

pytestmark = pytest.mark.fuzz


@pytest.fixture(autouse=True)
def _atheris() -> None:
    """atheris is a dev dependency on Linux x86-64 only: missing there, CI fails (never skips)."""
    if importlib.util.find_spec("atheris") is not None:
        return
    if (platform.system(), platform.machine()) == ("Linux", "x86_64"):
        unavailable("atheris is not installed (./dev test installs the dev dependencies)")
    pytest.skip("atheris is a dev dependency only on Linux x86-64")


def run_harness(*args: str, cwd: Path) -> tuple[int, dict[str, str], str]:
    proc = subprocess.run(
        [sys.executable, str(HARNESS), "--artifacts", str(cwd / "artifacts"), *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
        check=False,
    )
    report = proc.stdout.split("== fuzz_loader figures", 1)
    assert len(report) == 2, proc.stdout[-2000:] + proc.stderr[-4000:]
    figures = dict(re.findall(r"^([a-z/ ]+): (.+)$", report[1], re.MULTILINE))
    return proc.returncode, figures, proc.stdout + proc.stderr[-4000:]


def test_a_short_fuzzing_run_finds_no_crash_and_no_slow_input(tmp_path):
    code, figures, output = run_harness(
        "--runs", str(RUNS), "--max-len", "256", "--", "-seed=1", cwd=tmp_path
    )
    assert code == 0, output
    assert int(figures["executions"]) == RUNS
    assert figures["distinct crashes"] == "0"
    assert figures["inputs over the limit"].startswith("0 ")
    assert float(figures["executions/s"]) > 0
    slowest_cpu = float(figures["slowest input"].split(" ms CPU")[0])
    assert 0 < slowest_cpu < 1000
    assert int(figures["problems reported"]) > RUNS  # most inputs are broken on purpose
    assert "alias bomb refused in" in output
    assert not (tmp_path / "artifacts").exists() or not any((tmp_path / "artifacts").iterdir())


def test_an_input_over_the_limit_fails_the_run_and_is_kept(tmp_path):
    seed = tmp_path / "menu.yaml"
    seed.write_bytes((HARNESS.parents[1] / "flows" / "menu.yaml").read_bytes())
    code, figures, _output = run_harness("--reproduce", str(seed), "--limit", "0", cwd=tmp_path)
    assert code == 1
    assert figures["inputs over the limit"].startswith("1 ")
    saved = list((tmp_path / "artifacts").glob("slow-*"))
    assert [p.read_bytes() for p in saved] == [seed.read_bytes()]
