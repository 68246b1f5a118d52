"""Loading the knowledge base: ``knowledge/*.yaml`` into frozen :class:`~bot.flow.model.Service`
objects and the region and topic vocabulary, collecting every problem."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, time
from pathlib import Path

from bot.errors import Problem, SourceLocation
from bot.flow import schema
from bot.flow.calendars import HolidayDates
from bot.flow.loader import display_name
from bot.flow.local_loader import (
    check_local_service,
    load_regions,
    services_files,
    unquoted_key,
)
from bot.flow.model import (
    Closure,
    ContactWay,
    Hours,
    Knowledge,
    LocalRegion,
    Region,
    Service,
    Source,
)
from bot.flow.yamlsafe import YMap, YNode, YScalar, YSeq, parse_file, text_of
from bot.knowledge import NATIONAL

TAXONOMY_FILE = "taxonomy.yaml"
#: A check older than this many days is reported as a warning.
STALE_AFTER_DAYS = 365


def _closures(node: YNode | None) -> tuple[Closure, ...]:
    found: list[Closure] = []
    if isinstance(node, YSeq):
        for item in node.items:
            assert isinstance(item, YMap)
            first = date.fromisoformat(text_of(item.get("from")))
            last_node = item.get("to")
            last = date.fromisoformat(text_of(last_node)) if last_node is not None else first
            note = item.get("note")
            found.append(
                Closure(first, last, text_of(note) if note is not None else "", loc=item.loc)
            )
    return tuple(found)


def _clock(text: str) -> time:
    return time(23, 59, 59) if text == "24:00" else time.fromisoformat(text)


def _service(node: YMap) -> Service:
    contacts = node.get("contacts")
    assert isinstance(contacts, YSeq)
    ways: list[ContactWay] = []
    for c in contacts.items:
        assert isinstance(c, YMap)
        kind = next(k for k in c if k in schema.CONTACT.kinds)
        note = c.get("note")
        ways.append(
            ContactWay(kind, text_of(c.get(kind)), text_of(note) if note is not None else "")
        )
    hours_node = node.get("hours")
    hours: list[Hours] = []
    if isinstance(hours_node, YSeq):
        for h in hours_node.items:
            assert isinstance(h, YMap)
            days_node = h.get("days")
            assert isinstance(days_node, YSeq)
            days = tuple(schema.DAYS.index(text_of(d)) for d in days_node.items)
            hours.append(Hours(days, _clock(text_of(h.get("from"))), _clock(text_of(h.get("to")))))
    sources = node.get("sources")
    assert isinstance(sources, YSeq)
    note = node.get("hours_note")
    verified = node.get("verified")
    calendar = node.get("holidays")
    kind_node = node.get("kind")
    return Service(
        id=text_of(node.get("id")),
        name=text_of(node.get("name")),
        summary=text_of(node.get("summary")),
        topics=tuple(text_of(t) for t in node.seq("topics")),
        regions=tuple(text_of(r) for r in node.seq("regions")),
        contacts=tuple(ways),
        sources=tuple(
            Source(text_of(s.get("url")), date.fromisoformat(text_of(s.get("checked"))))
            for s in sources.items
            if isinstance(s, YMap)
        ),
        verified=isinstance(verified, YScalar) and verified.value is True,
        loc=node.loc,
        always_open=isinstance(hours_node, YScalar) and hours_node.value == "24/7",
        hours=tuple(hours),
        hours_note=text_of(note) if note is not None else "",
        holidays=text_of(calendar) if calendar is not None else "",
        closures=_closures(node.get("closures")),
        kind=text_of(kind_node) if kind_node is not None else "",
    )


def _check_service(svc: Service, today: date) -> list[Problem]:
    problems: list[Problem] = []
    for c in svc.closures:
        if c.last < c.first:
            problems.append(
                Problem(c.loc, f"service {svc.id!r}: closure ends ({c.last}) before it starts")
            )
    if (svc.holidays or svc.closures) and not svc.hours:
        problems.append(
            Problem(
                svc.loc,
                f"service {svc.id!r}: holidays and closures need opening windows under 'hours'",
            )
        )
    for h in svc.hours:
        if h.closes <= h.opens:
            problems.append(
                Problem(svc.loc, f"service {svc.id!r}: opening window ends before it starts")
            )
    for src in svc.sources:
        if src.checked > today:
            problems.append(
                Problem(svc.loc, f"service {svc.id!r}: check date {src.checked} is in the future")
            )
        elif (today - src.checked).days > STALE_AFTER_DAYS:
            problems.append(
                Problem(
                    svc.loc,
                    f"service {svc.id!r}: last checked {src.checked}, over a year ago",
                    "warning",
                )
            )
    return problems


#: A parsed content file: its located tree (None if unusable) and the problems found so far.
Parsed = tuple[YNode | None, list[Problem]]


def load_knowledge(
    directory: Path, today: date | None = None, local: Path | None = None
) -> tuple[Knowledge, list[Problem]]:
    """Load the taxonomy and every services file, with the problems found; with ``local`` (the
    deployment's local layer) also its ``regions.yaml`` and services files.

    The knowledge holds whatever was valid, so flows can still be cross-checked against it; the
    caller decides from the problems whether it may be used.
    """
    tax_path = directory / TAXONOMY_FILE
    taxonomy = parse_file(tax_path, display_name(tax_path)) if tax_path.is_file() else None
    services = [
        parse_file(path, display_name(path))
        for path in sorted(directory.glob("*.y*ml"))
        if path.name != TAXONOMY_FILE
    ]
    local_regions: tuple[LocalRegion, ...] = ()
    region_problems: list[Problem] = []
    if local is not None:
        local_regions, region_problems = load_regions(local)
        services += [parse_file(path, display_name(path)) for path in services_files(local)]
    knowledge, problems = build_knowledge(taxonomy, services, today, local_regions)
    problems[:0] = region_problems
    if local is not None and not local.is_dir():
        problems.insert(
            0, Problem(SourceLocation(str(local), 1, 1), "local layer directory not found")
        )
    if taxonomy is None:
        missing = SourceLocation(display_name(tax_path), 1, 1)
        problems.insert(0, Problem(missing, "taxonomy file is missing"))
    return knowledge, problems


def build_knowledge(
    taxonomy: Parsed | None,
    services_files: Sequence[Parsed],
    today: date | None = None,
    local_regions: tuple[LocalRegion, ...] = (),
) -> tuple[Knowledge, list[Problem]]:
    """The knowledge from a parsed taxonomy (None if there is none), parsed services files and
    the local layer's regions, as :func:`load_knowledge` builds it; the parsed values are not
    changed."""
    today = today or date.today()
    problems: list[Problem] = []
    regions: list[Region] = []
    topics: list[str] = []
    labels: dict[str, str] = {}
    if taxonomy is not None:
        tree, found = taxonomy
        problems.extend(found)
        if tree is not None:
            checker = schema.Checker()
            if checker.check(tree, schema.TAXONOMY_FILE, "taxonomy") and isinstance(tree, YMap):
                regions = [
                    Region(text_of(r.get("code")), text_of(r.get("label")))
                    for r in tree.seq("regions")
                    if isinstance(r, YMap)
                ]
                topics = [text_of(t.get("id")) for t in tree.seq("topics") if isinstance(t, YMap)]
                labels = {
                    text_of(t.get("id")): text_of(t.get("label"))
                    for t in tree.seq("topics")
                    if isinstance(t, YMap)
                }
            problems.extend(checker.problems)
    services: dict[str, Service] = {}
    for tree, found in services_files:
        problems.extend(found)
        if tree is None:
            continue
        checker = schema.Checker()
        checker.check(tree, schema.SERVICES_FILE, "services file")
        problems.extend(checker.problems)
        if checker.problems or not isinstance(tree, YMap):
            continue
        for item in tree.seq("services"):
            assert isinstance(item, YMap)
            svc = _service(item)
            if svc.holidays:
                svc = replace(svc, holiday_dates=HolidayDates.around(svc.holidays, today))
            if svc.id in services:
                first = services[svc.id].loc
                problems.append(
                    Problem(
                        item.key_loc("id"), f"duplicate service id {svc.id!r} (first at {first})"
                    )
                )
                continue
            services[svc.id] = svc
            problems.extend(_check_service(svc, today))
            problems.extend(_check_vocabulary(item, svc, regions, topics, local_regions))
            problems.extend(check_local_service(item, svc))
    knowledge = Knowledge(services, tuple(regions), tuple(topics), labels, local_regions)
    return knowledge, problems


def _check_vocabulary(
    item: YMap,
    svc: Service,
    regions: list[Region],
    topics: list[str],
    local_regions: tuple[LocalRegion, ...] = (),
) -> list[Problem]:
    problems: list[Problem] = []
    codes = [r.code for r in regions] + [NATIONAL]
    keys = [r.ags for r in local_regions]
    places = {text_of(n): n.loc for n in item.seq("regions") if isinstance(n, YScalar)}
    for node in item.seq("regions"):
        problems.extend(unquoted_key(node))
    for code in svc.regions:
        where = places.get(code, item.key_loc("regions"))
        if code.isdigit():
            if code not in keys:
                known = f" (regions.yaml has: {', '.join(keys)})" if keys else " (no regions)"
                hint = schema.suggest(code, keys)
                problems.append(Problem(where, f"unknown region key {code!r}{hint}{known}"))
        elif regions and code not in codes:
            hint = schema.suggest(code, codes)
            problems.append(Problem(where, f"unknown region {code!r}{hint}"))
    if topics:
        for topic in svc.topics:
            if topic not in topics:
                hint = schema.suggest(topic, topics)
                problems.append(Problem(item.key_loc("topics"), f"unknown topic {topic!r}{hint}"))
    return problems
