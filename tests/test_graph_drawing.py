"""``beistand graph``: broken flows are drawn with their broken edges marked, labels are whole,
and SVG or a self-contained HTML page can be written (issue 16)."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import BASIC


def args_for(root: Path) -> list[str]:
    return ["--flows", str(root / "flows"), "--knowledge", str(BASIC / "knowledge"),
            "--locales", str(BASIC / "locales")]  # fmt: skip


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    shutil.copytree(BASIC / "flows", tmp_path / "flows")
    demo = tmp_path / "flows" / "demo.yaml"
    demo.write_text(
        demo.read_text(encoding="utf-8").replace("next: tipps", "next: tips"), encoding="utf-8"
    )
    return tmp_path


def test_broken_flow_is_drawn_with_the_broken_edge_marked(
    broken: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["graph", "demo", *args_for(broken)]) == 0
    out, err = capsys.readouterr()
    assert 'n_land -.->|"each Land"| n_missing__tips' in out
    assert 'n_missing__tips[/"missing node tips"\\]' in out
    assert "flows/demo.yaml:20:11: error: node 'land': unknown node 'tips'" in err


def test_dot_marks_broken_edges_and_wraps_labels(
    broken: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["graph", "demo", "--format", "dot", *args_for(broken)]) == 0
    out = capsys.readouterr().out
    assert '"land" -> "missing:tips" [label="each Land", color=red, style=dashed' in out


@pytest.mark.parametrize("fmt", ["svg", "html"])
def test_svg_and_html(broken: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    assert main(["graph", "demo", "--format", fmt, *args_for(broken)]) == 0
    out = capsys.readouterr().out
    svg = out if fmt == "svg" else out[out.index("<svg") : out.index("</svg>") + 6]
    root = ET.fromstring(svg)  # well-formed
    ns = "{http://www.w3.org/2000/svg}"
    broken_paths = [p for p in root.iter(f"{ns}path") if "broken" in p.get("class", "")]
    assert len(broken_paths) == 1
    nodes = {g.get("data-node") for g in root.iter(f"{ns}g")}
    assert {"frage", "land", "schluss", "missing:tips"} <= nodes
    texts = " ".join(t.text or "" for t in root.iter(f"{ns}text"))
    assert "Wie kam die Drohung?" in texts
    if fmt == "html":
        assert out.startswith("<!DOCTYPE html>")
        assert "unknown node &#x27;tips&#x27;" in out
        assert "<script" not in out and "http://" not in out.replace(ns[1:-1], "")


def test_long_labels_are_not_cut(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(BASIC / "flows", tmp_path / "flows")
    long = "Ein sehr langer Text, " * 8 + "und das Ende."
    demo = tmp_path / "flows" / "demo.yaml"
    demo.write_text(
        demo.read_text(encoding="utf-8").replace("Auf Wiedersehen.", long), encoding="utf-8"
    )
    assert main(["graph", "demo", *args_for(tmp_path)]) == 0
    assert "und das Ende." in capsys.readouterr().out


def test_a_file_that_did_not_load_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(BASIC / "flows", tmp_path / "flows")
    (tmp_path / "flows" / "demo.yaml").write_text("id: demo\ntitle: a: b\n", encoding="utf-8")
    assert main(["graph", "demo", *args_for(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "demo.yaml:2:9: error: YAML syntax: a colon" in err
    assert "flow 'demo' cannot be drawn:" in err and "nothing was started" not in err


def test_content_error_wording_outside_run(
    capsys: pytest.CaptureFixture[str], broken: Path
) -> None:
    assert main(["test", *args_for(broken)]) == 1
    err = capsys.readouterr().err
    assert "nothing was done" in err and "nothing was started" not in err
