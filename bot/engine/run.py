"""One step in progress: the context every part of the engine works on, and its result."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.engine.actions import Action, Say
from bot.engine.prepared import Localized, prepared_for
from bot.engine.state import CaseContext, ReportContext, State
from bot.flow.model import Content, Flow, Node
from bot.i18n import Translator
from bot.survey.model import SurveyAnswer


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
    #: survey answers to count (with the participant's keyed hash) in the step's store unit
    answers: tuple[SurveyAnswer, ...] = ()


class Run:
    """One step in progress: the state as it changes, and the actions and outcomes collected."""

    def __init__(self, content: Content, state: State, now: datetime, case: CaseContext) -> None:
        self.content = content
        self.state = state
        self.now = now
        self.case = case
        #: the reporting route's context (set by the step)
        self.report = ReportContext()
        self.prepared = prepared_for(content)
        self._locale: str | None = None
        self._local: Localized | None = None
        self.actions: list[Action] = []
        self.outcomes: list[tuple[str, str]] = []
        self.path: list[tuple[str, str]] = []
        self.answers: list[SurveyAnswer] = []

    @property
    def local(self) -> Localized:
        """What is prepared for the conversation's current language (texts, options, cards)."""
        local = self._local
        locale = self.state.locale
        if local is None or self._locale != locale:
            by_locale = self.prepared.by_locale
            local = by_locale.get(locale) or by_locale[self.content.catalogs.normalize(locale)]
            self._local = local
            self._locale = locale
        return local

    @property
    def t(self) -> Translator:
        """The translator of the conversation's current language."""
        return self.local.translator

    def say(self, text: str) -> None:
        """Send a text."""
        self.actions.append(Say(text))

    def flow(self) -> Flow:
        """The current flow."""
        return self.content.flows[self.state.flow]

    def node(self) -> Node:
        """The current node."""
        return self.flow().nodes[self.state.node]

    def ctx_text(self, flow: Flow, node: Node, text: str) -> str:
        """A text of a node, translated in the node's context."""
        return self.t.content_text(f"{flow.id}/{node.id}", text)

    def node_texts(self, flow: Flow, node: Node) -> tuple[str, ...]:
        """The texts of a node, translated in the node's context (prepared)."""
        found = self.local.node_texts.get((flow.id, node.id))
        if found is None:  # a node outside the content (never in a loaded bundle)
            return tuple(self.ctx_text(flow, node, text) for text in node.texts)
        return found

    def node_text(self, flow: Flow, node: Node) -> str:
        """The first (often only) text of a node, translated (empty if it has none)."""
        found = self.node_texts(flow, node)
        return found[0] if found else ""

    def new_turn(self) -> int:
        """Count a new question; its buttons are the only valid ones from now on."""
        self.state = self.state.next_turn()
        return self.state.turn

    def result(self) -> Step:
        """What the step has done."""
        return Step(
            self.state,
            tuple(self.actions),
            tuple(self.outcomes),
            path=tuple(self.path),
            answers=tuple(self.answers),
        )
