"""``bantin serve``: a JSON API under ``/v1`` and a search page, over the library.

A thin layer: every answer is what :class:`searcher.Searcher` returns, shaped as
the CLI's ``--json`` shapes it (plus ``snippet_html``, the highlighted snippet
ready for a page).  Each server process holds one ``Searcher``, opened on first
need and following the index's live generation by itself, and a cache of recent
``/v1/search`` answers keyed by that generation (:mod:`searcher.serve.cache`).

Needs the ``serve`` extra (FastAPI, uvicorn, Jinja2): ``pip install "bantin[serve]"``.
"""

from __future__ import annotations

from .highlight import snippet_html

__all__ = ["create_app", "snippet_html"]


def __getattr__(name: str):
    if name == "create_app":  # FastAPI loads only when an app is asked for
        from .app import create_app

        return create_app
    raise AttributeError(f"module 'searcher.serve' has no attribute {name!r}")
