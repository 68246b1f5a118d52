"""The pure conversation engine: ``step(content, state, event, now) -> Step``.

No I/O, no clock, no randomness: the same inputs always give the same outputs. Free text is only
looked at while a step runs; it never reaches the state, the actions or a log.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from bot.content import Content
from bot.engine import intent
from bot.engine.actions import (
    Action,
    Ask,
    Card,
    CloseCase,
    Contact,
    Erase,
    OpenCase,
    Option,
    Relay,
    Say,
    ShowServices,
    Stale,
)
from bot.engine.commands import names_for
from bot.engine.events import Choose, Command, Event, Start, Text, Unsupported
from bot.engine.state import CaseContext, State
from bot.flow.model import Flow, Node, OptionSpec, Service
from bot.flow.validate import LAND_SLOT
from bot.i18n import LANGUAGE_NAMES, Translator
from bot.knowledge import closing_time, is_open, next_opening, select

#: Nodes that advance by themselves; more in a row than this means broken content.
MAX_AUTO_STEPS = 64
_LANGUAGE = "language"
_SUGGEST = "suggest:"
_CONSENT = "consent"
_CASE = "case:"


@dataclass(frozen=True, slots=True)
class Step:
    """The result of one step: the new state (None: nothing is kept) and what to send.

    ``outcomes`` lists (flow id, outcome) pairs reached in this step, for anonymous counters:
    outcome is ``services``, ``handoff``, ``end`` or ``emergency``. ``path`` lists every
    (flow id, node id) the step passed through, for conversation-test coverage.
    """

    state: State | None
    actions: tuple[Action, ...]
    outcomes: tuple[tuple[str, str], ...] = ()
    erase: bool = False
    path: tuple[tuple[str, str], ...] = ()


class _Run:
    """One step in progress: collects actions and outcomes."""

    def __init__(self, content: Content, state: State, now: datetime, case: CaseContext) -> None:
        self.content = content
        self.state = state
        self.now = now
        self.case = case
        self._t: Translator | None = None
        self.actions: list[Action] = []
        self.outcomes: list[tuple[str, str]] = []
        self.path: list[tuple[str, str]] = []

    # ------------------------------------------------------------ helpers

    @property
    def t(self) -> Translator:
        if self._t is None or self._t.locale != self.state.locale:
            self._t = self.content.catalogs.translator(self.state.locale)
        return self._t

    def say(self, text: str) -> None:
        self.actions.append(Say(text))

    def flow(self) -> Flow:
        return self.content.flows[self.state.flow]

    def node(self) -> Node:
        return self.flow().nodes[self.state.node]

    def ctx_text(self, flow: Flow, node: Node, text: str) -> str:
        return self.t.pgettext(f"{flow.id}/{node.id}", text)

    def result(self) -> Step:
        return Step(self.state, tuple(self.actions), tuple(self.outcomes), path=tuple(self.path))

    def new_turn(self) -> int:
        self.state = replace(self.state, turn=self.state.turn + 1)
        return self.state.turn

    # ------------------------------------------------------------ options

    def options(self, node: Node) -> list[OptionSpec]:
        """The options the user sees at a choice node, in order."""
        if node.ask == LAND_SLOT:
            return [
                OptionSpec(
                    self.t.pgettext("region", r.label), node.next or "", ((LAND_SLOT, r.code),)
                )
                for r in self.content.knowledge.regions
            ]
        slots = dict(self.state.slots)
        return [o for o in node.options if o.visible(slots)]

    def option_labels(self, node: Node) -> list[str]:
        flow = self.flow()
        if node.ask:
            return [o.label for o in self.options(node)]
        return [self.ctx_text(flow, node, o.label) for o in self.options(node)]

    def current_labels(self) -> list[str]:
        """Labels of the open question, without the emergency option."""
        mode = self.state.mode
        t = self.t
        if mode == _LANGUAGE:
            return [LANGUAGE_NAMES.get(loc, loc) for loc in self.content.catalogs.locales]
        if mode == _CONSENT:
            return [
                t.gettext("Ja, über diesen Chat weitergeben"),
                t.gettext("Nein, Kontaktdaten zeigen"),
                t.gettext("Nein, danke"),
            ]
        if mode.startswith(_CASE):
            return [t.gettext("Fall beenden")]
        if mode.startswith(_SUGGEST):
            flows = [self.content.flows[f] for f in mode.removeprefix(_SUGGEST).split(",")]
            labels = [self.t.pgettext(f.id, f.title) for f in flows]
            return [*labels, self.t.gettext("Nein, zurück zur Frage")]
        node = self.node()
        if node.kind == "choice":
            return self.option_labels(node)
        return [self.t.gettext("Zum Hauptmenü")]

    # ------------------------------------------------------------ prompting

    def prompt(self) -> None:
        """(Re-)issue the open question with a fresh turn."""
        mode = self.state.mode
        if mode == _LANGUAGE:
            text = "Bitte wählen Sie Ihre Sprache. / Please choose your language."
        elif mode.startswith(_SUGGEST):
            text = self.t.gettext("Meinten Sie eines dieser Themen?")
        elif mode == _CONSENT:
            text = self.consent_text()
        elif mode.startswith(_CASE):
            code = mode.removeprefix(_CASE)
            if self.case.claimed:
                text = self.t.gettext(
                    "Ihr Fall {code}: Eine Ansprechperson ist für Sie da. Schreiben Sie einfach "
                    "hier, Ihre Nachrichten werden weitergeleitet und nicht gespeichert."
                ).format(code=code)
            else:
                text = self.t.gettext(
                    "Ihr Fall {code} wartet auf eine Ansprechperson. Sie bekommen hier Bescheid, "
                    "sobald jemand übernimmt."
                ).format(code=code)
        elif self.node().kind == "choice":
            text = self.ctx_text(self.flow(), self.node(), self.node().text)
        else:
            text = self.t.gettext("Wie möchten Sie weitermachen?")
        labels = self.current_labels()
        options = [Option(i, label) for i, label in enumerate(labels)]
        options.append(Option(len(labels), self.t.gettext("🆘 Akute Gefahr: Notruf 110")))
        self.actions.append(Ask(text, tuple(options), self.new_turn()))

    def enter(self, flow_id: str, node_id: str | None = None) -> None:
        """Go to a node and run self-advancing nodes until a question or an end."""
        flow = self.content.flows[flow_id]
        current = node_id or flow.start
        for _ in range(MAX_AUTO_STEPS):
            node = flow.nodes[current]
            self.state = replace(self.state, flow=flow.id, node=node.id, mode="")
            self.path.append((flow.id, node.id))
            match node.kind:
                case "message":
                    for text in node.texts:
                        self.say(self.ctx_text(flow, node, text))
                    assert node.next is not None
                    current = node.next
                    continue
                case "goto":
                    flow = self.content.flows[node.target_flow] if node.target_flow else flow
                    current = node.target_node or flow.start
                    continue
                case "choice":
                    if node.ask and self.state.slot(node.ask) is not None:
                        assert node.next is not None
                        current = node.next
                        continue
                case "services":
                    self.show_services(flow, node)
                    if node.next:
                        current = node.next
                        continue
                case "handoff":
                    self.outcomes.append((flow.id, "handoff"))
                    if node.texts:
                        self.say(self.ctx_text(flow, node, node.text))
                    code = self.case.code
                    self.state = replace(self.state, mode=_CASE + code if code else _CONSENT)
                case "end":
                    self.say(self.ctx_text(flow, node, node.text))
                    self.outcomes.append((flow.id, "end"))
            self.prompt()
            return
        raise AssertionError(f"flow {flow_id!r} advances without a question")  # pragma: no cover

    # ------------------------------------------------------------ services

    def show_services(self, flow: Flow, node: Node) -> None:
        land = self.state.slot(LAND_SLOT)
        land = None if land in (None, "none") else land
        if node.kind == "handoff":
            services = select(self.content.knowledge, node.topic, (), land)
            intro = self.t.gettext("Diese Stellen können Sie direkt erreichen:")
        else:
            query = node.query
            assert query is not None
            services = select(self.content.knowledge, query.topic, query.ids, land)
            intro = ""
        if node.texts and node.kind == "services":
            intro = self.ctx_text(flow, node, node.text)
        cards = tuple(self.card(s) for s in services)
        self.actions.append(ShowServices(intro, cards))
        self.outcomes.append((flow.id, "services"))

    def card(self, svc: Service) -> Card:
        return card_for(svc, self.t, self.now)

    # ------------------------------------------------------------ events

    def on_choice(self, index: int) -> None:
        labels = self.current_labels()
        if index == len(labels):
            self.emergency()
            return
        mode = self.state.mode
        if mode == _LANGUAGE:
            self.set_language(self.content.catalogs.locales[index])
        elif mode.startswith(_SUGGEST):
            flows = mode.removeprefix(_SUGGEST).split(",")
            self.state = replace(self.state, mode="")
            if index < len(flows):
                self.state = self.state.pushed()
                self.enter(flows[index])
            else:
                self.prompt()
        elif mode == _CONSENT:
            self.on_consent(index)
        elif mode.startswith(_CASE):
            code = mode.removeprefix(_CASE)
            if self.case.code == code:
                self.actions.append(CloseCase(code, "user"))
            self.say(self.t.gettext("Ihr Fall {code} ist beendet.").format(code=code))
            self.after_handoff()
        elif self.node().kind == "choice":
            option = self.options(self.node())[index]
            self.state = self.state.pushed().with_slots(option.sets)
            self.enter(self.state.flow, option.next)
        else:
            self.state = replace(self.state, history=())
            self.enter(self.content.entry)

    # ------------------------------------------------------------ handoff

    def consent_text(self) -> str:
        t = self.t
        node = self.node()
        land = self.state.slot(LAND_SLOT) or "none"
        region = next((r.label for r in self.content.knowledge.regions if r.code == land), land)
        topic = self.content.knowledge.topic_labels.get(node.topic or "", node.topic or "")
        urgency = {
            "high": t.gettext("hoch"),
            "normal": t.gettext("mittel"),
            "low": t.gettext("niedrig"),
        }.get(node.urgency or "", node.urgency or "")
        return t.gettext(
            "Ich kann Ihr Anliegen an eine Ansprechperson weitergeben, die Ihnen hier im Chat "
            "antwortet. Weitergegeben wird nur: Thema: {topic} · Dringlichkeit: {urgency} · "
            "Land: {land}. Kein Name, kein Text, kein Konto. Möchten Sie das?"
        ).format(
            topic=t.pgettext("topic", topic),
            urgency=urgency,
            land=t.pgettext("region", region),
        )

    def on_consent(self, index: int) -> None:
        t = self.t
        flow, node = self.flow(), self.node()
        if index == 0 and self.case.refusal is None and self.case.new_code:
            code = self.case.new_code
            land = self.state.slot(LAND_SLOT) or "none"
            self.actions.append(
                OpenCase(code, node.topic or "", node.urgency or "normal", land, flow.id)
            )
            self.say(
                t.gettext(
                    "Ihr Anliegen ist als Fall {code} weitergegeben. Sobald eine Ansprechperson "
                    "übernimmt, sage ich Ihnen hier Bescheid. Bei akuter Gefahr: 110."
                ).format(code=code)
            )
            self.case = replace(self.case, code=code, claimed=False)
            self.state = replace(self.state, mode=_CASE + code)
            self.prompt()
            return
        if index == 0:
            self.say(
                t.gettext(
                    "Eine Weitergabe ist gerade nicht möglich, weil Sie schon einen offenen Fall "
                    "haben oder heute schon mehrere Anfragen gestellt haben. Diese Stellen "
                    "helfen Ihnen direkt:"
                )
                if self.case.refusal == "limit"
                else t.gettext(
                    "Eine Weitergabe ist über diesen Chat gerade nicht möglich. Diese Stellen "
                    "helfen Ihnen direkt:"
                )
            )
        if index in (0, 1):
            self.show_services(flow, node)
        else:
            self.say(t.gettext("In Ordnung. Es wird nichts weitergegeben."))
        self.after_handoff()

    def after_handoff(self) -> None:
        """Leave the consent or case mode of a handoff node: its ``next``, or the end prompt."""
        node = self.node()
        self.state = replace(self.state, mode="")
        if node.kind == "handoff" and node.next:
            self.enter(self.state.flow, node.next)
        else:
            self.prompt()

    def on_case_text(self, code: str, text: str) -> None:
        t = self.t
        if self.case.code != code:
            self.say(t.gettext("Ihr Fall {code} ist beendet.").format(code=code))
            self.after_handoff()
            return
        if intent.is_danger(text):
            self.emergency()
        if self.case.claimed:
            self.actions.append(Relay(code, text))
        else:
            self.say(
                t.gettext(
                    "Ihre Nachricht kann erst weitergegeben werden, wenn eine Ansprechperson "
                    "Ihren Fall übernommen hat. Sie bekommen hier Bescheid."
                )
            )

    def on_text(self, text: str) -> None:
        if self.state.mode.startswith(_CASE):
            # the offered answers (by number or label) still work; anything else is relayed
            offered = [intent.normalize(x) for x in self.current_labels()]
            offered.append(intent.normalize(self.t.gettext("🆘 Akute Gefahr: Notruf 110")))
            typed = intent.normalize(text).rstrip(".")
            # isdecimal, not isdigit: int() refuses digits such as "¹" that isdigit() passes
            if typed.isdecimal() and 1 <= int(typed) <= len(offered):
                self.on_choice(int(typed) - 1)
            elif typed in offered:
                self.on_choice(offered.index(typed))
            else:
                self.on_case_text(self.state.mode.removeprefix(_CASE), text)
            return
        labels = [intent.normalize(label) for label in self.current_labels()]
        labels.append(intent.normalize(self.t.gettext("🆘 Akute Gefahr: Notruf 110")))
        typed = intent.normalize(text).rstrip(".!?)")
        if typed.isdecimal() and 1 <= int(typed) <= len(labels):
            self.on_choice(int(typed) - 1)
            return
        if typed in labels:
            self.on_choice(labels.index(typed))
            return
        prefixed = [
            i for i, label in enumerate(labels) if len(typed) >= 3 and label.startswith(typed)
        ]
        if len(prefixed) == 1:
            self.on_choice(prefixed[0])
            return
        command = names_for(self.state.locale).get(typed) or names_for("de").get(typed)
        if command == "delete":  # erasing needs the explicit command, not a word in passing
            self.say(self.t.gettext("Um alles zu löschen, senden Sie /loeschen."))
            self.prompt()
            return
        if command and command != "help":  # a bare "Hilfe!" may be a cry for help: see below
            self.on_command(Command(command))
            return
        if intent.is_danger(text):
            self.emergency()
            return
        if self.suggest(text):
            return
        self.say(
            self.t.gettext(
                "Das habe ich leider nicht verstanden. Bitte tippen Sie auf eine Antwort "
                "oder schreiben Sie ihre Nummer. Bei akuter Gefahr: 110."
            )
        )
        self.prompt()

    def suggest(self, text: str) -> bool:
        spaced = intent.words(intent.normalize(text))
        scored: list[tuple[int, str]] = []
        for flow in self.content.flows.values():
            words = dict(flow.keywords).get(self.state.locale, ()) + dict(flow.keywords).get(
                "de", ()
            )
            hits = intent.keyword_hits(spaced, words)
            if hits and flow.id != self.content.entry:
                scored.append((hits, flow.id))
        if not scored:
            return False
        best = [flow_id for _, flow_id in sorted(scored, key=lambda s: -s[0])[:3]]
        self.state = replace(self.state, mode=_SUGGEST + ",".join(best))
        self.prompt()
        return True

    def emergency(self) -> None:
        t = self.t
        self.say(
            t.gettext(
                "Sind Sie oder andere in akuter Gefahr? Rufen Sie sofort die Polizei: 110. "
                "Bei Verletzten oder Feuer: 112. Bringen Sie sich in Sicherheit, "
                "schließen Sie Türen ab und holen Sie andere Menschen dazu."
            )
        )
        self.say(
            t.gettext(
                "Sagen Sie am Telefon: wo Sie sind, was passiert, wer bedroht wird. "
                "Legen Sie nicht zuerst auf. Dieser Chat ersetzt keinen Notruf."
            )
        )
        self.outcomes.append((self.state.flow, "emergency"))
        self.prompt()

    def set_language(self, locale: str) -> None:
        self.state = replace(self.state, locale=locale, mode="")
        self.say(self.t.gettext("Die Sprache ist jetzt Deutsch."))
        self.continue_here()

    def continue_here(self) -> None:
        """Re-ask the current question (or continue an interrupted auto-advance)."""
        node = self.node()
        if node.kind in ("message", "goto"):
            self.enter(self.state.flow, node.id)
        else:
            self.prompt()

    def on_command(self, command: Command) -> None:
        t = self.t
        match command.name:
            case "start":
                self.state = replace(self.state, history=())
                self.enter(self.content.entry)
            case "restart":
                self.state = replace(self.state, history=(), slots=())
                self.say(
                    t.gettext("Wir fangen von vorne an. Ihre bisherigen Angaben sind verworfen.")
                )
                self.enter(self.content.entry)
            case "help":
                self.say(help_text(t, self.state.locale))
                self.continue_here()
            case "emergency":
                self.emergency()
            case "privacy":
                self.say(privacy_text(t))
                self.continue_here()
            case "language":
                wanted = (command.argument or "").casefold()
                if wanted in self.content.catalogs.locales:
                    self.set_language(wanted)
                else:
                    self.state = replace(self.state, mode=_LANGUAGE)
                    self.prompt()
            case "back":
                self.back()
            case _:  # pragma: no cover - delete is handled before a run starts
                raise AssertionError(command.name)

    def back(self) -> None:
        if self.state.mode:
            self.state = replace(self.state, mode="")
            self.prompt()
            return
        if not self.state.history:
            self.say(self.t.gettext("Sie sind bereits am Anfang."))
            self.continue_here()
            return
        (flow_id, node_id), rest = self.state.history[-1], self.state.history[:-1]
        self.state = replace(self.state, flow=flow_id, node=node_id, history=rest, mode="")
        self.prompt()


def card_for(svc: Service, t: Translator, now: datetime) -> Card:
    """A service as a translated card, with "open now" computed for ``now``."""
    ctx = f"service/{svc.id}"
    contacts = tuple(
        Contact(c.kind, c.value, t.pgettext(ctx, c.note) if c.note else "") for c in svc.contacts
    )
    return Card(
        service_id=svc.id,
        name=t.pgettext(ctx, svc.name),
        summary=t.pgettext(ctx, svc.summary),
        contacts=contacts,
        hours=format_hours(svc, t),
        status=format_status(svc, t, now),
    )


def help_text(t: Translator, locale: str) -> str:
    """The list of commands in the user's language."""
    descriptions = command_descriptions(t)
    lines = [t.gettext("Sie können jederzeit diese Befehle senden:")]
    for name, canon in names_for(locale).items():
        lines.append(f"/{name} – {descriptions[canon]}")
    lines.append(
        t.gettext("Tippen Sie sonst einfach auf eine Antwort oder schreiben Sie ihre Nummer.")
    )
    return "\n".join(lines)


