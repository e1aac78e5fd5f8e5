"""The FastAPI application: JSON API under ``/v1``, search page at ``/``, bulletin page at ``/b/{id}``.

Build one with :func:`create_app`; ``bantin serve`` runs :func:`app_from_env`
(an app factory, so that uvicorn can start several worker processes, each
with its own :class:`~searcher.Searcher`).

Errors are JSON ``{"error": {"code", "message"}}`` on the API (and for any
client that does not ask for HTML), an HTML page on the pages; never a
traceback.  Status codes: 400 bad query or parameter, 404 unknown id or route,
405 wrong method, 411/413/414 request too large, 503 index missing or
corrupt, 500 anything unexpected (logged here, not shown).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import anyio.to_thread
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__, layout
from ..errors import (
    BantinError,
    DocumentNotFound,
    IndexCorruptError,
    IndexLockedError,
    IndexMissingError,
    QueryError,
)
from ..models import SearchResult
from ..schema import ANALYSIS_VERSION
from ..search import Searcher
from .cache import DEFAULT_SIZE, ResponseCache, search_key
from .highlight import snippet_html
from .schemas import (
    MAX_QUERY,
    CacheOut,
    DocumentOut,
    ErrorOut,
    HealthOut,
    RefCountOut,
    RefsParams,
    SearchOut,
    SearchParams,
)
from .state import (
    LABELS,
    PAGE_FACET_LIMIT,
    PAGE_FACETS,
    PAGE_SIZE,
    PageState,
    cites_href,
)

log = logging.getLogger("bantin.serve")

ENV_INDEX = "BANTIN_INDEX"
ENV_CORS = "BANTIN_CORS_ORIGIN"
ENV_CACHE_SIZE = "BANTIN_CACHE_SIZE"
CACHE_HEADER = "X-Bantin-Cache"  # "hit" or "miss" on /v1/search answers while the cache is on

MAX_URL_BYTES = 24 * 1024  # path + query: a 2,000-character query with diacritics, percent-encoded, fits
MAX_BODY_BYTES = 16 * 1024  # no endpoint reads a body

TEMPLATES = Path(__file__).parent / "templates"

ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]
]

# Status and error code for each library error; the message is the library's own line.
_STATUS_FOR: list[tuple[type[BantinError], int, str]] = [
    (QueryError, 400, "bad_query"),
    (DocumentNotFound, 404, "not_found"),
    (IndexMissingError, 503, "index_missing"),
    (IndexCorruptError, 503, "index_corrupt"),
    (IndexLockedError, 503, "index_locked"),
]

_HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    411: "length_required",
    413: "body_too_large",
    414: "uri_too_long",
}

# Vietnamese headings of the HTML error pages.
_PAGE_ERRORS = {
    400: "Truy vấn không hợp lệ",
    404: "Không tìm thấy trang này",
    405: "Không hỗ trợ yêu cầu này",
    503: "Chỉ mục chưa sẵn sàng, xin thử lại sau",
    500: "Đã có lỗi, xin thử lại sau",
}

_CACHE_HEADER_DOC = {
    CACHE_HEADER: {
        "description": '"hit": answered from this worker\'s cache (same index generation, same parameters); '
        '"miss": searched.  Absent when the cache is off (`bantin serve --cache-size 0`).',
        "schema": {"type": "string", "enum": ["hit", "miss"]},
    }
}

_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Bad query or parameter"},
    503: {"model": ErrorOut, "description": "No index yet, or the index is corrupt"},
    500: {"model": ErrorOut, "description": "Unexpected error (logged by the server)"},
}


class SearcherSlot:
    """This process's :class:`Searcher`, opened on first need.

    The service starts whether or not the index exists; until it does, every
    call raises :class:`IndexMissingError` (a 503).  Once open, the Searcher
    follows the live generation by itself (``auto_refresh``): an index job's
    commit, in any process, is seen by the next request.
    """

    def __init__(self, root: Path):
        self.root = root
        self._lock = threading.Lock()
        self._searcher: Searcher | None = None

    def get(self) -> Searcher:
        with self._lock:
            if self._searcher is None:
                self._searcher = Searcher(self.root)
            return self._searcher

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None


# --- shaping library results --------------------------------------------------------------


def search_dict(res: SearchResult) -> dict[str, Any]:
    """The library's result as the API returns it: ``to_dict()`` plus ``snippet_html`` per hit."""
    d = res.to_dict()
    for hit, h in zip(res.hits, d["hits"]):
        h["score"] = float(h["score"])  # as SearchOut types it: 0.0, not 0, when listed by date
        h["snippet_html"] = snippet_html(hit.snippet, hit.highlights)
    return d


