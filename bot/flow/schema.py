"""A small declarative schema for the content files.

The same spec checks located YAML (with ``file:line:col`` and "did you mean") and is rendered as a
JSON Schema for editors, so the two cannot drift apart. The spec language and the checker are in
:mod:`bot.flow.speclang`; this module holds the specs of the content files.
"""

from __future__ import annotations

from bot.flow.speclang import (
    ID_PATTERN,
    AnyOf,
    Bool,
    Checker,
    Date,
    Int,
    Kinds,
    ListOf,
    MapOf,
    Obj,
    Opt,
    Spec,
    Str,
    document,
    ident,
    is_id,
    suggest,
    to_json_schema,
)

# ---------------------------------------------------------------- the content specs

_TEXT = Str(what="a text", min_length=1)
_VALUE = Str(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,47}$", what="a slot value")
_TEXTS = AnyOf((_TEXT, ListOf(_TEXT, min_items=1)), what="a text or a list of texts")
_CONDITION_VALUE = AnyOf((_VALUE, ListOf(_VALUE, min_items=1)))

OPTION = Obj(
    {
        "label": _TEXT,
        "next": ident("a node id"),
        "set": MapOf(ident("a slot name"), _VALUE, min_items=1),
        "when": MapOf(ident("a slot name"), _CONDITION_VALUE, min_items=1),
    },
    required=("label", "next"),
    title="option",
)

_GOTO = AnyOf(
    (
        ident("a flow id"),
        Obj({"flow": ident("a flow id"), "node": ident("a node id")}, title="goto target"),
    ),
    what="a flow id or a mapping with flow and/or node",
)

URGENCIES = ("low", "normal", "high")

NODE = Kinds(
    {
        "message": Obj(
            {"message": _TEXTS, "next": ident("a node id"), "report": Bool()}, ("message", "next")
        ),
        "choice": Obj(
            {
                "choice": _TEXT,
                "options": ListOf(OPTION, min_items=1, name="option"),
                "ask": ident("a slot name"),
                "next": ident("a node id"),
            },
            ("choice",),
        ),
        "services": Obj(
            {
                "services": Obj(
                    {"ids": ListOf(ident("a service id"), 1), "topic": ident("a topic")},
                    title="service query",
                ),
                "text": _TEXT,
                "next": ident("a node id"),
            },
            ("services",),
        ),
        "handoff": Obj(
            {
                "handoff": Obj(
                    {"topic": ident("a topic"), "urgency": Str(enum=URGENCIES, what="an urgency")},
                    ("topic", "urgency"),
                    title="handoff",
                ),
                "text": _TEXT,
                "next": ident("a node id"),
            },
            ("handoff",),
        ),
        "goto": Obj({"goto": _GOTO}, ("goto",)),
        "end": Obj({"end": _TEXT}, ("end",)),
    },
    what="node kind",
)

FLOW = Obj(
    {
        "id": ident("a flow id"),
        "title": _TEXT,
        "description": _TEXT,
        "topic": ident("a topic"),
        "start": ident("a node id"),
        "keywords": MapOf(
            Str(pattern=r"^[a-z]{2}$", what="a language code"), ListOf(_TEXT, min_items=1)
        ),
        "slots": MapOf(ident("a slot name"), ListOf(_VALUE, min_items=1)),
        "nodes": MapOf(ident("a node id"), NODE, min_items=1, name="node"),
    },
    required=("id", "title", "start", "nodes"),
    title="flow",
)

