"""Nagle's algorithm is off on every connection `bantin serve` accepts, also on a
listening socket handed over the way uvicorn's ``--workers`` does (``proto`` 0),
where asyncio does not turn it off by itself.  Real sockets, a real event loop,
uvicorn's real HTTP protocol."""

from __future__ import annotations

import asyncio
import socket

import pytest

pytest.importorskip("uvicorn")

from uvicorn.config import HTTP_PROTOCOLS, Config  # noqa: E402
from uvicorn.importer import import_from_string  # noqa: E402
from uvicorn.protocols.http.auto import AutoHTTPProtocol  # noqa: E402
from uvicorn.server import ServerState  # noqa: E402

from searcher.serve.tcp import HTTP_PROTOCOL, NoDelayHTTPProtocol  # noqa: E402


async def _app(scope, receive, send):  # the protocol needs an app; no request is sent
    raise AssertionError("not called")


def _nodelay_of_accepted(protocol_class) -> int:
    """TCP_NODELAY on the server side of one loopback connection, accepted by an
    asyncio server speaking ``protocol_class`` on a listening socket whose
    ``proto`` is 0, as the sockets uvicorn's workers are handed are."""

    async def main() -> int:
        config = Config(_app, http=protocol_class, lifespan="off", log_level="warning")
        config.load()
        state = ServerState()
        made: list[asyncio.Protocol] = []

        def factory():
            made.append(config.http_protocol_class(config=config, server_state=state, app_state={}))
            return made[-1]

        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        server = await asyncio.get_running_loop().create_server(factory, sock=listener)
        _, writer = await asyncio.open_connection(*listener.getsockname())
        try:
            for _ in range(1000):  # until the server side has the connection (10 s at most)
                if made and getattr(made[0], "transport", None) is not None:
                    break
                await asyncio.sleep(0.01)
            sock = made[0].transport.get_extra_info("socket")  # type: ignore[attr-defined]
            return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        finally:
            writer.close()
            server.close()
            await server.wait_closed()

    return asyncio.run(main())


def test_uvicorn_alone_leaves_nagle_on_for_such_sockets():
    # The reason for searcher/serve/tcp.py (uvicorn issue #3149).
    assert _nodelay_of_accepted(AutoHTTPProtocol) == 0


def test_the_serve_protocol_turns_nagle_off():
    assert _nodelay_of_accepted(NoDelayHTTPProtocol) != 0


def test_the_protocol_name_serve_passes_to_uvicorn_is_that_protocol():
    assert import_from_string(HTTP_PROTOCOLS.get(HTTP_PROTOCOL, HTTP_PROTOCOL)) is NoDelayHTTPProtocol
