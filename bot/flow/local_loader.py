"""The deployment's local layer: ``regions.yaml`` (regions below the Länder, keyed by AGS) and
the checks that only the local layer needs (a region fits its Land, a local contact names a
region). The services files of the layer are read like ``knowledge/`` by
:mod:`bot.flow.knowledge_loader`."""

from __future__ import annotations

from pathlib import Path

from bot.errors import Problem
from bot.flow import schema
from bot.flow.loader import display_name
from bot.flow.model import LocalRegion, Service
from bot.flow.yamlsafe import YMap, YNode, YScalar, parse_file, text_of

#: The file of the local layer that defines its regions; every other YAML file is services.
REGIONS_FILE = "regions.yaml"

#: The Land of each AGS prefix (the first two digits, the official Land number).
LAND_OF_PREFIX = {
    "01": "SH", "02": "HH", "03": "NI", "04": "HB", "05": "NW", "06": "HE", "07": "RP",
    "08": "BW", "09": "BY", "10": "SL", "11": "BE", "12": "BB", "13": "MV", "14": "SN",
    "15": "ST", "16": "TH",
}  # fmt: skip


def is_ags(code: str) -> bool:
    """Whether a region code is an AGS key (5 or 8 digits) rather than a Land code."""
    return code.isdigit() and len(code) in (5, 8)


def services_files(directory: Path) -> list[Path]:
    """The services files of a local layer directory, in name order."""
    return [p for p in sorted(directory.glob("*.y*ml")) if p.name != REGIONS_FILE]


def load_regions(directory: Path) -> tuple[tuple[LocalRegion, ...], list[Problem]]:
    """The regions of ``directory/regions.yaml`` (none if the file is missing) and the problems:
    the schema, an AGS that is not of its Land, an AGS given twice."""
    path = directory / REGIONS_FILE
    if not path.is_file():
        return (), []
    tree, problems = parse_file(path, display_name(path))
    if tree is None:
        return (), problems
    checker = schema.Checker()
    if not checker.check(tree, schema.REGIONS_FILE, "regions file") or not isinstance(tree, YMap):
        return (), [*problems, *checker.problems]
    found: dict[str, LocalRegion] = {}
    for item in tree.seq("regions"):
        assert isinstance(item, YMap)
        region = LocalRegion(
            text_of(item.get("ags")), text_of(item.get("name")), text_of(item.get("land")), item.loc
        )
        problems.extend(_check_region(item, region, found))
        if region.ags not in found:
            found[region.ags] = region
    return tuple(found.values()), problems


def _check_region(item: YMap, region: LocalRegion, found: dict[str, LocalRegion]) -> list[Problem]:
    ags_node: YNode | None = item.get("ags")
    where = ags_node.loc if isinstance(ags_node, YScalar) else item.loc
    problems: list[Problem] = []
    first = found.get(region.ags)
    if first is not None:
        problems.append(Problem(where, f"duplicate region {region.ags!r} (first at {first.loc})"))
    prefix_land = LAND_OF_PREFIX.get(region.ags[:2])
    if prefix_land is None:
        problems.append(
            Problem(where, f"region {region.ags!r}: {region.ags[:2]!r} is not a Land number")
        )
    elif prefix_land != region.land:
        problems.append(
            Problem(
                item.key_loc("land"),
                f"region {region.ags!r} ({region.name}) lies in {prefix_land} by its key, "
                f"not in {region.land}",
            )
        )
    return problems


def check_local_service(item: YMap, svc: Service) -> list[Problem]:
    """What a local contact needs beyond the schema (which already requires every service's
    sources with their check dates): at least one region of the layer."""
    if svc.local_contact and not any(is_ags(code) for code in svc.regions):
        return [
            Problem(
                item.key_loc("regions"),
                f"service {svc.id!r} is a local contact but names no region of regions.yaml "
                "(an AGS key)",
            )
        ]
    return []