DAYS = ("mo", "tu", "we", "th", "fr", "sa", "su")
_CLOCK = Str(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$", what="a time HH:MM")

CONTACT = Kinds(
    {
        "phone": Obj(
            {
                "phone": Str(pattern=r"^\+?[0-9][0-9 /-]{1,24}[0-9]$", what="a phone number"),
                "note": _TEXT,
            },
            ("phone",),
        ),
        "email": Obj(
            {
                "email": Str(
                    pattern=r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$",
                    what="an e-mail address",
                ),
                "note": _TEXT,
            },
            ("email",),
        ),
        "web": Obj(
            {
                "web": Str(
                    pattern=r"^https://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(/[^\s]*)?$",
                    what="an https:// address",
                ),
                "note": _TEXT,
            },
            ("web",),
        ),
    },
    what="contact kind",
)

HOURS = Obj(
    {"days": ListOf(Str(enum=DAYS, what="a weekday"), min_items=1), "from": _CLOCK, "to": _CLOCK},
    ("days", "from", "to"),
    title="opening window",
)

#: The public-holiday calendars a service can keep: the nationwide holidays, or a Land's (which
#: include the nationwide ones); the dates come from the ``holidays`` package
#: (bot/flow/calendars.py).
LANDER = (
    "BB", "BE", "BW", "BY", "HB", "HE", "HH", "MV", "NI", "NW", "RP", "SH", "SL", "SN", "ST", "TH",
)  # fmt: skip
HOLIDAY_CALENDARS = ("national", *LANDER)

CLOSURE = Obj(
    {"from": Date(), "to": Date(), "note": _TEXT},
    ("from",),
    title="closure",
)

#: The kinds a service may name (``kind:``); without one it is an ordinary service.
SERVICE_KINDS = ("local_contact",)

SOURCE = Obj(
    {"url": Str(pattern=r"^https?://[^\s]+$", what="a web address"), "checked": Date()},
    ("url", "checked"),
    title="source",
)

SERVICE = Obj(
    {
        "id": ident("a service id"),
        "name": _TEXT,
        "summary": _TEXT,
        "topics": ListOf(ident("a topic"), min_items=1),
        "regions": ListOf(
            Str(pattern=r"^[A-Z]{2}$|^[0-9]{5}$|^[0-9]{8}$", what="a region code or AGS key"),
            min_items=1,
        ),
        "kind": Str(enum=SERVICE_KINDS, what="a service kind"),
        "contacts": ListOf(CONTACT, min_items=1),
        "hours": AnyOf(
            (Str(enum=("24/7",), what="24/7"), ListOf(HOURS, min_items=1)),
            what="24/7 or a list of opening windows",
        ),
        "hours_note": _TEXT,
        "holidays": Str(enum=HOLIDAY_CALENDARS, what="a holiday calendar"),
        "closures": ListOf(CLOSURE, min_items=1, name="closure"),
        "sources": ListOf(SOURCE, min_items=1),
        "verified": Bool(),
    },
    required=("id", "name", "summary", "topics", "regions", "contacts", "sources", "verified"),
    title="service",
)

SERVICES_FILE = Obj(
    {"services": ListOf(SERVICE, min_items=1, name="service")}, ("services",), "services file"
)

TAXONOMY_FILE = Obj(
    {
        "regions": ListOf(
            Obj(
                {"code": Str(pattern=r"^[A-Z]{2}$|^none$", what="a region code"), "label": _TEXT},
                ("code", "label"),
            ),
            min_items=1,
        ),
        "topics": ListOf(Obj({"id": ident("a topic"), "label": _TEXT}, ("id", "label")), 1),
    },
    ("regions", "topics"),
    "taxonomy",
)

#: An AGS key: 5 digits (Kreis, kreisfreie Stadt) or 8 (Gemeinde).
AGS_PATTERN = r"^[0-9]{5}$|^[0-9]{8}$"

LOCAL_REGION = Obj(
    {
        "ags": Str(pattern=AGS_PATTERN, what="an AGS key (5 or 8 digits, quoted)"),
        "name": _TEXT,
        "land": Str(enum=LANDER, what="a Land code"),
    },
    ("ags", "name", "land"),
    title="local region",
)

REGIONS_FILE = Obj(
    {"regions": ListOf(LOCAL_REGION, min_items=1, name="region")},
    ("regions",),
    "regions file",
)


__all__ = [
    "AGS_PATTERN",
    "CLOSURE",
    "CONTACT",
    "DAYS",
    "FLOW",
    "HOLIDAY_CALENDARS",
    "HOURS",
    "ID_PATTERN",
    "LANDER",
    "LOCAL_REGION",
    "NODE",
    "OPTION",
    "REGIONS_FILE",
    "SERVICE",
    "SERVICES_FILE",
    "SERVICE_KINDS",
    "SOURCE",
    "TAXONOMY_FILE",
    "URGENCIES",
    "AnyOf",
    "Bool",
    "Checker",
    "Date",
    "Int",
    "Kinds",
    "ListOf",
    "MapOf",
    "Obj",
    "Opt",
    "Spec",
    "Str",
    "document",
    "ident",
    "is_id",
    "suggest",
    "to_json_schema",
]
