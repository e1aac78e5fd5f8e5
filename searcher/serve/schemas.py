"""Request and response models of the JSON API: the library's ``to_dict()`` shapes, typed.

Response models mirror :mod:`searcher.models` field for field (same names and
meaning as the CLI's ``--json``) and allow extra fields, so that a field the
library adds reaches clients before it is typed here.  The one request model,
:class:`SearchParams`, holds every query parameter of ``/v1/search``: a new
library parameter is one field here plus one entry in :meth:`SearchParams.library_kwargs`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..navigation import FACET_LIMIT, SORTS
from ..search import MAX_OFFSET

MAX_QUERY = 2000  # characters, as the library's own limit
MAX_LIMIT = 100
MAX_REFS_LIMIT = 1000
MAX_FACET_LIMIT = 1000  # the library's own bound
MAX_VALUE = 200  # characters of one source, author or cited document
MAX_VALUES = 20  # values of one repeatable parameter
MAX_SHORT = 40  # characters of a date or a sort order


class _Mirror(BaseModel):
    """A library dataclass's ``to_dict()``; fields the library adds later pass through."""

    model_config = ConfigDict(extra="allow")


# --- requests ---------------------------------------------------------------------------


class SearchParams(BaseModel):
    """Query parameters of ``GET /v1/search`` (unknown parameters are a 400).

    Values the library understands better than a type can say (dates, sort
    orders, facet names, document references) pass through as text: the
    library checks them and its own message comes back in the 400.
    """

    model_config = ConfigDict(extra="forbid")

    q: str = Field(
        default="",
        max_length=MAX_QUERY,
        description='The query: words, "a phrase", a OR b, -word, title:word, and the filter syntax '
        'date:2022, source:…, author:"…", cites:"…". May be empty when a filter is given: '
        "the matching bulletins are then listed newest first.",
    )
    limit: int = Field(default=10, ge=1, le=MAX_LIMIT, description="How many hits to return.")
    offset: int = Field(
        default=0, ge=0, le=MAX_OFFSET, description="Skip this many hits (paging: offset=10 is page 2 of 10)."
    )
    sort: str | None = Field(
        default=None,
        max_length=MAX_SHORT,
        description='"relevance" (the default with query words), "newest" (the default without) or "oldest". '
        "Undated bulletins come last in both date orders.",
        json_schema_extra={"enum": list(SORTS)},
    )
    since: str | None = Field(
        default=None,
        max_length=MAX_SHORT,
        description="From this date on: YYYY, YYYY-MM (its first day) or YYYY-MM-DD.",
    )
    until: str | None = Field(
        default=None,
        max_length=MAX_SHORT,
        description="Up to this date: YYYY (31 December), YYYY-MM (its last day) or YYYY-MM-DD.",
    )
    year: int | None = Field(
        default=None, ge=1, le=9999, description="Only this year (the same as since=YYYY&until=YYYY)."
    )
    source: list[str] = Field(
        default=[],
        max_length=MAX_VALUES,
        description="Only from this source, e.g. dangcongsan.vn (repeatable: any of them).",
    )
    sources: list[str] = Field(default=[], max_length=MAX_VALUES, description="The same as source.")
    author: list[str] = Field(
        default=[], max_length=MAX_VALUES, description="Only by this author (repeatable: any of them)."
    )
    authors: list[str] = Field(default=[], max_length=MAX_VALUES, description="The same as author.")
    cites: list[str] = Field(
        default=[],
        max_length=MAX_VALUES,
        description='Only bulletins citing this document, e.g. "Nghị quyết 18" or "21-KL/TW" (repeatable: any of them).',
    )
    facets: list[str] = Field(
        default=[],
        max_length=MAX_VALUES,
        description="Counts over every match for these facets: year, month, source, author, cites "
        "(a comma list, facets=year,cites, or repeated).",
    )
    facet_limit: int = Field(
        default=FACET_LIMIT, ge=1, le=MAX_FACET_LIMIT, description="Values per facet, most frequent first."
    )

    @field_validator("source", "sources", "author", "authors", "cites")
    @classmethod
    def _short_values(cls, values: list[str]) -> list[str]:
        for v in values:
            if len(v) > MAX_VALUE:
                raise ValueError(f"each value is at most {MAX_VALUE} characters")
        return values

    def facet_names(self) -> list[str]:
        """``facets`` as one list: comma lists split, blanks dropped (the library checks the names)."""
        return [name.strip() for value in self.facets for name in value.split(",") if name.strip()]

    def library_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :meth:`searcher.Searcher.search` besides the query."""
        return {
            "limit": self.limit,
            "offset": self.offset,
            "sort": self.sort or None,
            "since": self.since or None,
            "until": self.until or None,
            "sources": self.source + self.sources,
            "authors": self.author + self.authors,
            "cites": self.cites,
            "filter": {"year": str(self.year)} if self.year is not None else None,
            "facets": self.facet_names(),
            "facet_limit": self.facet_limit,
        }


class RefsParams(BaseModel):
    """Query parameters of ``GET /v1/refs``."""

    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(
        default=None, max_length=MAX_QUERY, description='Narrow the list: "Kết luận", "nghi quyet 18", "KL/TW".'
    )
    limit: int = Field(default=50, ge=1, le=MAX_REFS_LIMIT, description="How many documents to list.")


# --- responses --------------------------------------------------------------------------


class CitationOut(_Mirror):
    """A document a bulletin cites (:class:`searcher.models.Citation`), with every place it is
    named: ``spans`` are ``[start, end]`` offsets into the bulletin's body."""

    key: str = Field(description='Reference key, e.g. "kl:21".')
    label: str | None = Field(default=None, description='How people name it, e.g. "Kết luận 21".')
    type: str | None = None
    number: str | None = None
    symbol: str | None = None
    count: int | None = Field(default=None, description="Mentions in the bulletin, title included.")
    spans: list[tuple[int, int]] = []
    in_title: bool = Field(default=False, description="The title names it too (a title-only citation has no spans).")


