"""The local layer (issue 14): finding it, loading regions.yaml and local services into the
knowledge, what validate says about a broken overlay (file:line:column), the order of the
service cards, and the example overlay's conversation tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.content import Content, ContentPaths, load_content
from bot.convtest import run_paths
from bot.flow.knowledge_loader import load_knowledge
from bot.flow.model import SERVICE_KIND_LOCAL, LocalRegion
from bot.initdir import examples, init_directory
from bot.knowledge import select
from tests.conftest import FIXTURES

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_KNOWLEDGE = ROOT / "knowledge"
MUSTERLAND = ROOT / "examples" / "musterland"
LOCAL = FIXTURES / "local"
TODAY = date(2026, 12, 7)


def problems(overlay: str) -> list[str]:
    _, found = load_knowledge(SHIPPED_KNOWLEDGE, TODAY, LOCAL / overlay)
    return [str(p).removeprefix(str(ROOT) + "/") for p in found if p.severity == "error"]


def test_a_good_overlay_loads_its_regions_and_services() -> None:
    knowledge, found = load_knowledge(SHIPPED_KNOWLEDGE, TODAY, LOCAL / "good")
    assert [p for p in found if p.severity == "error"] == []
    assert knowledge.local_regions == (
        LocalRegion("14999", "Landkreis Musterland", "SN"),
        LocalRegion("09999001", "Gemeinde Beispielhausen", "BY"),
    )
    assert knowledge.local_regions_of("SN") == (knowledge.local_regions[0],)
    assert knowledge.local_regions_of("HE") == ()
    assert knowledge.local_region("09999001") == knowledge.local_regions[1]
    assert knowledge.local_region("14998") is None
    local = knowledge.services["fixture_local"]
    assert local.kind == SERVICE_KIND_LOCAL and local.local_contact
    assert local.loc.file.endswith("tests/fixtures/local/good/services.yaml")
    assert not knowledge.services["sn_zastex"].local_contact  # shipped services keep kind ""


def test_without_a_layer_the_knowledge_has_no_regions() -> None:
    knowledge, _ = load_knowledge(SHIPPED_KNOWLEDGE, TODAY)
    assert knowledge.local_regions == ()
    assert all(not s.local_contact for s in knowledge.services.values())


@pytest.mark.parametrize(
    ("overlay", "expected"),
    [
        (
            "unknown_key",
            "tests/fixtures/local/unknown_key/services.yaml:7:24: error: unknown region key "
            "'14997' (did you mean '14999'?) (regions.yaml has: 14999, 09999001)",
        ),
        (
            "wrong_land",
            "tests/fixtures/local/wrong_land/regions.yaml:2:48: error: region '14999' "
            "(Landkreis Musterland) lies in SN by its key, not in BY",
        ),
        (
            "malformed_ags",
            "tests/fixtures/local/malformed_ags/regions.yaml:3:11: error: 'ags': '099990' is not "
            "an AGS key (5 or 8 digits, quoted)",
        ),
        (
            "unquoted_ags",
            "tests/fixtures/local/unquoted_ags/regions.yaml:2:11: error: write the AGS key in "
            'quotes ("14999"): YAML reads unquoted digits as a number, and drops leading zeros',
        ),
        (
            "duplicate_ags",
            "tests/fixtures/local/duplicate_ags/regions.yaml:4:11: error: duplicate region "
            "'14999' (first at tests/fixtures/local/duplicate_ags/regions.yaml:2:5)",
        ),
        (
            "no_sources",
            "tests/fixtures/local/no_sources/services.yaml:2:5: error: service 1 is missing the "
            "required key 'sources'",
        ),
        (
            "no_check_date",
            "tests/fixtures/local/no_check_date/services.yaml:11:9: error: 'sources' item 1 is "
            "missing the required key 'checked'",
        ),
        (
            "contact_without_region",
            "tests/fixtures/local/contact_without_region/services.yaml:7:5: error: service "
            "'fixture_local' is a local contact but names no region of regions.yaml (an AGS key)",
        ),
    ],
)
def test_validate_names_each_problem_of_an_overlay_at_its_place(
    overlay: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert problems(overlay) == [expected]


def test_a_missing_layer_directory_is_an_error(tmp_path: Path) -> None:
    _, found = load_knowledge(SHIPPED_KNOWLEDGE, TODAY, tmp_path / "gone")
    assert any("local layer directory not found" in p.message for p in found)


def test_the_layer_is_the_content_dirs_local_folder_or_the_setting(tmp_path: Path) -> None:
    assert ContentPaths().local is None  # the shipped content stays region-free
    assert ContentPaths.configured(tmp_path).local is None
    (tmp_path / "local").mkdir()
    assert ContentPaths.configured(tmp_path).local == tmp_path / "local"
    assert ContentPaths.configured(tmp_path, local=MUSTERLAND).local == MUSTERLAND
    assert ContentPaths.configured(None, local=MUSTERLAND).local == MUSTERLAND


def test_cards_by_topic_put_the_local_contact_first(musterland: Content) -> None:
    knowledge = musterland.knowledge
    ids = [s.id for s in select(knowledge, "assault", (), "SN", "14999")]
    assert ids[:3] == ["musterland_ansprechperson", "musterland_opferberatung", "sn_zastex"]
    assert "musterstadt_ansprechstelle" not in ids
    national = [s.id for s in select(knowledge, "assault", (), None)]
    assert ids[3:] == national  # then the national ones, each once
    # topic filtering holds for local services too: the counselling network has no "risk"
    risk = [s.id for s in select(knowledge, "risk", (), "SN", "14999")]
    assert risk[0] == "musterland_ansprechperson" and "musterland_opferberatung" not in risk
    # without a region nothing local is shown; a query by ids shows exactly those
    assert not any("muster" in s.id for s in select(knowledge, "assault", (), "SN"))
    fixed = select(knowledge, None, ("polizei_notruf",), "SN", "14999")
    assert [s.id for s in fixed] == ["polizei_notruf"]


def test_the_example_overlays_conversations_pass(musterland: Content) -> None:
    report = run_paths(musterland, [MUSTERLAND / "conversations"])
    assert report.problems == [], [str(p) for p in report.problems]
    assert report.failures == [], "\n".join(str(f) for f in report.failures)
    assert len(report.passed) == 16


def test_init_copies_the_example_into_local(tmp_path: Path) -> None:
    assert "musterland" in examples()
    result = init_directory(tmp_path / "content", example="musterland")
    local = tmp_path / "content" / "local"
    assert result.layout.local == local and (local / "regions.yaml").is_file()
    first = (local / "services.yaml").read_text("utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schemas/knowledge.schema.json"
    paths = ContentPaths.configured(tmp_path / "content")
    assert paths.local == local
    loaded, _ = load_content(paths)
    assert loaded is not None and len(loaded.knowledge.local_regions) == 2


def test_validate_reports_an_overlay_and_fails(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import main

    monkeypatch.chdir(ROOT)
    for name in ("BEISTAND_CONTENT_DIR", "BEISTAND_LOCAL_DIR", "BEISTAND_ENV_FILE"):
        monkeypatch.delenv(name, raising=False)
    assert main(["validate", "--local", "tests/fixtures/local/wrong_land"]) == 1
    out = capsys.readouterr().out
    assert "tests/fixtures/local/wrong_land/regions.yaml:2:48: error: region '14999'" in out
    assert main(["validate", "--local", "examples/musterland"]) == 0
    out = capsys.readouterr().out
    assert "0 error(s)" in out and "2 local regions (examples/musterland)" in out


def test_every_region_question_offers_110_in_one_step(musterland: Content) -> None:
    from bot.engine.actions import Ask
    from bot.engine.events import Choose
    from bot.engine.state import ChoosingRegion, State
    from bot.engine.step import step
    from bot.flow.model import ChoiceNode
    from tests.conftest import MONDAY_10

    asked = 0
    for flow in musterland.flows.values():
        for node in flow.nodes.values():
            if not (isinstance(node, ChoiceNode) and node.ask == "land"):
                continue
            for locale in ("de", "en"):
                state = State(flow.id, node.id, locale, turn=1)
                result = step(musterland, state, Choose(1, 12), MONDAY_10)  # SN: 13th Land
                assert result.state is not None and result.state.mode == ChoosingRegion()
                ask = [a for a in result.actions if isinstance(a, Ask)][-1]
                assert "110" in ask.options[-1].label
                danger = step(musterland, result.state, Choose(ask.turn, ask.options[-1].index),
                              MONDAY_10)  # fmt: skip
                assert any("110" in getattr(a, "text", "") for a in danger.actions)
                assert danger.state is not None and danger.state.mode == ChoosingRegion()
                asked += 1
    assert asked >= 10


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Musterland", 0),
        ("landkreis musterlnd", 0),  # a typo in a longer name
        ("Stadt Musterstadt", 1),
        ("musterstadt", 1),
        ("City of Musterstad", 1),
        ("Muster", None),  # the beginning of both names: ambiguous
        ("Stadt", None),  # only the kind of place
        ("Leipzig", None),
        ("ml", None),
    ],
)
def test_a_region_is_found_by_its_name_without_the_kind(typed: str, expected: int | None) -> None:
    from bot.engine.intent import match_place

    assert match_place(typed, ["Landkreis Musterland", "Stadt Musterstadt"]) == expected


def test_the_report_expectations_fail_where_nothing_was_sent(
    musterland: Content, tmp_path: Path
) -> None:
    """``report_sent`` and ``relayed`` fail without a Meldestelle (the hint instead) and
    on a step that sends nothing; with ``meldestelle:`` the same route sends."""
    steps = (
        "      - start: uebergriff\n"
        "      - tap: Nein, es ist vorbei\n"
        "      - tap: Ich wurde bedroht oder beleidigt\n"
        "      - tap: Bayern\n"
        "      - tap: Übergriff in meiner Verwaltung melden\n"
        "        expect: {report_sent: true}\n"
    )
    file = tmp_path / "report.yaml"
    file.write_text(
        "conversations:\n"
        f"  - name: none\n    steps:\n{steps}"
        f"  - name: not yet\n    meldestelle: Personalamt\n    steps:\n{steps}"
        "  - name: no relay\n    steps:\n      - start: uebergriff\n"
        "        expect: {relayed: true}\n",
        "utf-8",
    )
    report = run_paths(musterland, [file])
    assert not report.problems, report.problems
    messages = [f.message for f in report.failures]
    assert len(messages) == 3, messages
    assert sum("expected the report to be sent" in m for m in messages) == 2
    assert any("expected the typed text to be relayed" in m for m in messages)
