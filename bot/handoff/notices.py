"""What a notice and a relayed message look like, in the recipient's language.

The outbox stores only a notice's ``kind``; the text is made here at delivery, from the case as
it is then. Relayed text is framed here too (and never stored).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from bot.content import Content
from bot.engine.present import card_for
from bot.i18n import Translator
from bot.knowledge import BERLIN, select
from bot.ports import CaseRecord
from bot.render import Button, Outgoing, claim_data, render_card
from bot.render import escape as _esc


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

    def urgency(self, t: Translator, urgency: str) -> str:
        """An urgency's label."""
        return {
            "high": t.gettext("hoch"),
            "normal": t.gettext("mittel"),
            "low": t.gettext("niedrig"),
        }.get(urgency, urgency)

    def notice(self, kind: str, case: CaseRecord, locale: str) -> Outgoing | None:
        """The text of an outbox notification, in the recipient's language (None: unknown)."""
        t = self.t(locale)
        code = case.code
        texts = {
            "taken": t.gettext("Fall {code} hat eine andere Ansprechperson übernommen."),
            "withdrawn": t.gettext("Fall {code} wurde von der Person zurückgezogen."),
            "ended_by_user": t.gettext("Fall {code}: Die Person hat das Gespräch beendet."),
            "claimed": t.gettext(
                "Eine Ansprechperson hat Ihren Fall {code} übernommen. Schreiben Sie einfach "
                "hier; Ihre Nachrichten werden weitergeleitet und nicht gespeichert."
            ),
            "ended_by_contact": t.gettext(
                "Ihr Fall {code} ist abgeschlossen. Mit /start kommen Sie zum Hauptmenü."
            ),
        }
        if kind == "new":
            when = datetime.fromtimestamp(case.created_at, UTC).astimezone(BERLIN)
            text = t.gettext(
                "Neuer Fall {code} · {topic} · Dringlichkeit: {urgency} · {land} · {time}\n"
                "Übernehmen: /uebernehmen {code}"
            ).format(
                code=code,
                topic=self.topic(t, case.topic),
                urgency=self.urgency(t, case.urgency),
                land=self.land(t, case.land),
                time=when.strftime("%d.%m. %H:%M"),
            )
            button = Button(t.gettext("Übernehmen"), claim_data(code))
            return Outgoing(text, _esc(text), (button,))
        if kind == "nobody":
            return self.nobody(t, case)
        if kind not in texts:
            return None
        text = texts[kind].format(code=code)
        return Outgoing(text, _esc(text))

    def nobody(self, t: Translator, case: CaseRecord) -> Outgoing:
        """Nobody is free: an apology and the national services."""
        text = t.gettext(
            "Zu Ihrem Fall {code} ist gerade leider niemand frei. Das tut mir leid. "
            "Diese Stellen helfen Ihnen direkt weiter:"
        ).format(code=case.code)
        if case.urgency == "high":
            text = t.gettext("Bei akuter Gefahr rufen Sie sofort 110.") + " " + text
        plain, rich = [text], [_esc(text)]
        knowledge = self.content().knowledge
        for svc in select(knowledge, case.topic, (), None):
            p, r = render_card(card_for(svc, t, datetime.fromtimestamp(self.clock(), UTC)))
            plain.append(p)
            rich.append(r)
        return Outgoing("\n\n".join(plain), "\n\n".join(rich))

    def listing(self, t: Translator, case: CaseRecord) -> str:
        """One line of a contact's list of cases."""
        state = t.gettext("übernommen") if case.status == "claimed" else t.gettext("wartet")
        return (
            f"{case.code} · {self.topic(t, case.topic)} · {self.urgency(t, case.urgency)} "
            f"· {self.land(t, case.land)} · {state}"
        )


def from_user(code: str, text: str) -> Outgoing:
    """A user's text as the contact person sees it."""
    return Outgoing(f"[{code}] {text}", f"<b>[{_esc(code)}]</b> {_esc(text)}")


def from_contact(label: str, text: str) -> Outgoing:
    """A contact person's text as the user sees it (``label``: "Ansprechperson", translated)."""
    return Outgoing(f"💬 {label}: {text}", f"💬 <b>{_esc(label)}:</b> {_esc(text)}")