class HitOut(_Mirror):
    """:class:`searcher.Hit`, plus ``snippet_html``."""

    id: str
    title: str
    date: dt.date | None
    score: float = Field(description="0 when the hits are listed by date without query words.")
    snippet: str
    highlights: list[tuple[int, int]] = Field(description="[start, end] offsets into snippet.")
    refs: list[CitationOut]
    source: str | None = Field(default=None, description='Where the bulletin comes from (its "Theo …" line or site).')
    snippet_html: str = Field(description="snippet, HTML-escaped, with the highlights in <mark>…</mark>.")


class FiltersOut(_Mirror):
    """The filters the search ran under, from the parameters and the query syntax together
    (``year`` becomes ``since`` and ``until``)."""

    since: dt.date | None = Field(default=None, description="First day included.")
    until: dt.date | None = Field(default=None, description="Last day included.")
    sources: list[str] = []
    authors: list[str] = []
    cites: list[str] = []


class FacetsOut(_Mirror):
    """Exact counts over every match (not only the returned hits), most frequent first; only
    the facets asked for are present."""

    year: list[tuple[int, int]] | None = Field(default=None, description="[[2022, 3], …]: [year, bulletins].")
    month: list[tuple[str, int]] | None = Field(default=None, description='[["2022-06", 1], …]: [YYYY-MM, bulletins].')
    source: list[tuple[str, int]] | None = Field(
        default=None, description='[["dangcongsan.vn", 1], …]: [source, bulletins].'
    )
    author: list[tuple[str, int]] | None = Field(default=None, description='[["Linh Lan", 1], …]: [author, bulletins].')
    cites: list[tuple[str, str, int]] | None = Field(
        default=None,
        description='[["kl:21", "Kết luận 21", 2], …]: [key, label, bulletins citing it]; pass the label as cites=.',
    )


class SearchOut(_Mirror):
    """:class:`searcher.SearchResult`."""

    query: str
    total: int = Field(description="Every matching bulletin, not only the returned hits.")
    offset: int = Field(description="Hits skipped before the first one returned.")
    limit: int
    sort: str = Field(description='"relevance", "newest" or "oldest": the order the hits are in.')
    mode: str = Field(
        description='"all" (every word), "best" (best match for long questions), "ref" (nothing cites it), '
        '"refs" (the bulletins citing it, none of which has every other word), '
        '"browse" (no query words: filters alone, by date).'
    )
    notice: str | None
    corrected: str | None = Field(
        default=None,
        description="The query as it was read when that differs from what was typed (raw Telex/VNI decoded, "
        "a typo corrected): the hits are for it.",
    )
    suggestion: str | None = Field(
        default=None, description="When nothing matched: a query close to it that does match."
    )
    filters: FiltersOut
    facets: FacetsOut
    hits: list[HitOut]


class DocumentOut(_Mirror):
    """:class:`searcher.Document`."""

    id: str
    title: str
    date: dt.date | None
    date_source: str | None = Field(
        default=None, description="Where the date was read: header, byline, record or text."
    )
    author: str | None
    source: str | None
    url: str | None
    body: str
    refs: list[CitationOut]


class RefCountOut(_Mirror):
    """:class:`searcher.RefCount`: a cited document and how many bulletins cite it."""

    key: str
    label: str
    type: str
    bulletins: int


class CacheOut(BaseModel):
    """This worker process's cache of ``/v1/search`` answers (each worker has its own)."""

    size: int = Field(description="Answers it keeps at most (`bantin serve --cache-size`); 0: the cache is off.")
    entries: int = Field(description="Answers it holds now, all of the live generation.")
    hits: int = Field(description="Searches answered from it since the process started.")
    misses: int = Field(description="Searches it did not hold, run through the library.")


class HealthOut(BaseModel):
    status: str = Field(description='"ok"')
    generation: str = Field(description="The live index generation this process reads.")
    documents: int
    analysis_version: str = Field(description="The analysis version the index was built with.")
    analysis_current: bool = Field(description="False: the next `bantin index` rebuilds with the current rules.")
    version: str = Field(description="bantin's version.")
    worker: int = Field(description="The process id of the worker that answered (`--workers N`: one of N).")
    cache: CacheOut


class ErrorBody(BaseModel):
    code: str = Field(
        description="bad_query, bad_parameter, not_found, method_not_allowed, index_missing, index_corrupt, "
        "uri_too_long, body_too_large, length_required, internal"
    )
    message: str = Field(description="One line that says what went wrong and what to do.")


class ErrorOut(BaseModel):
    error: ErrorBody
