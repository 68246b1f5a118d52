"""Contact administration (``beistand contacts``): invite, list, remove."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.handoff import rules
from bot.handoff.rules import HandoffSettings
from bot.ports import Audit, ContactRecord, Invite, RemoveContact, Store, Write

log = logging.getLogger(__name__)


def _log_audit(writes: tuple[Write, ...]) -> None:
    for write in writes:
        if isinstance(write, Audit):
            log.info(write.event, extra={"kind": write.role})


class Contacts:
    """Invitations and removal of contact persons."""

    def __init__(
        self,
        store: Store,
        clock: Callable[[], float],
        settings: HandoffSettings,
        committed: Callable[[tuple[Write, ...]], None] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings
        self._committed = committed or _log_audit

    async def invite(
        self,
        name: str,
        lands: list[str],
        topics: list[str],
        regions: list[str] | None = None,
        role: str = "contact",
    ) -> str:
        """Create a contact person's invitation; returns the one-time code (shown once).
        ``regions`` makes them the local contact of those AGS keys; ``role`` ``meldestelle``
        makes them an office that receives reports (never handoff cases)."""
        code = rules.new_invitation()
        now = int(self.clock())
        expires = now + self.settings.invite_days * 86400
        writes: tuple[Write, ...] = (
            Invite(
                name,
                tuple(lands),
                tuple(topics),
                rules.invite_hash(code),
                expires,
                now,
                tuple(regions or ()),
                role,
            ),
            Audit(now, "contact.invited", None, "admin"),
        )
        async with self.store.unit() as unit:
            unit.apply(*writes)
        self._committed(writes)
        return code

    async def contacts(self) -> list[ContactRecord]:
        """Every contact person, registered or invited."""
        return await self.store.contacts()

    async def remove(self, contact_id: int) -> bool:
        """Remove a contact person; their claimed cases go back to waiting."""
        now = int(self.clock())
        writes: tuple[Write, ...] = ()
        async with self.store.unit() as unit:
            if await unit.contact(contact_id) is not None:
                held = [c for c in await unit.contact_cases(contact_id) if c.status == "claimed"]
                told = {c.code: await unit.notified(c.code) for c in held}
                left = rules.contact_left(
                    held, told, await unit.contacts(), contact_id, now, self.settings
                )
                writes = (
                    RemoveContact(contact_id, now),
                    *left,
                    Audit(now, "contact.removed", None, "admin"),
                )
                unit.apply(*writes)
        self._committed(writes)
        return bool(writes)
