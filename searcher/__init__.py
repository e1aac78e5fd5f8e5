"""bantin: full-text search for Vietnamese news bulletins.

>>> from searcher import Searcher, build_index
>>> build_index("corpus", "index")                     # doctest: +SKIP
>>> with Searcher("index") as s:                       # doctest: +SKIP
...     res = s.search("Kết luận 21", limit=10)

Nothing heavy is imported here: the names below load their modules on first use,
so ``import searcher`` stays cheap and never pulls in pyvi.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_EXPORTS = {
    "Searcher": "searcher.search",
    "RefCount": "searcher.search",
    "build_index": "searcher.indexer",
    "update_index": "searcher.indexer",
    "IndexReport": "searcher.indexer",
    "Hit": "searcher.models",
    "SearchResult": "searcher.models",
    "Document": "searcher.models",
    "BantinError": "searcher.errors",
    "QueryError": "searcher.errors",
    "IndexMissingError": "searcher.errors",
    "IndexCorruptError": "searcher.errors",
    "IndexLockedError": "searcher.errors",
    "CorpusError": "searcher.errors",
    "DocumentNotFound": "searcher.errors",
    "BadDocument": "searcher.errors",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # pragma: no cover
    from .errors import (  # noqa: F401
        BadDocument,
        BantinError,
        CorpusError,
        DocumentNotFound,
        IndexCorruptError,
        IndexLockedError,
        IndexMissingError,
        QueryError,
    )
    from .indexer import IndexReport, build_index, update_index  # noqa: F401
    from .models import Document, Hit, SearchResult  # noqa: F401
    from .search import RefCount, Searcher  # noqa: F401


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'searcher' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
