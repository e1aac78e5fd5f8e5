"""``bantin serve``: the JSON API and the search page, on uvicorn."""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

import click

from ..serve.cache import DEFAULT_SIZE
from .common import USAGE, BantinCliError, handle_errors, index_option, stderr_console


def _origin(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A CORS origin is ``scheme://host[:port]``, nothing more."""
    if value is None:
        return None
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise click.BadParameter(
            f"'{value}' is not an origin: write it like https://example.org or http://localhost:3000"
        )
    return f"{parts.scheme}://{parts.netloc}"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_port(host: str, port: int) -> None:
    """Fail with one line, before uvicorn starts, when the address cannot be bound."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise BantinCliError(f"cannot resolve --host '{host}': {e.strerror}", USAGE) from None
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(addr)
        except OSError as e:
            raise BantinCliError(
                f"cannot listen on {host}:{port}: {e.strerror}; pick another --port or stop what is using it", USAGE
            ) from None


@click.command("serve")
@index_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Loopback unless you name another (e.g. 0.0.0.0 behind a reverse proxy).",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8700, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes (each with its own searcher): concurrency beyond one core.",
)
@click.option(
    "--cors-origin",
    callback=_origin,
    metavar="URL",
    help="Let pages from this one origin call the API (CORS is off without it).",
)
@click.option(
    "--cache-size",
    type=click.IntRange(0, 1_000_000),
    default=DEFAULT_SIZE,
    show_default=True,
    metavar="N",
    help="Search answers each worker keeps for repeated requests (0: no cache). "
    "An index update is never answered from it.",
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
)
@click.option("--access-log/--no-access-log", default=True, show_default=True, help="Log one line per request.")
@handle_errors
def serve_cmd(
    index_dir: Path,
    host: str,
    port: int,
    workers: int,
    cors_origin: str | None,
    cache_size: int,
    log_level: str,
    access_log: bool,
) -> None:
    """Serve the JSON API (/v1/…) and the search page (/) over HTTP.

    The server follows the index: after `bantin index` commits, every worker
    answers from the new generation, with no restart.  Started before the
    index exists, it answers 503 until one is built.  Each worker keeps the
    answers to the last --cache-size searches of the live index generation.

    \b
    API: GET /v1/search?q=…&limit=&offset=&sort=relevance|newest|oldest
             &since=&until=&year=&source=&author=&cites=&facets=year,source,cites&facet_limit=
         GET /v1/bulletins/{id}   GET /v1/refs?q=   GET /v1/health   (OpenAPI: /v1/openapi.json)
    """
    try:
        import uvicorn

        from ..serve import app as _app  # noqa: F401  (FastAPI and Jinja2 are there)
    except ImportError as e:
        raise BantinCliError(
            f'`bantin serve` needs the serve extra ({e.name} is missing): pip install "bantin[serve]"', USAGE
        ) from None
    from ..layout import current_token
    from ..serve.app import ENV_CACHE_SIZE, ENV_CORS, ENV_INDEX
    from ..serve.tcp import HTTP_PROTOCOL
    from ..serve.workers import REUSE_PORT, run_workers

    err = stderr_console()
    index_dir = index_dir.resolve()
    if not _is_loopback(host):
        err.print(f"warning: listening on {host}: other machines can reach this server")
    if current_token(index_dir) is None:
        err.print(f"no index at '{index_dir}' yet: answering 503 until `bantin index --index {index_dir}` builds one")
    _check_port(host, port)
    # The workers are new processes: they read their settings from the environment.
    os.environ[ENV_INDEX] = str(index_dir)
    os.environ[ENV_CACHE_SIZE] = str(cache_size)
    if cors_origin:
        os.environ[ENV_CORS] = cors_origin
    else:
        os.environ.pop(ENV_CORS, None)
    settings = dict(
        app="searcher.serve.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        log_level=log_level,
        access_log=access_log,
        h11_max_incomplete_event_size=64 * 1024,  # under h11 (without httptools): let a long query reach the 414 check
        timeout_graceful_shutdown=10,
        server_header=False,
        http=HTTP_PROTOCOL,  # Nagle off on every connection, also with --workers (searcher/serve/tcp.py)
    )
    if workers > 1 and REUSE_PORT:
        # Each worker accepts its own connections (searcher/serve/workers.py).
        if run_workers(settings, workers) != 0:
            raise BantinCliError("the server's worker processes kept exiting at start: see the lines above", USAGE)
        return
    uvicorn.run(workers=workers, **settings)  # type: ignore[arg-type]
