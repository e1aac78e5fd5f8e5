"""Rich rendering of library results for a terminal.

Everything printed is data (titles, snippets, ids, file names): it goes into
``rich.text.Text`` objects, which rich never reads as markup, and
:func:`safe` drops any control character that could still have reached it
(the index stores display text without them; this is the second fence).
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ..models import Document, SearchResult
from ..normalise import strip_controls


def safe(value: object) -> str:
    """``value`` as text with no terminal control characters (newlines and tabs kept)."""
    return strip_controls(str(value))


def highlighted(snippet: str, highlights) -> Text:
    # A length-preserving clean-up: the highlight offsets must stay valid.
    text = Text("".join(c if c in "\n\t" or c.isprintable() else " " for c in snippet))
    for a, b in highlights:
        text.stylize("bold yellow", a, b)
    return text


def print_reading(console: Console, res: SearchResult) -> None:
    """The "did you mean" lines: how the query was read, or a query that matches."""
    if res.corrected:
        console.print(
            Text(
                f"showing results for “{safe(res.corrected)}”; search instead for “{safe(res.query)}” with --no-correct",
                style="dim",
            )
        )
    if res.suggestion:
        console.print(Text(f"nothing matches every word; did you mean “{safe(res.suggestion)}”?", style="dim"))


def print_results(console: Console, res: SearchResult) -> None:
    what = f"for “{safe(res.query)}”" if res.query.strip() else "listed"
    head = f"{res.total} bulletin{'s' if res.total != 1 else ''} {what}"
    if res.mode == "best":
        head += " (best match: no bulletin holds every word)"
    if res.offset or res.total > len(res.hits):
        head += (
            f", {res.offset + 1}–{res.offset + len(res.hits)} shown" if res.hits else f", none from {res.offset + 1} on"
        )
    if res.sort != "relevance":
        head += f", {res.sort} first"
    console.print(Text(head, style="dim"))
    for rank, h in enumerate(res.hits, res.offset + 1):
        line = Text(f"{rank:>2}. ", style="bold")  # rank counts from the page's offset
        line.append(safe(h.title or h.id), style="bold cyan")
        if h.date:
            line.append(f"  {h.date.strftime('%d/%m/%Y')}", style="green")
        line.append(f"  [{safe(h.id)}]", style="dim")
        console.print(line)
        console.print(Text("    ") + highlighted(h.snippet, h.highlights))
        if h.refs:
            labels = safe(", ".join(r.label for r in h.refs[:4]))
            more = f" +{len(h.refs) - 4}" if len(h.refs) > 4 else ""
            console.print(Text(f"    cites: {labels}{more}", style="dim"))


def print_document(console: Console, d: Document) -> None:
    console.print(Text(safe(d.title or d.id), style="bold cyan"))
    meta = [
        ("id", d.id),
        ("date", d.date.strftime("%d/%m/%Y") if d.date else None),
        ("author", d.author),
        ("source", d.source),
        ("url", d.url),
    ]
    for k, v in meta:
        if v:
            console.print(Text(f"{k}: ", style="dim") + Text(safe(v)))
    if d.refs:
        console.print(Text("cites: ", style="dim") + Text(safe(", ".join(r.label for r in d.refs))))
    console.print()
    console.print(Text(safe(d.body)))


def print_refs(console: Console, refs) -> None:
    from rich.table import Table  # only refs and facets draw tables

    table = Table(show_header=True, header_style="bold")
    table.add_column("document")
    table.add_column("key", style="dim")
    table.add_column("bulletins", justify="right")
    for r in refs:
        table.add_row(Text(safe(r.label)), Text(safe(r.key)), str(r.bulletins))
    console.print(table)


def print_facets(console: Console, facets: dict) -> None:
    """Facet counts as one compact table: a row per facet, ``value (count)`` pairs."""
    from rich.table import Table

    table = Table(show_header=False, box=None, padding=(0, 1))
    table.add_column(style="dim")
    table.add_column()
    for name, rows in facets.items():
        if name == "cites":
            cells = [f"{label} ({n})" for _key, label, n in rows]
        else:
            cells = [f"{value} ({n})" for value, n in rows]
        table.add_row(name, Text(safe(", ".join(cells)) or "–"))
    console.print(table)
