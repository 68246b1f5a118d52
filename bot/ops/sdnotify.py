"""Readiness for systemd (``Type=notify``): ``READY=1``, ``RELOADING=1``, ``STOPPING=1``.

The protocol is one datagram to the unix socket named by ``$NOTIFY_SOCKET`` (see sd_notify(3));
written here with the standard library in a few lines instead of a dependency (python-systemd
needs libsystemd headers to build, the small pure-Python packages are barely maintained). Without
``$NOTIFY_SOCKET`` (not run by systemd, or ``Type=simple``) nothing is sent.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Mapping

log = logging.getLogger(__name__)


def notify(state: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send ``state`` (e.g. ``READY=1``) to systemd; True if it was sent.

    A failure is logged and swallowed: the service runs on without its supervisor's notice.
    """
    address = (os.environ if environ is None else environ).get("NOTIFY_SOCKET", "")
    if not address or address[0] not in "/@":
        return False
    target = "\0" + address[1:] if address[0] == "@" else address  # "@": abstract namespace
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(state.encode("utf-8"), target)
    except OSError as error:
        log.warning("systemd.notify_failed", extra={"error": type(error).__name__})
        return False
    return True


def reloading(environ: Mapping[str, str] | None = None) -> bool:
    """``RELOADING=1`` with the monotonic timestamp systemd 253+ asks for."""
    usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    return notify(f"RELOADING=1\nMONOTONIC_USEC={usec}", environ)
