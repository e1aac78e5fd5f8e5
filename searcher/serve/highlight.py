"""HTML for a snippet with its matches marked: the one place the service turns text into HTML."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape


def snippet_html(snippet: str, highlights: Iterable[Sequence[int]]) -> str:
    """``snippet`` HTML-escaped, with each ``(start, end)`` span in ``<mark>…</mark>``.

    Spans are offsets into ``snippet`` (as :class:`searcher.Hit` gives them);
    they are sorted, clipped to the text, and overlapping ones are merged, so
    any input yields well-formed HTML.  Every character of the text is escaped,
    quotes included: ``<script>`` comes out as ``&lt;script&gt;``.

    >>> snippet_html("a <b> Kết luận 21.", [(6, 17)])
    'a &lt;b&gt; <mark>Kết luận 21</mark>.'
    """
    n = len(snippet)
    merged: list[list[int]] = []
    for a, b in sorted((max(0, int(a)), min(n, int(b))) for a, b in highlights):
        if b <= a:
            continue
        if merged and a < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    out: list[str] = []
    pos = 0
    for a, b in merged:
        out.append(escape(snippet[pos:a]))
        out.append(f"<mark>{escape(snippet[a:b])}</mark>")
        pos = b
    out.append(escape(snippet[pos:]))
    return "".join(out)