def command_descriptions(t: Translator) -> dict[str, str]:
    """Short descriptions of the commands (also used for Telegram's command menu)."""
    return {
        "start": t.gettext("Hauptmenü"),
        "help": t.gettext("Hilfe und Befehle"),
        "emergency": t.gettext("Akute Gefahr: Notruf 110"),
        "back": t.gettext("Einen Schritt zurück"),
        "restart": t.gettext("Von vorne beginnen"),
        "language": t.gettext("Sprache wählen"),
        "privacy": t.gettext("Was gespeichert wird"),
        "delete": t.gettext("Alle meine Daten löschen"),
    }


def privacy_text(t: Translator) -> str:
    """What is stored, in short."""
    return t.gettext(
        "Datenschutz: Beistand speichert keine Texte, die Sie schreiben, und keine Namen. "
        "Gespeichert wird nur, an welcher Stelle des Gesprächs Sie sind, Ihre Sprache und "
        "Ihre Auswahl (z. B. das Bundesland), unter einem Pseudonym. Nach 30 Tagen ohne "
        "Nutzung wird das gelöscht. Geben Sie Ihr Anliegen an eine Ansprechperson weiter, "
        "erfährt sie nur Thema, Dringlichkeit und Land; Nachrichten werden nur durchgereicht, "
        "der Fall wird 7 Tage nach dem Ende gelöscht. Mit /loeschen löschen Sie sofort alles. "
        "Der Messenger-Anbieter sieht, dass Sie mit diesem Bot schreiben."
    )


