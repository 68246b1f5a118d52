"""Keep what the process holds in memory from ending up on disk or in another process.

The bot has message texts, tokens and the pseudonymisation secret in memory while it works. A core
dump (after a crash, or taken on purpose with ``gcore``) would write all of that to a file that no
retention rule covers. So ``beistand run`` and ``beistand chat`` switch core dumps off for
themselves as they start:

* ``RLIMIT_CORE`` 0 (soft and hard, so the process cannot raise it again), and
* on Linux ``PR_SET_DUMPABLE`` 0: no core file whatever the limit or ``core_pattern`` (also not
  one piped to a crash collector such as systemd-coredump), and other processes of the same user
  cannot attach with ptrace or read ``/proc/PID/mem``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

try:
    import resource
except ImportError:  # pragma: no cover - not POSIX
    resource = None  # type: ignore[assignment]

_LOG = logging.getLogger(__name__)

PR_SET_DUMPABLE = 4
PR_GET_DUMPABLE = 3


def _prctl(option: int, value: int = 0) -> int:
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    return int(libc.prctl(option, value, 0, 0, 0))


def no_core_dumps() -> bool:
    """Switch core dumps off for this process; True if both steps took effect."""
    ok = True
    if resource is not None:
        try:
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        except (ValueError, OSError):
            ok = False
    else:  # pragma: no cover - not POSIX
        ok = False
    if sys.platform.startswith("linux"):
        try:
            ok = _prctl(PR_SET_DUMPABLE, 0) == 0 and ok
        except (OSError, AttributeError):  # pragma: no cover - no libc
            ok = False
    if not ok:
        _LOG.warning("process.core_dumps_not_disabled")
    return ok


def dumpable() -> bool:
    """True unless both safeguards of :func:`no_core_dumps` are in place."""
    limited = resource is not None and resource.getrlimit(resource.RLIMIT_CORE)[0] == 0
    if sys.platform.startswith("linux"):
        return not limited or _prctl(PR_GET_DUMPABLE) != 0
    return not limited
