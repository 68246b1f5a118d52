"""The HTTP connection to the Bot API: python-telegram-bot's httpx request, with JSON bodies.

python-telegram-bot sends every call as an HTML form (``application/x-www-form-urlencoded``),
each object inside JSON-encoded once more: httpx percent-encodes every byte of a German text
outside ASCII, every line break and every ``<b>`` in Python, 58 µs for a ``/start`` message with
its keyboard, against 30 µs for the same call as one JSON document (which the Bot API takes
as well, and which is a fifth shorter). :class:`JsonRequest` sends calls without files as JSON;
calls with files go as python-telegram-bot sends them (multipart). Timeouts, the connection pool
and the errors stay python-telegram-bot's own (:class:`telegram.request.HTTPXRequest`).

Both connections of a bot (its calls and getUpdates) share one TLS context
(:func:`tls_context`): httpx would otherwise build one per client and load the CA bundle into
each, 20 ms at every start.
"""

from __future__ import annotations

import functools
import json
import ssl
from typing import Any

import httpx
from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest, RequestData

_HEADERS = {"User-Agent": HTTPXRequest.USER_AGENT, "Content-Type": "application/json"}


class JsonRequest(HTTPXRequest):
    """:class:`telegram.request.HTTPXRequest` that sends calls without files as JSON."""

    def __init__(self, connection_pool_size: int = 256) -> None:
        super().__init__(
            connection_pool_size=connection_pool_size, httpx_kwargs={"verify": tls_context()}
        )

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        write_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        connect_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        pool_timeout: Any = HTTPXRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One call: the parameters as a JSON body (files: as python-telegram-bot sends them)."""
        if request_data is None or request_data.contains_files:
            return await super().do_request(
                url,
                method,
                request_data,
                read_timeout,
                write_timeout,
                connect_timeout,
                pool_timeout,
            )
        client: httpx.AsyncClient = self._client  # python-telegram-bot's own client and pool
        if client.is_closed:
            raise RuntimeError("This HTTPXRequest is not initialized!")
        default = client.timeout
        timeout = httpx.Timeout(
            connect=default.connect if _unset(connect_timeout) else connect_timeout,
            read=default.read if _unset(read_timeout) else read_timeout,
            write=default.write if _unset(write_timeout) else write_timeout,
            pool=default.pool if _unset(pool_timeout) else pool_timeout,
        )
        body = json.dumps(request_data.parameters, ensure_ascii=False).encode()
        try:
            response = await client.request(
                method=method, url=url, headers=_HEADERS, timeout=timeout, content=body
            )
        except httpx.TimeoutException as error:  # as python-telegram-bot maps them
            if isinstance(error, httpx.PoolTimeout):
                raise TimedOut("Pool timeout: all connections in the pool are busy") from error
            raise TimedOut from error
        except httpx.HTTPError as error:
            raise NetworkError(f"httpx.{error.__class__.__name__}: {error}") from error
        return response.status_code, response.content


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The TLS context of the Bot API connections, built once as httpx builds it (its CA bundle,
    ``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` honoured)."""
    return httpx.create_ssl_context()


def _unset(value: Any) -> bool:
    """Whether a timeout was left to the client's default (python-telegram-bot's marker)."""
    return isinstance(value, type(HTTPXRequest.DEFAULT_NONE))


__all__ = ["JsonRequest", "tls_context"]