def _day_short(t: Translator, day: int) -> str:
    return (
        t.gettext("Mo"),
        t.gettext("Di"),
        t.gettext("Mi"),
        t.gettext("Do"),
        t.gettext("Fr"),
        t.gettext("Sa"),
        t.gettext("So"),
    )[day]


def _day_name(t: Translator, day: int) -> str:
    return (
        t.gettext("Montag"),
        t.gettext("Dienstag"),
        t.gettext("Mittwoch"),
        t.gettext("Donnerstag"),
        t.gettext("Freitag"),
        t.gettext("Samstag"),
        t.gettext("Sonntag"),
    )[day]


def _clock(value: object) -> str:
    hour, minute = getattr(value, "hour", 0), getattr(value, "minute", 0)
    if (hour, minute) == (23, 59):
        return "24:00"
    return f"{hour}:{minute:02d}"


def _day_ranges(days: tuple[int, ...], t: Translator) -> str:
    parts: list[str] = []
    ordered = sorted(set(days))
    start = prev = ordered[0]
    for day in [*ordered[1:], None]:
        if day is not None and day == prev + 1:
            prev = day
            continue
        if start == prev:
            parts.append(_day_short(t, start))
        else:
            parts.append(f"{_day_short(t, start)}–{_day_short(t, prev)}")
        if day is not None:
            start = prev = day
    return ", ".join(parts)


