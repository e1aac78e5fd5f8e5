"""Rich rendering of library results for a terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..models import Document, SearchResult


def highlighted(snippet: str, highlights) -> Text:
    text = Text(snippet)
    for a, b in highlights:
        text.stylize("bold yellow", a, b)
    return text


def print_results(console: Console, res: SearchResult) -> None:
    head = f"{res.total} bulletin{'s' if res.total != 1 else ''} for “{res.query}”"
    if res.mode == "best":
        head += " (best match: no bulletin holds every word)"
    console.print(Text(head, style="dim"))
    for rank, h in enumerate(res.hits, 1):
        line = Text(f"{rank:>2}. ", style="bold")
        line.append(h.title or h.id, style="bold cyan")
        if h.date:
            line.append(f"  {h.date.strftime('%d/%m/%Y')}", style="green")
        line.append(f"  [{h.id}]", style="dim")
        console.print(line)
        console.print(Text("    ") + highlighted(h.snippet, h.highlights))
        if h.refs:
            labels = ", ".join(r["label"] for r in h.refs[:4] if r.get("label"))
            more = f" +{len(h.refs) - 4}" if len(h.refs) > 4 else ""
            console.print(Text(f"    cites: {labels}{more}", style="dim"))


def print_document(console: Console, d: Document) -> None:
    console.print(Text(d.title or d.id, style="bold cyan"))
    meta = [
        ("id", d.id),
        ("date", d.date.strftime("%d/%m/%Y") if d.date else None),
        ("author", d.author),
        ("source", d.source),
        ("url", d.url),
    ]
    for k, v in meta:
        if v:
            console.print(Text(f"{k}: ", style="dim") + Text(str(v)))
    if d.refs:
        seen = []
        for r in d.refs:
            if r.get("label") not in seen:
                seen.append(r.get("label"))
        console.print(Text("cites: ", style="dim") + Text(", ".join(x for x in seen if x)))
    console.print()
    console.print(Text(d.body))


def print_refs(console: Console, refs) -> None:
    table = Table(show_header=True, header_style="bold")
    table.add_column("document")
    table.add_column("key", style="dim")
    table.add_column("bulletins", justify="right")
    for r in refs:
        table.add_row(r.label, r.key, str(r.bulletins))
    console.print(table)
