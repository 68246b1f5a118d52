"""Human handoff: cases, contact persons, escalation, the outbox and the relay.

The engine decides *that* a case is opened or closed (``OpenCase``/``CloseCase``/``Relay``
actions) and what a contact person's event asks for (:mod:`bot.engine.contact`); this package
carries it out:

- :mod:`bot.handoff.rules`: the case rules, pure (who is notified, escalation, claim, close,
  limits), returning writes and notices;
- :mod:`bot.handoff.cases`: reads what the rules need from the store and applies their writes;
- :mod:`bot.handoff.outbox`: the worker that owns the channels and delivers committed notices,
  and the relay (relayed text is never written anywhere);
- :mod:`bot.handoff.notices`: the wording of notices and relayed messages;
- :mod:`bot.handoff.admin`: invitations and removal of contact persons.

:class:`Handoff` holds them together for the runtime.
"""

from bot.handoff.rules import HandoffSettings, invite_hash, new_code
from bot.handoff.service import Handoff

__all__ = ["Handoff", "HandoffSettings", "invite_hash", "new_code"]
