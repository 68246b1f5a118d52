"""Babel extractors for flow and knowledge files (registered as entry points in pyproject).

``babel.cfg`` maps ``flows/**.yaml`` to ``beistand_flows`` and ``knowledge/**.yaml`` to
``beistand_knowledge``; each message is yielded as a ``pgettext`` call so its context is kept.
A file that does not validate yields nothing (``beistand validate`` reports it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from bot.flow import schema
from bot.flow.loader import build_flow
from bot.flow.yamlsafe import YMap, YScalar, YSeq, parse_text
from bot.i18n.messages import flow_messages

Extracted = tuple[int, str, tuple[str, str], list[str]]


def _read(fileobj: IO[bytes], options: dict[str, Any]) -> str:
    return fileobj.read().decode(options.get("encoding", "utf-8"))


def extract_flow(
    fileobj: IO[bytes], keywords: object, comment_tags: object, options: dict[str, Any]
) -> Iterator[Extracted]:
    """Yield the translatable strings of one flow file."""
    name = getattr(fileobj, "name", "flow.yaml")
    tree, problems = parse_text(_read(fileobj, options), str(name))
    if tree is None or problems:
        return
    checker = schema.Checker()
    if not checker.check(tree, schema.FLOW, "flow"):
        return
    for message in flow_messages(build_flow(tree)):
        yield message.line, "pgettext", (message.context, message.text), []


def extract_knowledge(  # noqa: C901 - walks a tolerant tree
    fileobj: IO[bytes], keywords: object, comment_tags: object, options: dict[str, Any]
) -> Iterator[Extracted]:
    """Yield the translatable strings of one knowledge file (services or taxonomy)."""
    name = getattr(fileobj, "name", "knowledge.yaml")
    tree, problems = parse_text(_read(fileobj, options), str(name))
    if not isinstance(tree, YMap) or problems:
        return
    for key, context in (("regions", "region"), ("topics", "topic")):
        for entry in tree.seq(key):
            label = entry.get("label") if isinstance(entry, YMap) else None
            if isinstance(label, YScalar) and isinstance(label.value, str):
                yield label.loc.line, "pgettext", (context, label.value), []
    services = tree.get("services")
    if not isinstance(services, YSeq):
        return
    for item in services.items:
        if not isinstance(item, YMap):
            continue
        sid = item.get("id")
        if not isinstance(sid, YScalar):
            continue
        context = f"service/{sid.value}"
        for key in ("name", "summary", "hours_note"):
            value = item.get(key)
            if isinstance(value, YScalar) and isinstance(value.value, str):
                yield value.loc.line, "pgettext", (context, value.value), []
        contacts = item.get("contacts")
        for contact in contacts.items if isinstance(contacts, YSeq) else ():
            note = contact.get("note") if isinstance(contact, YMap) else None
            if isinstance(note, YScalar) and isinstance(note.value, str):
                yield note.loc.line, "pgettext", (context, note.value), []
        closures = item.get("closures")
        for closure in closures.items if isinstance(closures, YSeq) else ():
            note = closure.get("note") if isinstance(closure, YMap) else None
            if isinstance(note, YScalar) and isinstance(note.value, str):
                yield note.loc.line, "pgettext", (context, note.value), []


__all__ = ["extract_flow", "extract_knowledge"]
