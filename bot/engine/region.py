"""The local layer in a conversation: the region question after the Land, and keeping the
region slot true to the Land.

Where the deployment's local layer defines regions for the Land a user just chose at an
``ask: land`` node, one more question follows (:class:`~bot.engine.state.ChoosingRegion` at the
same node): that Land's regions, then "elsewhere / no answer". The answer sets
:data:`~bot.flow.model.REGION_SLOT` (an AGS key or ``none``) and the conversation goes on at the
node's ``next``. Without regions for the Land nothing changes.
"""

from __future__ import annotations

from dataclasses import replace

from bot.engine import texts
from bot.engine.run import Run
from bot.engine.state import ChoosingRegion, State
from bot.flow.model import LAND_SLOT, REGION_SLOT, Knowledge, LocalRegion

#: The region slot's value for "elsewhere / no answer".
NO_REGION = "none"


def offered(run: Run) -> tuple[LocalRegion, ...]:
    """The regions of the user's Land that the region question offers."""
    return run.content.knowledge.local_regions_of(run.state.slot(LAND_SLOT))


def labels(run: Run) -> list[str]:
    """The answers of the region question, without the emergency answer."""
    return [r.name for r in offered(run)] + [texts.region_elsewhere(run.t)]


def fit(state: State, knowledge: Knowledge) -> State:
    """The state without a region that does not lie in its Land (the Land was changed)."""
    region = state.slot(REGION_SLOT)
    if region is None or region == NO_REGION:
        return state
    found = knowledge.local_region(region)
    if found is None or found.land != state.slot(LAND_SLOT):
        return state.without_slot(REGION_SLOT)
    return state


def wanted(run: Run) -> bool:
    """Whether the region question is due: the Land has regions and no region is chosen."""
    return bool(offered(run)) and run.state.slot(REGION_SLOT) is None


def ask(run: Run) -> None:
    """Open the region question at the current (``ask: land``) node; the caller prompts."""
    run.state = replace(run.state, mode=ChoosingRegion())


def value_of(run: Run, index: int) -> str:
    """The region slot's value for answer ``index`` of the region question."""
    regions = offered(run)
    return regions[index].ags if index < len(regions) else NO_REGION


def local_region(run: Run) -> LocalRegion | None:
    """The user's local region, if they chose one (and it lies in their Land)."""
    found = run.content.knowledge.local_region(run.state.slot(REGION_SLOT))
    if found is None or found.land != run.state.slot(LAND_SLOT):
        return None
    return found
