"""The published JSON Schemas of the content files (``schemas/*.schema.json``)."""

from __future__ import annotations

import json

from bot.flow import schema

SCHEMAS = {
    "flow": (schema.FLOW, "Beistand flow"),
    "knowledge": (schema.SERVICES_FILE, "Beistand knowledge: services"),
    "taxonomy": (schema.TAXONOMY_FILE, "Beistand knowledge: regions and topics"),
    "regions": (schema.REGIONS_FILE, "Beistand local layer: regions below the Länder"),
}


def render_schema(name: str) -> str:
    """The JSON text of one schema, stable for committing."""
    spec, title = SCHEMAS[name]
    doc = schema.document(spec, f"https://beistand.invalid/schemas/{name}.schema.json", title)
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
