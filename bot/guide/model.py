"""The printed guide as data: built from the loaded :class:`~bot.flow.model.Content` for one
place (a Land, or a region of the local layer) and one language. Pure: no files, no clock (the
date is an argument), no rendering (that is :mod:`bot.guide.render`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from bot.engine.present import format_hours
from bot.errors import ConfigError
from bot.flow.model import Content, Service, Source
from bot.guide import spec
from bot.guide.links import BotLink
from bot.guide.texts import Labels, labels
from bot.i18n import Translator
from bot.knowledge import NATIONAL


@dataclass(frozen=True, slots=True)
class Way:
    """One way to reach a service: its kind's label, the value, a note."""

    kind: str
    label: str
    value: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Checked:
    """Where the facts of a block come from (site names) and the last day they were checked."""

    on: str  # the date, formatted for the reader
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ContactCard:
    """A service as the guide prints it."""

    service_id: str
    name: str
    summary: str
    ways: tuple[Way, ...]
    hours: str
    checked: Checked
    local: bool = False


@dataclass(frozen=True, slots=True)
class Block:
    """A heading, the quoted paragraphs and their check."""

    key: str
    title: str
    paragraphs: tuple[str, ...]
    checked: Checked | None


@dataclass(frozen=True, slots=True)
class ContactGroup:
    """The contacts of one circle: local, the Land, national."""

    key: str  # local, land, national
    title: str
    cards: tuple[ContactCard, ...]


@dataclass(frozen=True, slots=True)
class Place:
    """What the guide is for: a Land and, with the local layer, a region in it."""

    land: str
    land_label: str
    region: str = ""  # AGS
    region_name: str = ""

    @property
    def name(self) -> str:
        """The place as printed: the region with its Land, or the Land."""
        return f"{self.region_name} ({self.land_label})" if self.region else self.land_label


@dataclass(frozen=True, slots=True)
class Guide:
    """Everything on the printed pages, in one language."""

    locale: str
    place: Place
    made: str
    labels: Labels
    emergency_numbers: tuple[ContactCard, ...]
    emergency: Block
    situations: tuple[Block, ...]
    deadlines: tuple[Block, ...]
    register_block: Block
    contacts: tuple[ContactGroup, ...]
    links: tuple[BotLink, ...]
    about: Block


def format_date(day: date, locale: str) -> str:
    """A date as the reader writes it ("1. Dezember 2026", "December 1, 2026")."""
    from babel.dates import format_date as babel_date

    return str(babel_date(day, format="long", locale=locale))


def _site(url: str) -> str:
    """A source as a short name: its host, with owner/name for a repository (the law texts)."""
    parts = urlsplit(url)
    host = (parts.hostname or url).removeprefix("www.")
    if host == "github.com":
        return host + "/".join(parts.path.split("/")[:3])
    return host


def _checked(sources: tuple[Source, ...], locale: str) -> Checked:
    last = max(s.checked for s in sources)
    sites = tuple(dict.fromkeys(_site(s.url) for s in sources))
    return Checked(format_date(last, locale), sites)


def _card(svc: Service, t: Translator, kinds: dict[str, str], local: bool) -> ContactCard:
    ctx = f"service/{svc.id}"
    ways = tuple(
        Way(
            c.kind,
            kinds.get(c.kind, c.kind),
            c.value,
            t.content_text(ctx, c.note) if c.note else "",
        )
        for c in svc.contacts
    )
    return ContactCard(
        service_id=svc.id,
        name=t.content_text(ctx, svc.name),
        summary=t.content_text(ctx, svc.summary),
        ways=ways,
        hours=format_hours(svc, t),
        checked=_checked(svc.sources, t.locale),
        local=local,
    )


