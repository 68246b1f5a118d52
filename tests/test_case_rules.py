"""The case rules without a store: who is told in which circle, escalation, claim, close, limits."""

from __future__ import annotations

from dataclasses import replace

from bot.engine.state import CaseContext
from bot.handoff import rules
from bot.handoff.rules import LAND, LOCAL, NATION, NOBODY, HandoffSettings
from bot.ports import (
    AddCase,
    Audit,
    Block,
    CaseRecord,
    ChangeCase,
    ContactRecord,
    CountOpen,
    DropUserNotices,
    Notify,
    Told,
)

SETTINGS = HandoffSettings()
KEY, NEW = b"u" * 32, b"n" * 32
CASE = CaseRecord("AB12-CD", KEY, "threat", "high", "BY", "open", None, 0, b"route", "de", 1000)


def person(
    cid: int,
    lands: tuple[str, ...],
    topics: tuple[str, ...] = ("threat",),
    regions: tuple[str, ...] = (),
    role: str = "contact",
) -> ContactRecord:
    return ContactRecord(
        cid, f"P{cid}", lands, topics, "matrix", f"@{cid}:x", f"r{cid}", "de", True, regions, role
    )


BY, NW, DE, HATE = (
    person(1, ("BY",)),
    person(2, ("NW",)),
    person(3, ("DE",)),
    person(4, ("BY",), ("hate",)),
)


def notified(writes: tuple[object, ...]) -> list[int | None]:
    return [w.contact_id for w in writes if isinstance(w, Notify) and w.kind == "new"]


def test_opening_tells_the_lands_contacts_for_the_topic() -> None:
    writes = rules.open_case(CASE, [BY, NW, DE, HATE], SETTINGS)
    assert isinstance(writes[0], AddCase) and writes[0].case.circle == LOCAL
    assert notified(writes) == [1]
    assert Told("AB12-CD", 1) in writes
    change = next(w for w in writes if isinstance(w, ChangeCase))
    # no region: the local circle is passed over, the Land's contacts come first
    assert change.changes == (("circle", LAND), ("escalate_at", 1000 + 10 * 60))
    assert [w.event for w in writes if isinstance(w, Audit)] == ["case.opened"]


def test_without_a_land_the_nationwide_contacts_come_first() -> None:
    assert notified(rules.open_case(replace(CASE, land="none"), [BY, DE], SETTINGS)) == [3]


def test_the_nation_circle_is_everyone_for_the_topic_then_nobody_free() -> None:
    first = replace(CASE, circle=LAND)
    second = rules.escalate(first, {1}, [BY, NW, DE, HATE], 2000, SETTINGS)
    assert notified(second) == [2, 3]
    assert ("circle", NATION) in next(w for w in second if isinstance(w, ChangeCase)).changes
    assert [w.event for w in second if isinstance(w, Audit)] == ["case.escalated"]
    last = rules.escalate(replace(CASE, circle=NATION), {1, 2, 3}, [BY, NW, DE], 3000, SETTINGS)
    assert [w.kind for w in last if isinstance(w, Notify)] == ["nobody"]
    assert ChangeCase("AB12-CD", (("circle", NOBODY), ("escalate_at", None))) in last


LOCAL_CASE = replace(CASE, land="SN", region="14999")
MUSTERLAND = person(10, ("SN",), ("all",), ("14999",))
MUSTERSTADT = person(11, ("SN",), ("all",), ("14998",))
SACHSEN = person(12, ("SN",))
MELDESTELLE = person(13, ("SN",), ("all",), ("14999",), "meldestelle")
EVERYONE = [MUSTERLAND, MUSTERSTADT, SACHSEN, MELDESTELLE, BY, DE]


def circle_of(writes: tuple[object, ...]) -> object:
    change = next(w for w in writes if isinstance(w, ChangeCase))
    return dict(change.changes)["circle"]


def test_a_local_case_asks_the_region_then_the_land_then_the_nation() -> None:
    opened = rules.open_case(LOCAL_CASE, EVERYONE, SETTINGS)
    assert notified(opened) == [10] and circle_of(opened) == LOCAL
    land = rules.escalate(replace(LOCAL_CASE, circle=LOCAL), {10}, EVERYONE, 2000, SETTINGS)
    # the Land circle: Sachsen's contacts not told yet (the other region's local contact too)
    assert notified(land) == [11, 12] and circle_of(land) == LAND
    nation = rules.escalate(
        replace(LOCAL_CASE, circle=LAND), {10, 11, 12}, EVERYONE, 3000, SETTINGS
    )
    assert notified(nation) == [1, 3] and circle_of(nation) == NATION
    told = {10, 11, 12, 1, 3}
    last = rules.escalate(replace(LOCAL_CASE, circle=NATION), told, EVERYONE, 4000, SETTINGS)
    assert [w.kind for w in last if isinstance(w, Notify)] == ["nobody"]
    assert circle_of(last) == NOBODY


def test_a_region_without_a_local_contact_starts_with_the_land() -> None:
    opened = rules.open_case(replace(LOCAL_CASE, region="14998"), [MUSTERLAND, SACHSEN], SETTINGS)
    assert notified(opened) == [10, 12] and circle_of(opened) == LAND


