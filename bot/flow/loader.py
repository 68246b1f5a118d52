"""Turn located YAML into :class:`~bot.flow.model.Flow` objects, collecting every problem."""

from __future__ import annotations

import re
from pathlib import Path

from bot.errors import Problem, SourceLocation
from bot.flow import schema
from bot.flow.model import (
    ChoiceNode,
    Condition,
    EndNode,
    Flow,
    GotoNode,
    HandoffNode,
    MessageNode,
    Node,
    OptionSpec,
    ServiceQuery,
    ServicesNode,
)
from bot.flow.yamlsafe import YMap, YNode, YScalar, YSeq, parse_file, text_of


def _texts(node: YNode | None) -> tuple[str, ...]:
    if isinstance(node, YSeq):
        return tuple(text_of(n) for n in node.items)
    return (text_of(node),)


def _opttext_of(node: YNode | None) -> str | None:
    return None if node is None else text_of(node)


def _flag(node: YNode | None) -> bool:
    return isinstance(node, YScalar) and node.value is True


def _loc_of(node: YNode | None) -> SourceLocation | None:
    return None if node is None else node.loc


def _values(node: YNode) -> tuple[str, ...]:
    return tuple(text_of(n) for n in node.items) if isinstance(node, YSeq) else (text_of(node),)


def _option(node: YNode) -> OptionSpec:
    assert isinstance(node, YMap)
    sets = node.get("set")
    when = node.get("when")
    return OptionSpec(
        label=text_of(node.get("label")),
        next=text_of(node.get("next")),
        sets=tuple((str(k.value), text_of(v)) for k, v in sets.items)
        if isinstance(sets, YMap)
        else (),
        when=tuple(Condition(str(k.value), _values(v), k.loc) for k, v in when.items)
        if isinstance(when, YMap)
        else (),
        loc=node.loc,
        next_loc=_loc_of(node.get("next")),
    )


def _node(node_id: str, node: YMap) -> Node:
    """The node of its kind; every node keeps where it was written (file:line:column)."""
    kind = next(k for k in node if k in schema.NODE.kinds)
    body = node.get(kind)
    next_id = _opttext_of(node.get("next"))
    next_loc = _loc_of(node.get("next"))
    loc = node.loc
    match kind:
        case "message":
            return MessageNode(
                id=node_id,
                texts=_texts(body),
                loc=loc,
                next=next_id or "",
                next_loc=next_loc,
                report=_flag(node.get("report")),
            )
        case "choice":
            options = node.get("options")
            return ChoiceNode(
                id=node_id,
                texts=_texts(body),
                loc=loc,
                options=tuple(_option(o) for o in options.items)
                if isinstance(options, YSeq)
                else (),
                ask=_opttext_of(node.get("ask")),
                next=next_id,
                next_loc=next_loc,
            )
        case "services" | "handoff":
            text = node.get("text")
            texts = _texts(text) if text is not None else ()
            assert isinstance(body, YMap)
            if kind == "services":
                ids = body.get("ids")
                query = ServiceQuery(
                    ids=tuple(text_of(n) for n in ids.items) if isinstance(ids, YSeq) else (),
                    topic=_opttext_of(body.get("topic")),
                )
                return ServicesNode(
                    id=node_id, texts=texts, loc=loc, query=query, next=next_id, next_loc=next_loc
                )
            return HandoffNode(
                id=node_id,
                texts=texts,
                loc=loc,
                topic=text_of(body.get("topic")),
                urgency=text_of(body.get("urgency")),
                next=next_id,
                next_loc=next_loc,
            )
        case "goto":
            if isinstance(body, YMap):
                return GotoNode(
                    id=node_id,
                    texts=(),
                    loc=loc,
                    target_flow=_opttext_of(body.get("flow")),
                    target_node=_opttext_of(body.get("node")),
                    next_loc=_loc_of(body.get("flow") or body.get("node")),
                )
            return GotoNode(
                id=node_id, texts=(), loc=loc, target_flow=text_of(body), next_loc=_loc_of(body)
            )
    return EndNode(id=node_id, texts=_texts(body), loc=loc)


def build_flow(tree: YNode) -> Flow:
    """Build a flow from a tree that passed the schema check."""
    assert isinstance(tree, YMap)
    nodes_map = tree.get("nodes")
    assert isinstance(nodes_map, YMap)
    nodes = {
        str(k.value): _node(str(k.value), v) for k, v in nodes_map.items if isinstance(v, YMap)
    }
    keywords = tree.get("keywords")
    slots = tree.get("slots")
    return Flow(
        id=text_of(tree.get("id")),
        title=text_of(tree.get("title")),
        start=text_of(tree.get("start")),
        start_loc=_loc_of(tree.get("start")),
        nodes=nodes,
        loc=tree.loc,
        topic=_opttext_of(tree.get("topic")),
        description=_opttext_of(tree.get("description")) or "",
        keywords=tuple((str(k.value), _values(v)) for k, v in keywords.items)
        if isinstance(keywords, YMap)
        else (),
        slots=tuple((str(k.value), _values(v)) for k, v in slots.items)
        if isinstance(slots, YMap)
        else (),
    )


def display_name(path: Path, base: Path | None = None) -> str:
    """How a file is named in messages: relative to the working directory when possible."""
    for root in (Path.cwd(), base):
        if root is None:
            continue
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            continue
    return str(path)


_ID_LINE = re.compile(r"^id:[ \t]*[\"']?([a-z][a-z0-9_]{0,47})[\"']?[ \t]*(?:#.*)?$", re.M)


def guess_flow_id(path: Path) -> str:
    """The id a file that did not parse most likely has: its ``id:`` line, else its name."""
    try:
        match = _ID_LINE.search(path.read_bytes()[: 64 * 1024].decode("utf-8", "replace"))
    except OSError:
        match = None
    return match.group(1) if match else path.stem


def load_flow_file(path: Path) -> tuple[Flow | None, str | None, list[Problem]]:
    """Load one flow file: the flow (None if unusable), its id if readable, and problems.

    For a file that did not parse, the id is guessed from its ``id:`` line (else its name), so
    that other files' references to it are not reported as well."""
    tree, problems = parse_file(path, display_name(path))
    if tree is None:
        return None, guess_flow_id(path), problems
    return flow_from_parsed(tree, problems)


def flow_from_parsed(
    tree: YNode | None, problems: list[Problem]
) -> tuple[Flow | None, str | None, list[Problem]]:
    """Check and build a flow from a parsed file (:func:`~bot.flow.yamlsafe.parse_bytes` for
    contents in memory); the schema's problems are added to ``problems``."""
    if tree is None:
        return None, None, problems
    flow_id = None
    if isinstance(tree, YMap):
        raw_id = tree.get("id")
        if isinstance(raw_id, YScalar) and schema.is_id(raw_id.value):
            flow_id = str(raw_id.value)
    checker = schema.Checker()
    checker.check(tree, schema.FLOW, "flow")
    # a value already refused while reading (a control character, a huge number) is not
    # reported a second time by the schema
    reported = {p.location for p in problems}
    problems.extend(p for p in checker.problems if p.location not in reported)
    if checker.problems:
        return None, flow_id, problems
    return build_flow(tree), flow_id, problems


def flow_files(directory: Path) -> list[Path]:
    """The flow files of a directory, sorted (``.yaml`` and ``.yml``)."""
    return sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
