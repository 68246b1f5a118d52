"""Every translatable string of the content, with its context and place.

Used by the Babel extractors (``pybabel extract``) and by ``beistand validate`` to count missing
translations, so both see exactly the same messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from bot.flow.model import ChoiceNode, Flow, Knowledge


@dataclass(frozen=True, slots=True)
class Message:
    """A translatable string: German text, context, line in its file."""

    context: str
    text: str
    line: int


def flow_messages(flow: Flow) -> Iterator[Message]:
    """The strings of one flow: title and description (context: flow id), node texts and option
    labels (context: ``flow/node``)."""
    yield Message(flow.id, flow.title, flow.loc.line)
    if flow.description:
        yield Message(flow.id, flow.description, flow.loc.line)
    for node in flow.nodes.values():
        context = f"{flow.id}/{node.id}"
        for text in node.texts:
            yield Message(context, text, node.loc.line)
        for option in node.options if isinstance(node, ChoiceNode) else ():
            yield Message(context, option.label, option.loc.line)


def knowledge_messages(knowledge: Knowledge) -> Iterator[Message]:
    """The strings of the knowledge base: service names, summaries, notes; region labels."""
    for region in knowledge.regions:
        yield Message("region", region.label, 1)
    for label in knowledge.topic_labels.values():
        yield Message("topic", label, 1)
    for svc in knowledge.services.values():
        context = f"service/{svc.id}"
        yield Message(context, svc.name, svc.loc.line)
        yield Message(context, svc.summary, svc.loc.line)
        if svc.hours_note:
            yield Message(context, svc.hours_note, svc.loc.line)
        for way in svc.contacts:
            if way.note:
                yield Message(context, way.note, svc.loc.line)
