"""The Matrix channel: matrix-nio (with end-to-end encryption through vodozemac) on one side,
the runtime's :class:`~bot.runtime_api.Handler` on the other. No business logic lives here.

The package, by job:

* :mod:`.config`: :class:`MatrixConfig` (built at the config edge) and the store directory;
* :mod:`.mapping`: nio events to engine events (typed text through
  :func:`bot.engine.typed.parse_typed`, as on every platform) and messages to ``m.notice``;
* :mod:`.rooms`: direct chats only, one job at a time per room (:class:`bot.serial.SerialQueue`);
* :mod:`.client`: login, the first sync (no history), the sync loop, sending;
* :mod:`.crosssign`: cross-signing of the bot's own device;
* :mod:`.transport`: :class:`MatrixTransport`, the face ``beistand run`` starts and stops.

Nothing a user typed, no user or room id and no secret is ever logged here; records from nio's
own loggers pass a filter that blanks Matrix identifiers (:func:`bot.logs.guard_loggers`). See
``docs/matrix.md``.
"""

from bot.logs import RedactIdsFilter, redact_ids
from bot.transports.matrix.config import DEVICE_FILE, MatrixConfig, prepare_store_dir
from bot.transports.matrix.mapping import (
    MAX_MEMBERS,
    PLATFORM,
    message_content,
    room_allowed,
    strip_reply_fallback,
    to_engine_event,
    typed_event,
)
from bot.transports.matrix.rooms import MAX_PENDING_PER_ROOM
from bot.transports.matrix.transport import MatrixTransport, guard_nio_logging, run_matrix

__all__ = [
    "DEVICE_FILE",
    "MAX_MEMBERS",
    "MAX_PENDING_PER_ROOM",
    "PLATFORM",
    "MatrixConfig",
    "MatrixTransport",
    "RedactIdsFilter",
    "guard_nio_logging",
    "message_content",
    "prepare_store_dir",
    "redact_ids",
    "room_allowed",
    "run_matrix",
    "strip_reply_fallback",
    "to_engine_event",
    "typed_event",
]