def format_hours(svc: Service, t: Translator) -> str:
    """Opening hours as text, e.g. ``Mo–Fr 9:00–16:00``."""
    if svc.always_open:
        text = t.gettext("rund um die Uhr")
    else:
        text = "; ".join(
            f"{_day_ranges(h.days, t)} {_clock(h.opens)}–{_clock(h.closes)}" for h in svc.hours
        )
    if svc.hours_note:
        note = t.pgettext(f"service/{svc.id}", svc.hours_note)
        text = f"{text} ({note})" if text else note
    return text


def format_status(svc: Service, t: Translator, now: datetime) -> str:
    """ "open now" or when it opens next; empty for services without hours or always open."""
    if svc.always_open or not svc.hours:
        return ""
    if is_open(svc, now):
        closes = closing_time(svc, now)
        return t.gettext("Jetzt erreichbar, bis {time} Uhr").format(time=_clock(closes))
    opens = next_opening(svc, now)
    if opens is None:  # pragma: no cover - a service with hours always opens again
        return ""
    local = now.astimezone(opens.tzinfo)
    if opens.date() == local.date():
        when = t.gettext("heute um {time} Uhr").format(time=_clock(opens.time()))
    else:
        when = t.gettext("{day} um {time} Uhr").format(
            day=_day_name(t, opens.weekday()), time=_clock(opens.time())
        )
    return t.gettext("Gerade geschlossen. Wieder erreichbar: {when}").format(when=when)