def test_a_local_contact_is_not_asked_for_a_case_without_its_region() -> None:
    elsewhere = replace(LOCAL_CASE, region="none")
    opened = rules.open_case(elsewhere, [MUSTERLAND, SACHSEN], SETTINGS)
    assert circle_of(opened) == LAND  # the local contact is one of Sachsen's, asked there
    assert notified(opened) == [10, 12]
    other_topic = replace(person(14, ("SN",), ("hate",), ("14999",)))
    assert notified(rules.open_case(LOCAL_CASE, [other_topic, SACHSEN], SETTINGS)) == [12]


def test_a_meldestelle_never_gets_handoff_cases() -> None:
    for circle in (LOCAL, LAND, NATION):
        assert not rules.in_circle(MELDESTELLE, LOCAL_CASE, circle)
    only = rules.open_case(LOCAL_CASE, [MELDESTELLE], SETTINGS)
    assert notified(only) == [] and circle_of(only) == NOBODY


def test_away_and_unregistered_contacts_are_not_told() -> None:
    away = replace(BY, available=False)
    invited = replace(person(5, ("BY",)), account=None)
    assert notified(rules.escalate(CASE, set(), [away, invited], 1000, SETTINGS)) == []


def test_first_claim_wins_only_for_those_told() -> None:
    outcome, writes = rules.claim(replace(CASE, circle=LAND), {1, 3}, 1, 1500)
    assert outcome == "won"
    kinds = [(w.kind, w.contact_id) for w in writes if isinstance(w, Notify)]
    assert kinds == [("claimed", None), ("taken", 3)]
    claimed = replace(CASE, status="claimed", contact_id=1)
    assert rules.claim(claimed, {1, 3}, 3, 1600) == ("taken", ())
    assert rules.claim(claimed, {1, 3}, 1, 1600) == ("yours", ())
    assert rules.claim(claimed, {1, 3}, 9, 1600) == ("unknown", ())
    assert rules.claim(None, set(), 1, 1600) == ("unknown", ())
    assert rules.claim(replace(CASE, status="closed"), {1}, 1, 1600) == ("closed", ())


def test_closing_tells_the_other_side_and_erasure_unlinks() -> None:
    by_user = rules.close(
        replace(CASE, status="claimed", contact_id=1), {1, 3}, "user", "user", 9, NEW
    )
    assert [(w.kind, w.contact_id) for w in by_user if isinstance(w, Notify)] == [
        ("ended_by_user", 1)
    ]
    erased = rules.close(CASE, {1, 3}, "erased", "user", 9, NEW)
    assert [(w.kind, w.contact_id) for w in erased if isinstance(w, Notify)] == [
        ("withdrawn", 1),
        ("withdrawn", 3),
    ]
    change = next(w for w in erased if isinstance(w, ChangeCase))
    assert ("user_key", NEW) in change.changes and ("user_route", None) in change.changes
    by_contact = rules.close(replace(CASE, status="claimed"), set(), "contact", "contact", 9, NEW)
    assert [w.kind for w in by_contact if isinstance(w, Notify)] == ["ended_by_contact"]
    assert rules.close(replace(CASE, status="closed"), {1}, "user", "user", 9, NEW) == ()
    unlinked = rules.unlink([CASE], [NEW])
    assert unlinked[0] == DropUserNotices(("AB12-CD",))


def test_abuse_blocks_and_only_the_holder_may_finish() -> None:
    claimed = replace(CASE, status="claimed", contact_id=1)
    assert rules.finish(claimed, 2, "close", 9, SETTINGS, NEW) == (False, ())
    closed, writes = rules.finish(claimed, 1, "abuse", 9, SETTINGS, NEW)
    assert closed and Block(KEY, 9 + 30 * 86400) in writes


def test_limits_and_context() -> None:
    assert rules.context([replace(CASE, status="claimed")], False, 0, SETTINGS, "X") == (
        CaseContext(code="AB12-CD", claimed=True)
    )
    assert rules.context([], True, 0, SETTINGS, "X") == CaseContext(refusal="blocked")
    done = [replace(CASE, code=f"C{i}", status="closed") for i in range(3)]
    assert rules.context(done, False, 3, SETTINGS, "X") == CaseContext(refusal="limit")
    # the limit counts opens by the limit key, not the cases (which /loeschen unlinks)
    assert rules.context([], False, 3, SETTINGS, "X") == CaseContext(refusal="limit")
    assert rules.context(done, False, 2, SETTINGS, "X") == CaseContext(new_code="X")


def test_opening_counts_against_the_limit_key_and_closing_drops_it() -> None:
    limited = replace(CASE, status="open", circle=0, limit_key=b"L" * 32)
    writes = rules.open_case(limited, [], SETTINGS)
    assert CountOpen(b"L" * 32, CASE.created_at) in writes
    closed = rules.close(
        replace(limited, status="claimed", contact_id=1), set(), "contact", "contact", 9, NEW
    )
    change = next(w for w in closed if isinstance(w, ChangeCase))
    assert ("limit_key", None) in change.changes
    _, abuse = rules.finish(
        replace(limited, status="claimed", contact_id=1), 1, "abuse", 9, SETTINGS, NEW
    )
    assert Block(b"L" * 32, 9 + 30 * 86400) in abuse
