"""Public holidays and service breaks: "Jetzt erreichbar" is never shown on a day a service is
closed, the card says why and when it opens next, and the loader checks the dated exceptions."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date, datetime, time
from pathlib import Path

import pytest

from bot.content import Content, ContentPaths, load_content
from bot.engine.present import format_status
from bot.errors import SourceLocation
from bot.flow.calendars import HolidayDates, holiday_dates
from bot.flow.model import Closure, Hours, Service
from bot.i18n import Catalogs
from bot.knowledge import BERLIN, closure_on, is_open, next_opening
from tests.conftest import BASIC

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2026, 12, 3)
WEEKDAYS = (0, 1, 2, 3, 4)


def _service(calendar: str = "", closures: tuple[Closure, ...] = ()) -> Service:
    """A service open Monday to Friday 9 to 16, keeping ``calendar`` and ``closures``."""
    return Service(
        id="buero",
        name="Beratungsbüro",
        summary="Beratung werktags.",
        topics=("threat",),
        regions=("DE",),
        contacts=(),
        sources=(),
        verified=True,
        loc=SourceLocation("test", 1, 1),
        hours=(Hours(WEEKDAYS, time(9, 0), time(16, 0)),),
        holidays=calendar,
        closures=closures,
        holiday_dates=HolidayDates.around(calendar, TODAY),
    )


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture(scope="module")
def real() -> Content:
    loaded, problems = load_content(
        ContentPaths(ROOT / "flows", ROOT / "knowledge", ROOT / "locales")
    )
    assert not [p for p in problems if p.severity == "error"], problems
    return loaded


@pytest.fixture(scope="module")
def catalogs(real: Content) -> Catalogs:
    return real.catalogs


# ---------------------------------------------------------------- the calendars


def test_christmas_is_closed_for_national_and_berlin_calendars() -> None:
    for calendar in ("national", "BE", "BY"):
        assert date(2026, 12, 25) in holiday_dates(calendar, TODAY), calendar
        assert date(2026, 12, 24) not in holiday_dates(calendar, TODAY), calendar


def test_womens_day_is_a_holiday_in_berlin_only() -> None:
    assert date(2027, 3, 8) in holiday_dates("BE", TODAY)
    assert date(2027, 3, 8) not in holiday_dates("national", TODAY)
    assert date(2027, 3, 8) not in holiday_dates("BY", TODAY)
    assert date(2027, 1, 6) in holiday_dates("BY", TODAY)  # Epiphany: Bavaria, not Berlin
    assert date(2027, 1, 6) not in holiday_dates("BE", TODAY)


def test_no_calendar_no_holidays() -> None:
    assert holiday_dates("", TODAY) == frozenset()
    svc = _service()
    assert is_open(svc, at(2026, 12, 25))  # as before: without a calendar, holidays are ignored


# ---------------------------------------------------------------- the card's status


def test_holiday_is_shown_closed_with_the_next_opening(catalogs: Catalogs) -> None:
    de, en = catalogs.translator("de"), catalogs.translator("en")
    svc = _service("national")
    christmas = at(2026, 12, 25)  # a Friday, 10:00, inside the opening window
    assert not is_open(svc, christmas)
    closure = closure_on(svc, christmas.date())
    assert closure is not None and closure.holiday
    assert next_opening(svc, christmas) == at(2026, 12, 28, 9)
    status = format_status(svc, de, christmas)
    assert "Jetzt erreichbar" not in status
    assert status == "Geschlossen, heute Feiertag. Wieder erreichbar: Montag um 9:00 Uhr"
    assert format_status(svc, en, christmas) == (
        "Closed today (public holiday). Open again: Monday at 9:00"
    )
    # the day before is an ordinary working day
    assert format_status(svc, de, at(2026, 12, 24)) == "Jetzt erreichbar, bis 16:00 Uhr"


def test_berlin_holiday_closes_a_berlin_service_not_a_national_one(catalogs: Catalogs) -> None:
    de = catalogs.translator("de")
    womens_day = at(2027, 3, 8, 10, 30)  # a Monday
    berlin, national = _service("BE"), _service("national")
    assert format_status(berlin, de, womens_day) == (
        "Geschlossen, heute Feiertag. Wieder erreichbar: Dienstag um 9:00 Uhr"
    )
    assert format_status(national, de, womens_day) == "Jetzt erreichbar, bis 16:00 Uhr"


def test_a_service_break_names_its_end_and_the_next_opening(catalogs: Catalogs) -> None:
    de, en = catalogs.translator("de"), catalogs.translator("en")
    winter = Closure(date(2026, 12, 23), date(2027, 1, 5), "Winterpause")
    svc = _service("BE", (winter,))
    now = at(2026, 12, 23, 11)
    assert not is_open(svc, now)
    assert next_opening(svc, now) == at(2027, 1, 6, 9)
    assert format_status(svc, de, now) == (
        "Geschlossen, Winterpause bis 5. Januar. "
        "Wieder erreichbar: Mittwoch, 6. Januar, um 9:00 Uhr"
    )
    # the note is a content text: untranslated it stays German, the frame is English
    assert format_status(svc, en, now) == (
        "Closed (Winterpause) until 5 January. Open again: Wednesday, 6 January, at 9:00"
    )
    # a holiday inside the break: the break's end is what the user needs
    assert format_status(svc, de, at(2026, 12, 25)).startswith("Geschlossen, Winterpause bis")


def test_a_break_without_a_note_and_a_single_closed_day(catalogs: Catalogs) -> None:
    de = catalogs.translator("de")
    svc = _service(closures=(Closure(date(2026, 12, 28), date(2026, 12, 30)),))
    assert format_status(svc, de, at(2026, 12, 28)) == (
        "Geschlossen, Betriebsferien bis 30. Dezember. Wieder erreichbar: Donnerstag um 9:00 Uhr"
    )
    one_day = _service(closures=(Closure(date(2026, 12, 31), date(2026, 12, 31), "Brückentag"),))
    assert format_status(one_day, de, at(2026, 12, 31, 8)) == (
        "Geschlossen, heute Brückentag. Wieder erreichbar: Freitag um 9:00 Uhr"
    )
    # before the closed day it is open as usual, and after closing time the next opening skips it
    assert format_status(one_day, de, at(2026, 12, 30, 17)) == (
        "Gerade geschlossen. Wieder erreichbar: Freitag um 9:00 Uhr"
    )


def test_next_opening_across_a_long_break_is_dated(catalogs: Catalogs) -> None:
    de = catalogs.translator("de")
    svc = _service(closures=(Closure(date(2026, 7, 1), date(2026, 7, 31), "Sommerpause"),))
    assert format_status(svc, de, at(2026, 7, 1)) == (
        "Geschlossen, Sommerpause bis 31. Juli. Wieder erreichbar: Montag, 3. August, um 9:00 Uhr"
    )


# ---------------------------------------------------------------- the real knowledge


def test_hateaid_keeps_the_berlin_holidays(real: Content) -> None:
    svc = real.knowledge.services["hateaid"]
    assert svc.holidays == "BE"
    assert any(s.url == "https://hateaid.org/betroffenenberatung" for s in svc.sources)
    year = date.today().year + 1
    assert date(year, 3, 8) in svc.holiday_dates
    assert date(year, 12, 25) in svc.holiday_dates


# ---------------------------------------------------------------- the loader


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for part in ("flows", "knowledge", "locales"):
        shutil.copytree(BASIC / part, tmp_path / part)
    monkeypatch.chdir(tmp_path)
    return tmp_path


HEAD = (
    "services:\n  - id: neu\n    name: Neu\n    summary: Neu.\n    topics: [threat]\n"
    "    regions: [DE]\n    contacts:\n      - phone: '0800 1'\n"
)
TAIL = (
    "    sources:\n      - {url: 'https://example.org', checked: 2026-08-19}\n    verified: true\n"
)
WINDOW = "    hours:\n      - {days: [mo], from: '09:00', to: '12:00'}\n"


def problems_for(tree: Path, text: str) -> list[str]:
    (tree / "knowledge" / "more.yaml").write_text(text, encoding="utf-8")
    _, problems = load_content(ContentPaths(tree / "flows", tree / "knowledge", tree / "locales"))
    return [str(p) for p in problems]


def test_loader_reads_calendar_and_closures(tree: Path) -> None:
    text = (
        HEAD
        + WINDOW
        + "    holidays: BE\n    closures:\n"
        + "      - {from: 2026-12-23, to: 2027-01-05, note: Winterpause}\n"
        + "      - {from: 2026-12-31}\n"
        + TAIL
    )
    assert problems_for(tree, text) == []
    loaded, _ = load_content(ContentPaths(tree / "flows", tree / "knowledge", tree / "locales"))
    svc = loaded.knowledge.services["neu"]
    assert svc.holidays == "BE"
    assert [(c.first, c.last, c.note) for c in svc.closures] == [
        (date(2026, 12, 23), date(2027, 1, 5), "Winterpause"),
        (date(2026, 12, 31), date(2026, 12, 31), ""),
    ]
    assert date(date.today().year, 12, 25) in svc.holiday_dates


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        pytest.param(
            WINDOW + "    holidays: Berlin\n",
            "knowledge/more.yaml:11:15: error: 'holidays': 'Berlin' is not one of national, BB, "
            "BE, BW, BY, HB, HE, HH, MV, NI, NW, RP, SH, SL, SN, ST, TH",
            id="unknown-calendar",
        ),
        pytest.param(
            WINDOW + "    closures:\n      - {from: 2027-01-05, to: 2026-12-23}\n",
            "knowledge/more.yaml:12:9: error: service 'neu': closure ends (2026-12-23) before it "
            "starts",
            id="closure-backwards",
        ),
        pytest.param(
            WINDOW + "    closures:\n      - {from: 23.12.2026}\n",
            "knowledge/more.yaml:12:16: error: 'from' must be a date written YYYY-MM-DD",
            id="closure-bad-date",
        ),
        pytest.param(
            WINDOW + "    closures:\n      - {to: 2026-12-23}\n",
            "knowledge/more.yaml:12:9: error: closure 1 is missing the required key 'from'",
            id="closure-no-start",
        ),
        pytest.param(
            WINDOW + "    closures:\n      - {from: 2026-12-23, noet: Pause}\n",
            "knowledge/more.yaml:12:28: error: unknown key 'noet' in closure 1 "
            "(did you mean 'note'?)",
            id="closure-unknown-key",
        ),
        pytest.param(
            "    hours: 24/7\n    holidays: national\n",
            "knowledge/more.yaml:2:5: error: service 'neu': holidays and closures need opening "
            "windows under 'hours'",
            id="calendar-without-windows",
        ),
    ],
)
def test_loader_errors(tree: Path, extra: str, expected: str) -> None:
    found = problems_for(tree, HEAD + extra + TAIL)
    assert expected in found, found


def test_calendars_are_computed_on_first_use_not_at_load() -> None:
    """Loading the content imports no ``holidays`` (0.4 s of a start); the first look-up or the
    warm-up after start computes a calendar, and the dates are the same as computed directly."""
    code = """
import sys
from datetime import date
from bot.content import ContentPaths, require_content
from bot.flow import calendars
content = require_content(ContentPaths())
assert "holidays" not in sys.modules, "loading the content imported holidays"
kept = [s.holiday_dates for s in content.knowledge.services.values() if s.holidays]
assert kept, "no shipped service keeps a holiday calendar"
calendars.warm(kept)
assert "holidays" in sys.modules
year = date.today().year
assert all(date(year, 12, 25) in dates for dates in kept)
import holidays
for dates in kept:
    sub = None if dates.calendar == "national" else dates.calendar
    years = range(dates.first_year, dates.last_year + 1)
    assert dates.dates == frozenset(holidays.country_holidays("DE", subdiv=sub, years=years))
print("ok", len(kept))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok ")


def test_holiday_dates_behave_like_the_set() -> None:
    dates = HolidayDates.around("BY", TODAY)
    assert dates.dates == holiday_dates("BY", TODAY)
    assert date(2027, 1, 6) in dates and len(dates) == len(set(dates))
    assert date(2026, 12, 24) not in dates
    assert len(HolidayDates()) == 0 and date(2026, 12, 25) not in HolidayDates()