def _block(part: spec.Part, content: Content, t: Translator, title: str = "") -> Block:
    paragraphs: list[str] = []
    for quote in part.quotes:
        flow = content.flows.get(quote.flow)
        node = flow.nodes.get(quote.node) if flow is not None else None
        if node is None or quote.index >= len(node.texts):
            raise ConfigError(
                f"the guide quotes {quote.flow}/{quote.node} (text {quote.index + 1}), which the "
                "content does not have; see bot/guide/spec.py and docs/kommunen-leitfaden.md"
            )
        paragraphs.append(t.content_text(f"{quote.flow}/{quote.node}", node.texts[quote.index]))
    if part.title_flow and part.title_flow in content.flows:
        title = t.content_text(part.title_flow, content.flows[part.title_flow].title)
    checked = _checked(part.sources, t.locale) if part.sources else None
    return Block(part.key, title, tuple(paragraphs), checked)


def resolve_place(content: Content, land: str | None, region: str | None) -> Place:
    """The place of ``--land XX`` or ``--region AGS``, checked against the content.

    Raises:
        ConfigError: an unknown Land or region, naming the known ones.
    """
    knowledge = content.knowledge
    labels_by_code = {r.code: r.label for r in knowledge.regions if r.code != "none"}
    if region is not None:
        found = knowledge.local_region(region.strip())
        if found is None:
            known = ", ".join(f"{r.ags} {r.name}" for r in knowledge.local_regions)
            raise ConfigError(
                f"unknown region {region!r}; "
                + (
                    f"regions of the local layer: {known}"
                    if known
                    else "this content has no local layer (BEISTAND_LOCAL_DIR, --local; "
                    "see docs/kommunen.md)"
                )
            )
        return Place(found.land, labels_by_code.get(found.land, found.land), found.ags, found.name)
    code = (land or "").strip().upper()
    if code not in labels_by_code:
        raise ConfigError(f"unknown Land {land!r}; Länder: {', '.join(sorted(labels_by_code))}")
    return Place(code, labels_by_code[code])


def _services_for(content: Content, place: Place) -> list[tuple[str, Service]]:
    """(circle, service) in the order of every path that shows services: local contacts of the
    region, its other services, the Land's, the national ones; the emergency numbers apart."""
    found: list[tuple[str, Service]] = []
    for svc in content.knowledge.services.values():
        if not svc.verified or spec.EMERGENCY_TOPIC in svc.topics:
            continue
        if place.region and place.region in svc.regions:
            found.append(("local", svc))
        elif place.land in svc.regions:
            found.append(("land", svc))
        elif NATIONAL in svc.regions:
            found.append(("national", svc))
    order = {"local": 0, "land": 1, "national": 2}
    # sorted() is stable: within a circle the files' order stays; local contacts come first
    return sorted(found, key=lambda cs: (order[cs[0]], not cs[1].local_contact))


def build_guide(
    content: Content,
    place: Place,
    locale: str,
    today: date,
    links: tuple[BotLink, ...],
) -> Guide:
    """The guide for ``place`` in ``locale`` (German if the content has no such catalog)."""
    t = content.catalogs.translator(locale)
    words = labels(t)
    land_label = t.content_text("region", place.land_label)
    place = Place(place.land, land_label, place.region, place.region_name)
    numbers = tuple(
        _card(s, t, words.kinds, local=False)
        for s in content.knowledge.services.values()
        if s.verified and spec.EMERGENCY_TOPIC in s.topics and NATIONAL in s.regions
    )
    groups: list[ContactGroup] = []
    titles = {
        "local": words.local_contacts.format(place=place.region_name),
        "land": words.land_contacts.format(land=land_label),
        "national": words.national_contacts,
    }
    services = _services_for(content, place)
    for key in ("local", "land", "national"):
        cards = tuple(
            _card(s, t, words.kinds, local=s.local_contact)
            for circle, s in services
            if circle == key
        )
        if cards:
            groups.append(ContactGroup(key, titles[key], cards))
    return Guide(
        locale=t.locale,
        place=place,
        made=format_date(today, t.locale),
        labels=words,
        emergency_numbers=numbers,
        emergency=_block(spec.EMERGENCY, content, t, words.emergency),
        situations=tuple(_block(p, content, t) for p in spec.SITUATIONS),
        deadlines=tuple(_block(p, content, t, words.deadlines) for p in spec.DEADLINES),
        register_block=_block(spec.REGISTER_BLOCK, content, t, words.register_block),
        contacts=tuple(groups),
        links=links,
        about=_block(spec.ABOUT, content, t),
    )
