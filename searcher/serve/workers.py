"""`bantin serve --workers N`: worker processes that each accept their own connections.

uvicorn's own ``--workers`` hands one listening socket to every worker, and
the first worker to wake accepts every pending connection (asyncio drains the
accept queue in one go).  Clients keep their connections alive, so under load
one worker ends up serving nearly all of them while the others idle: two
workers measured no faster than one.  Here each worker listens on a socket of
its own with ``SO_REUSEPORT``, and the kernel spreads new connections evenly
over them.

The parent holds the port (bound, not listening, so it takes no connection)
while the workers run, starts a new worker when one dies, and stops them all
on SIGINT or SIGTERM.  Where ``SO_REUSEPORT`` does not exist, ``bantin serve``
falls back to uvicorn's own workers.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import time
from multiprocessing.connection import wait
from typing import Any

REUSE_PORT = hasattr(socket, "SO_REUSEPORT")
QUICK_DEATH_S = 5.0  # a worker dying this soon after it started ...
QUICK_DEATHS = 3  # ... this many times in a row: stop, something is wrong with the setup

log = logging.getLogger("uvicorn.error")


def reuse_port_socket(host: str, port: int, *, listen: bool) -> socket.socket:
    """A TCP socket bound to ``host:port`` with ``SO_REUSEPORT`` (listening if ``listen``)."""
    family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(addr)
        if listen:
            sock.listen(2048)
    except BaseException:
        sock.close()
        raise
    return sock


def _worker(uvicorn_kwargs: dict[str, Any]) -> None:
    """One worker process: uvicorn on a listening socket of its own."""
    import uvicorn

    config = uvicorn.Config(**uvicorn_kwargs)
    sock = reuse_port_socket(config.host, config.port, listen=True)
    uvicorn.Server(config).run(sockets=[sock])


def run_workers(uvicorn_kwargs: dict[str, Any], workers: int) -> int:
    """Run ``workers`` processes of uvicorn with ``uvicorn_kwargs`` until SIGINT or SIGTERM.

    Returns 0 after a clean stop, 1 when workers kept dying as soon as they
    started (their own log lines say why).
    """
    holder = reuse_port_socket(uvicorn_kwargs["host"], uvicorn_kwargs["port"], listen=False)
    ctx = multiprocessing.get_context("spawn")
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}

    def start() -> tuple[Any, float]:
        p = ctx.Process(target=_worker, args=(uvicorn_kwargs,), name="bantin-serve-worker")
        p.start()
        return p, time.monotonic()

    procs = [start() for _ in range(workers)]
    quick_deaths = 0
    try:
        while not stopping:
            wait([p.sentinel for p, _ in procs], timeout=0.5)  # wakes when a worker exits
            for i, (p, started) in enumerate(procs):
                if stopping or p.is_alive():
                    continue
                quick_deaths = quick_deaths + 1 if time.monotonic() - started < QUICK_DEATH_S else 0
                if quick_deaths >= QUICK_DEATHS:
                    log.error("workers keep exiting as soon as they start: stopping")
                    return 1
                log.warning("worker %s exited with code %s: starting another", p.pid, p.exitcode)
                procs[i] = start()
        return 0
    finally:
        for p, _ in procs:
            if p.is_alive():
                os.kill(p.pid, signal.SIGTERM)  # uvicorn's graceful stop (a second SIGINT would force it)
        for p, _ in procs:
            p.join(30)
            if p.is_alive():
                p.kill()
                p.join()
        holder.close()
        for s, handler in previous.items():
            signal.signal(s, handler)
