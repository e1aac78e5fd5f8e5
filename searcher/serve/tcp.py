"""uvicorn's HTTP protocol, with Nagle's algorithm off on every connection.

asyncio turns Nagle's algorithm off (``TCP_NODELAY``) only on sockets whose
``proto`` attribute says TCP.  With ``--workers N`` uvicorn binds the
listening socket in the parent and hands it to the workers, and the sockets
accepted from it there carry ``proto`` 0: Nagle stays on, and each keep-alive
response waits about 40 ms for the client's delayed ACK (uvicorn issue #3149).
:class:`NoDelayHTTPProtocol` sets the option on each connection itself;
``bantin serve`` runs uvicorn with it.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.auto import AutoHTTPProtocol


def set_nodelay(transport: asyncio.BaseTransport) -> None:
    """Turn Nagle's algorithm off on a TCP transport's socket (other sockets are left alone)."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    """uvicorn's default HTTP protocol (httptools or h11), with ``TCP_NODELAY`` on each connection."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        set_nodelay(transport)
        super().connection_made(transport)


HTTP_PROTOCOL = f"{__name__}:NoDelayHTTPProtocol"  # for uvicorn.run(http=...)
