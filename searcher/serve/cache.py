"""A per-process LRU of ``/v1/search`` answers, keyed by the index generation and the request.

A search's answer depends on two things only: the live index generation and
the parameters the library is called with (:func:`search_key`).  The cache
holds the answer's JSON bytes, ready to send, under both.  Each worker
process has its own; ``bantin serve --cache-size N`` sizes it (0: off).

No stale answer after an index update: the generation in the key is read from
the index's ``CURRENT`` pointer before each search, so once an index job has
committed, every request looks under the new generation and misses.  The first
look-up under a new generation empties the cache (the old answers would only
take up room), and an answer computed under an older one is not stored.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

DEFAULT_SIZE = 1024  # answers per worker process; about 10 KB each with 10 hits


def _frozen(value: Any) -> Hashable:
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    return value


def search_key(query: str, kwargs: dict[str, Any]) -> Hashable:
    """The library call ``Searcher.search(query, **kwargs)`` as a cache key: two requests
    that call the library the same way (``?source=a`` and ``?sources=a``, ``facets=year,cites``
    and ``facets=year&facets=cites``) share one key; any other difference makes another."""
    return (query, _frozen(kwargs))


class ResponseCache:
    """Least recently used answers (bytes), at most ``size`` of them; ``size`` 0 caches nothing.

    Safe to share between threads.  ``hits`` and ``misses`` count lookups.
    """

    def __init__(self, size: int = DEFAULT_SIZE):
        if size < 0:
            raise ValueError("the cache size is a number of answers, 0 or more")
        self.size = size
        self.hits = 0
        self.misses = 0
        self._generation: str | None = None
        self._items: OrderedDict[tuple[str, Hashable], bytes] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.size > 0

    def get(self, generation: str, key: Hashable) -> bytes | None:
        """The answer stored for ``key`` under ``generation``, the live one: a generation other
        than the last one asked for empties the cache first."""
        with self._lock:
            if generation != self._generation:
                self._items.clear()  # the old answers would only take up room
                self._generation = generation
            body = self._items.get((generation, key))
            if body is None:
                self.misses += 1
                return None
            self._items.move_to_end((generation, key))
            self.hits += 1
            return body

    def put(self, generation: str, key: Hashable, body: bytes) -> None:
        """Keep ``body`` for ``key`` under ``generation``, unless another generation has been
        asked for since (an answer computed while an index job committed)."""
        if not self.size:
            return
        with self._lock:
            if generation != self._generation:
                return
            self._items[(generation, key)] = body
            self._items.move_to_end((generation, key))
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"size": self.size, "entries": len(self._items), "hits": self.hits, "misses": self.misses}