def search_out(res: SearchResult) -> SearchOut:
    """:func:`search_dict` as a model (for the pages)."""
    return SearchOut.model_validate(search_dict(res))


def json_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON, as FastAPI writes a response model."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


def search_json(res: SearchResult) -> bytes:
    """The body of a ``/v1/search`` answer: :func:`search_dict` encoded once.

    The same JSON as ``search_out(res)`` dumped by FastAPI's response model
    (``exclude_unset``: the keys the library gives), without validating the
    library's own output again on every request; the tests hold the two equal.
    """
    return json_bytes(search_dict(res))


def health_out(s: Searcher, cache: ResponseCache) -> HealthOut:
    gen = s.generation
    try:
        meta = layout.read_json(s.root / gen / layout.META)
    except (OSError, ValueError):
        meta = {}
    version = str(meta.get("analysis_version") or "unknown")
    return HealthOut(
        status="ok",
        generation=gen,
        documents=s.doc_count(),
        analysis_version=version,
        analysis_current=version == ANALYSIS_VERSION,
        version=__version__,
        worker=os.getpid(),
        cache=CacheOut(**cache.stats()),
    )


# --- errors -------------------------------------------------------------------------------


def _wants_html(request: Request) -> bool:
    """The pages answer errors in HTML; the API, and clients that do not ask for HTML, in JSON."""
    path = request.url.path
    if path.startswith("/v1"):
        return False
    return path == "/" or path.startswith("/b/") or "text/html" in request.headers.get("accept", "")


def _json_error(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _validation_message(exc: RequestValidationError) -> str:
    """The first problem, as ``name: what is wrong``."""
    errors = exc.errors()
    if not errors:
        return "invalid request"
    e = errors[0]
    where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("query", "path", "body"))
    if e.get("type") == "extra_forbidden":
        return f"unknown parameter '{where}'"
    return _one_line(f"{where}: {e.get('msg', 'invalid')}" if where else str(e.get("msg", "invalid")))


