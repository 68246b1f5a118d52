"""The fast YAML reader: libyaml's parser, where PyYAML was built with it.

PyYAML's pure-Python parser is most of what loading the content costs (and most of a start of
``beistand run`` without bytecode caches after the imports); libyaml's is about five times as
fast. :func:`bot.flow.yamlsafe.parse_text` asks :func:`fast_node` first and takes its document
only if it passes every check there too; whatever libyaml or a check refuses, and every
construct where libyaml is known to be more lenient than PyYAML, is read again by the
pure-Python loader, so every problem is found and worded by one reader and the trees are the
same either way (``tests/fuzz/test_yaml_readers.py`` compares them on every shipped file, on
mutated copies and on random text).
"""

from __future__ import annotations

import re

import yaml

#: Whether PyYAML was built with libyaml (tests switch the fast reader off with this).
AVAILABLE = bool(getattr(yaml, "__with_libyaml__", False))
#: What libyaml takes where PyYAML refuses it or reads it differently (found by
#: tests/fuzz/test_yaml_readers.py): tabs, byte-order marks, a block scalar's indicator run
#: into other characters ("|#"), "?" keys, directives and document markers; and (checked on the
#: events below) empty values and a "?" in an unquoted text inside brackets.
_LENIENT = re.compile(
    r"\t|\ufeff|[|>][-+0-9]*[^\s0-9+-]|(?:^|[\s\[{,])\?(?:[\s\]},]|$)|^%|^---|^\.\.\.",
    re.MULTILINE,
)
_NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE
_OPENS = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSES = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def fast_node(text: str, max_depth: int, max_nodes: int) -> yaml.Node | None:
    """The composed document read by libyaml, or None where the pure-Python loader must read
    it (no libyaml, an error, a refusal, or no document at all)."""
    if _LENIENT.search(text) or _NON_PRINTABLE.search(text):
        return None
    try:
        events = yaml.CSafeLoader(text)
        flows: list[bool] = []  # per open collection: written in brackets?
        values = 0
        try:
            while events.check_event():
                event = events.get_event()
                if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                    return None
                if isinstance(event, _CLOSES):
                    flows.pop()
                elif isinstance(event, (*_OPENS, yaml.ScalarEvent)):
                    values += 1
                    if len(flows) >= max_depth or values > max_nodes:
                        return None
                    if isinstance(event, _OPENS):
                        flows.append(bool(event.flow_style) or bool(flows and flows[-1]))
                    elif not event.style and (
                        not event.value or (flows and flows[-1] and "?" in event.value)
                    ):  # an empty value: libyaml places it elsewhere
                        return None
        finally:
            events.dispose()
        loader = yaml.CSafeLoader(text)  # checked: now compose it (recursion is bounded)
        try:
            node: yaml.Node | None = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.YAMLError:
        return None
    return node
