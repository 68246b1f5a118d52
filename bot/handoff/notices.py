"""What a notice and a relayed message look like, in the recipient's language.

The outbox stores only a notice's ``kind``; the notice is made here at delivery, from the case as
it is then. The words are in :mod:`bot.engine.texts` (``texts.notices``), the HTML in
:mod:`bot.render`; this module only looks up the labels and times they need.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from bot.content import Content
from bot.engine import texts
from bot.engine.present import card_for
from bot.handoff.rules import NATION
from bot.i18n import Translator
from bot.knowledge import BERLIN, select
from bot.ports import CaseRecord
from bot.render import Button, Outgoing, claim_data, notice_message, services_notice

__all__ = ["Notices"]


def _local(stamp: int, form: str) -> str:
    return datetime.fromtimestamp(stamp, UTC).astimezone(BERLIN).strftime(form)


class Notices:
    """Renders notices and relayed messages against the current content."""

    def __init__(self, content: Callable[[], Content], clock: Callable[[], float]) -> None:
        self.content = content
        self.clock = clock

    def t(self, locale: str | None) -> Translator:
        """The translator of a locale, in the current content."""
        return self.content().catalogs.translator(locale)

    def topic(self, t: Translator, topic: str) -> str:
        """A topic's label."""
        return t.pgettext("topic", self.content().knowledge.topic_labels.get(topic, topic))

    def land(self, t: Translator, land: str) -> str:
        """A Land's label."""
        regions = self.content().knowledge.regions
        label = next((r.label for r in regions if r.code == land), land)
        return t.pgettext("region", label)

    def place(self, t: Translator, case: CaseRecord) -> str:
        """The case's Land, and its local region if the user chose one."""
        land = self.land(t, case.land)
        local = self.content().knowledge.local_region(case.region)
        return f"{land} · {local.name}" if local is not None else land

    def urgency(self, t: Translator, urgency: str) -> str:
        """An urgency's label."""
        return texts.urgency_word(t, urgency)

    def notice(self, kind: str, case: CaseRecord, locale: str) -> Outgoing | None:
        """The text of an outbox notification, in the recipient's language (None: unknown)."""
        t = self.t(locale)
        code = case.code
        if kind == "new":
            return self.new_case(t, case)
        if kind == "again":
            button = Button(texts.claim_button(t), claim_data(code))
            return notice_message(texts.waiting_again(t, code), (button,))
        if kind == "nobody":
            return self.nobody(t, case)
        text = texts.notice_text(t, kind, code)
        return None if text is None else notice_message(text)

    def new_case(self, t: Translator, case: CaseRecord) -> Outgoing:
        """A new case, with when others are asked (or the user is told nobody is free)."""
        then = ""
        if case.escalate_at is not None and case.status == "open":
            until = _local(case.escalate_at, "%H:%M")
            then = (
                texts.others_asked_after(t, until)
                if case.circle < NATION
                else texts.nobody_after(t, until)
            )
        text = texts.new_case(
            t,
            case.code,
            self.topic(t, case.topic),
            self.urgency(t, case.urgency),
            self.place(t, case),
            _local(case.created_at, "%d.%m. %H:%M"),
            then,
        )
        return notice_message(text, (Button(texts.claim_button(t), claim_data(case.code)),))

    def nobody(self, t: Translator, case: CaseRecord) -> Outgoing:
        """Nobody is free: an apology and the national services."""
        text = texts.nobody_free(t, case.code, case.urgency == "high")
        now = datetime.fromtimestamp(self.clock(), UTC)
        knowledge = self.content().knowledge
        if knowledge.local_region(case.region) is not None:  # the local contact first
            services = select(knowledge, case.topic, (), case.land, case.region)
        else:
            services = select(knowledge, case.topic, (), None)
        return services_notice(text, (card_for(svc, t, now) for svc in services))

    def listing(self, t: Translator, case: CaseRecord) -> str:
        """One line of a contact's list of cases, with its age."""
        return texts.listing(
            t,
            case.code,
            self.topic(t, case.topic),
            self.urgency(t, case.urgency),
            self.place(t, case),
            case.status == "claimed",
            texts.age(t, int(self.clock()) - case.created_at),
        )