class _Pages:
    """Jinja2 templates and the little helpers they use."""

    def __init__(self) -> None:
        self.templates = Jinja2Templates(directory=str(TEMPLATES))
        env = self.templates.env
        env.filters["vn_date"] = lambda d: d.strftime("%d/%m/%Y") if d else ""
        env.filters["vn_number"] = lambda n: f"{n:,}".replace(",", ".")
        env.globals["MAX_QUERY"] = MAX_QUERY
        env.globals["PAGE_SIZE"] = PAGE_SIZE
        env.globals["LABELS"] = LABELS
        env.globals["PAGE_FACETS"] = list(PAGE_FACETS)
        env.globals["PAGE_FACET_LIMIT"] = PAGE_FACET_LIMIT
        env.globals["cites_href"] = cites_href

    def render(self, request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        nonce = secrets.token_urlsafe(16)
        context.setdefault("state", PageState())
        response = self.templates.TemplateResponse(request, name, {"nonce": nonce, **context}, status_code=status)
        response.headers["Content-Security-Policy"] = (
            f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
            "connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        )
        return response

    def error(self, request: Request, status: int, message: str) -> HTMLResponse:
        heading = _PAGE_ERRORS.get(status, _PAGE_ERRORS[500])
        return self.render(request, "error.html", status, heading=heading, message=message)


# --- request limits and headers (pure ASGI, outermost) -----------------------------------


class Guard:
    """Refuse overlong URLs (414) and request bodies (413, 411 for chunked), add safety headers."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: MutableMapping[str, Any], receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = self._problem(scope)
        if problem is not None:
            await _json_error(*problem)(scope, receive, send)
            return

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
                ]
                headers += [(k, v) for k, v in extra if k not in names]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

    @staticmethod
    def _problem(scope: MutableMapping[str, Any]) -> tuple[int, str, str] | None:
        path = scope.get("raw_path") or scope["path"].encode("utf-8")
        if len(path) + len(scope.get("query_string") or b"") > MAX_URL_BYTES:
            return 414, "uri_too_long", f"the URL is longer than {MAX_URL_BYTES} bytes: shorten the query"
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        length = headers.get(b"content-length")
        if length is not None:
            try:
                n = int(length)
            except ValueError:
                return 400, "bad_request", "Content-Length is not a number"
            if n > MAX_BODY_BYTES:
                return 413, "body_too_large", f"request bodies are limited to {MAX_BODY_BYTES} bytes"
        elif b"chunked" in headers.get(b"transfer-encoding", b"").lower():
            return 411, "length_required", "chunked request bodies are not accepted: send Content-Length"
        return None


# --- the application ----------------------------------------------------------------------


SEARCH_THREADS = 2  # per worker process: one searching while another's response is written


def create_app(
    index_dir: str | os.PathLike[str] = "index", *, cors_origin: str | None = None, cache_size: int = DEFAULT_SIZE
) -> FastAPI:
    """The service over the index at ``index_dir`` (which may not exist yet).

    ``cors_origin`` (e.g. ``"https://example.org"``) lets that one site call
    the API from its pages; without it, no CORS header is sent.
    ``cache_size``: answers of ``/v1/search`` kept per process
    (:class:`~searcher.serve.cache.ResponseCache`); 0 turns the cache off.
    """
    slot = SearcherSlot(Path(index_dir))
    cache = ResponseCache(cache_size)
    pages = _Pages()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Searches hold the GIL: more threads in one worker process only queue on
        # it, each with its own opened copy of the index (see Searcher).  Cores
        # are used by --workers processes instead.
        anyio.to_thread.current_default_thread_limiter().total_tokens = SEARCH_THREADS
        try:
            slot.get()  # open early when the index exists; a missing one is a 503 until it appears
        except BantinError as e:
            log.warning("%s (answering 503 until it is fixed)", e)
        yield
        slot.close()

    app = FastAPI(
        title="bantin",
        version=__version__,
        summary="Full-text search for Vietnamese news bulletins.",
        openapi_url="/v1/openapi.json",
        docs_url=None,  # Swagger UI and ReDoc load from CDNs; the OpenAPI document is enough
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.slot = slot
    app.state.cache = cache
    if cors_origin:
        app.add_middleware(CORSMiddleware, allow_origins=[cors_origin], allow_methods=["GET", "HEAD"], max_age=600)
    app.add_middleware(Guard)

    # -- errors ---------------------------------------------------------------------

    def error_response(
        request: Request, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> Response:
        message = _one_line(message)
        if _wants_html(request):
            response = pages.error(request, status, message)
            response.headers.update(headers or {})
            return response
        return _json_error(status, code, message, headers)

    @app.exception_handler(BantinError)
    async def library_error(request: Request, exc: BantinError) -> Response:
        for cls, status, code in _STATUS_FOR:
            if isinstance(exc, cls):
                return error_response(request, status, code, str(exc))
        log.error("unexpected library error on %s: %s", request.url.path, exc)
        return error_response(request, 500, "internal", "internal error: the server log says more")

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request, 400, "bad_parameter", _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        message = {404: f"no such page: {request.url.path}", 405: f"{request.method} is not allowed here"}.get(
            exc.status_code, str(exc.detail)
        )
        return error_response(request, exc.status_code, code, message, exc.headers)  # e.g. Allow on a 405

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> Response:
        log.error("internal error on %s %s: %s: %s", request.method, request.url.path, exc.__class__.__name__, exc)
        return error_response(request, 500, "internal", "internal error: the server log says more")

    # -- JSON API -------------------------------------------------------------------

    def search_answer(query: str, kwargs: dict[str, Any]) -> bytes:
        return search_json(slot.get().search(query, **kwargs))

    @app.get(
        "/v1/search",
        response_model=SearchOut,  # documents the answer, written by search_json
        responses={**_ERROR_RESPONSES, 200: {"headers": _CACHE_HEADER_DOC}},
        tags=["search"],
    )
    async def api_search(params: Annotated[SearchParams, Query()]) -> Response:
        """Ranked bulletins for a query (as `bantin search --json`), with `snippet_html` per hit.

        Filters (`year`, `since`, `until`, `source`, `author`, `cites`) combine with AND; several
        values of one filter with OR.  With a filter, `q` may be empty: the matching bulletins
        are listed newest first.  `facets` counts every match, not only the returned hits."""
        query, kwargs = params.q, params.library_kwargs()
        # The live generation and the look-up, in one step on the event loop (no other request
        # runs in between): the cache only ever moves on to a newer generation.
        generation = layout.current_token(slot.root) if cache.enabled else None
        if generation is None:  # no cache, or no index (the search below answers 503)
            body = await anyio.to_thread.run_sync(search_answer, query, kwargs)
            return Response(body, media_type="application/json")
        key = search_key(query, kwargs)
        cached = cache.get(generation, key)
        if cached is not None:  # answered on the event loop: no search thread needed
            return Response(cached, media_type="application/json", headers={CACHE_HEADER: "hit"})
        body = await anyio.to_thread.run_sync(search_answer, query, kwargs)
        cache.put(generation, key, body)
        return Response(body, media_type="application/json", headers={CACHE_HEADER: "miss"})

    @app.get(
        "/v1/bulletins/{doc_id:path}",
        response_model=DocumentOut,
        responses={**_ERROR_RESPONSES, 404: {"model": ErrorOut, "description": "No bulletin with that id"}},
        tags=["bulletins"],
    )
    def api_bulletin(doc_id: str) -> DocumentOut:
        """One bulletin (as `bantin show --json`); ids may contain "/"."""
        return DocumentOut.model_validate(slot.get().get(doc_id).to_dict())

    @app.get("/v1/refs", response_model=list[RefCountOut], responses=_ERROR_RESPONSES, tags=["refs"])
    def api_refs(params: Annotated[RefsParams, Query()]) -> list[RefCountOut]:
        """The documents the bulletins cite, most cited first (as `bantin refs --json`)."""
        refs = slot.get().refs(params.q or None)[: params.limit]
        return [RefCountOut.model_validate(r.to_dict()) for r in refs]

    @app.get("/v1/health", response_model=HealthOut, responses=_ERROR_RESPONSES, tags=["health"])
    def api_health() -> HealthOut:
        """The index this process serves; 503 while there is none."""
        return health_out(slot.get(), cache)

    # -- pages ----------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page_search(request: Request, state: Annotated[PageState, Query()]) -> HTMLResponse:
        s = slot.get()
        context: dict[str, Any] = {"state": state, "documents": s.doc_count()}
        if not state.searched:
            return pages.render(request, "search.html", **context)
        try:
            res = search_out(s.search(state.q, **state.library_kwargs()))
        except QueryError as e:
            return pages.render(request, "search.html", 400, error=str(e), **context)
        context.update(
            result=res,
            first=state.offset + 1,
            sort_links=state.sort_links(res),
            facet_groups=state.facet_groups(res.facets),
            pager=state.pager(res),
        )
        return pages.render(request, "search.html", **context)

    @app.get("/b/{doc_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def page_bulletin(request: Request, doc_id: str, state: Annotated[PageState, Query()]) -> HTMLResponse:
        doc = DocumentOut.model_validate(slot.get().get(doc_id).to_dict())
        paragraphs = [p.strip() for p in doc.body.split("\n") if p.strip()]
        url = doc.url if doc.url and doc.url.startswith(("https://", "http://")) else None
        cited = list(dict.fromkeys(r.label for r in doc.refs if r.label))
        return pages.render(request, "bulletin.html", doc=doc, paragraphs=paragraphs, url=url, cited=cited, state=state)

    return app


def app_from_env() -> FastAPI:
    """The app factory ``bantin serve`` gives uvicorn: index, CORS origin and cache size from the environment."""
    size = os.environ.get(ENV_CACHE_SIZE)
    return create_app(
        os.environ.get(ENV_INDEX) or "index",
        cors_origin=os.environ.get(ENV_CORS) or None,
        cache_size=int(size) if size else DEFAULT_SIZE,
    )