def initial_state(content: Content, locale: str | None) -> State:
    """A new conversation at the entry flow's start, in the best matching language."""
    entry = content.flows[content.entry]
    return State(flow=entry.id, node=entry.start, locale=content.catalogs.normalize(locale))


def _fits(content: Content, state: State) -> bool:
    flow = content.flows.get(state.flow)
    return flow is not None and state.node in flow.nodes


def step(  # noqa: C901 - one case per event type
    content: Content,
    state: State | None,
    event: Event,
    now: datetime,
    locale: str | None = None,
    case: CaseContext | None = None,
) -> Step:
    """Advance one conversation by one event.

    Args:
        content: validated flows, knowledge and translations.
        state: the stored state, or None for a new (or erased) conversation.
        event: what the user did.
        now: the current time (timezone-aware), for opening hours.
        locale: the platform's language hint, used for new conversations.
        case: the user's handoff situation, from the runtime.

    Returns:
        The new state and the actions to perform.
    """
    fresh = state is None or not _fits(content, state)
    current = initial_state(content, locale if state is None else state.locale) if fresh else state
    assert current is not None
    if fresh and state is not None:
        current = replace(current, slots=state.slots, turn=state.turn)
    context = case or CaseContext()
    run = _Run(content, current, now, context)
    t = run.t
    if isinstance(event, Command) and event.name == "delete":
        text = t.gettext(
            "Alles, was Beistand über Sie gespeichert hatte, ist gelöscht. "
            "Mit /start können Sie jederzeit neu beginnen."
        )
        closing = (CloseCase(context.code, "erased"),) if context.code else ()
        return Step(None, (*closing, Erase(), Say(text)), erase=True)
    if fresh and not isinstance(event, Start | Command):
        if isinstance(event, Text) and intent.is_danger(event.text):
            run.emergency()
            return run.result()
        if isinstance(event, Choose):
            run.actions.append(Stale(t.gettext("Diese Schaltfläche ist nicht mehr gültig.")))
        event = Start()
    match event:
        case Start(payload=payload):
            if state is None:
                run.say(
                    t.gettext(
                        "Willkommen bei Beistand. Ich speichere keine Texte und keine Namen; "
                        "mehr dazu mit /datenschutz. Bei akuter Gefahr wählen Sie 110."
                    )
                )
            target = payload if payload in content.flows else content.entry
            run.state = replace(run.state, history=(), mode="")
            run.enter(target)
        case Choose(turn=turn, index=index):
            if turn != run.state.turn or not 0 <= index <= len(run.current_labels()):
                return Step(state, (Stale(t.gettext("Diese Schaltfläche ist nicht mehr gültig.")),))
            run.on_choice(index)
        case Text(text=text):
            run.on_text(text)
        case Command():
            run.on_command(event)
        case Unsupported():
            run.say(
                t.gettext(
                    "Bilder, Sprachnachrichten und Dateien kann ich nicht öffnen, und ich "
                    "speichere sie nicht. Bitte antworten Sie mit den Schaltflächen."
                )
            )
            run.continue_here()
    return run.result()
