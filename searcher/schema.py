"""The index schema and the analysis version recorded with every index."""

from __future__ import annotations

import datetime as _dt

from whoosh import columns, scoring
from whoosh.fields import COLUMN, ID, NUMERIC, STORED, TEXT, Schema

from .analysis import (
    fold_analyzer,
    pair_fold_analyzer,
    ref_analyzer,
    syllable_analyzer,
    word_analyzer,
)

# Bump when normalisation, segmentation, reference recognition or the schema
# change in a way that alters what is indexed.  An index built with another
# version is rebuilt by the next ``bantin index``.  (2026.11.4: control
# characters and full-width forms in the display layer, bodies capped, title
# references stored, vocabulary as JSON with every syllable form, checksummed
# files; spelling variants in the token layer; dates read in more shapes with
# their source; day/source/author/cites columns for filters, sort and facets;
# laws, articles and the Party Statute as references; the bulk writer with
# inlined small posting lists.  2026.11.5: adjacency scored from ``pair_fold``
# alone, ``pair`` kept only as which bulletins hold each pair (no counts, no
# lengths, no sidecar); ``syl`` and ``title`` keep positions, not character offsets.
# 2026.11.6: no ``pair`` field; the scoring sidecar counts the accented pairs.
# 2026.11.7: each bulletin stores its body's layout (distinct syllables, their order,
# sentence ends), so snippets and passages read no whole body.
# 2026.11.8: ``pair_fold``'s postings in a file beside each segment, not in whoosh.)
ANALYSIS_VERSION = "2026.11.8"

# Dates the archive can be filtered and sorted by: from the header, the byline
# or the record.  A date read from the running text is shown, not trusted.
TRUSTED_DATE_SOURCES = frozenset({"header", "byline", "record"})
_EPOCH = _dt.date(1900, 1, 1)


def day_number(date: _dt.date) -> int:
    """The ``day`` column's value: days since 1899-12-31, so 0 means undated."""
    return (date - _EPOCH).days + 1


def day_date(day: int) -> _dt.date:
    return _EPOCH + _dt.timedelta(days=int(day) - 1)


def source_key(source: str | None, url: str | None = None) -> str:
    """The facet value of a source: lower case, no ``www.``; the URL's host when no source is named."""
    value = (source or "").strip()
    if not value and url:
        value = url.split("//", 1)[-1].split("/", 1)[0]
    value = value.lower()
    return value[4:] if value.startswith("www.") else value


def navigation_fields(b, cited_keys) -> dict:
    """The columns that filters, sorting and facets read, for one bulletin."""
    fields: dict = {}
    if b.date is not None and b.date_source in TRUSTED_DATE_SOURCES:
        fields["day"] = day_number(b.date)
    src = source_key(b.source, b.url)
    if src:
        fields["source_key"] = src
    if b.author:
        fields["author_key"] = " ".join(b.author.split())  # as written; filters compare folded
    cited = sorted(set(cited_keys))
    fields["cites"] = " ".join(cited).encode("utf-8")
    return fields


def build_schema() -> Schema:
    """Fields that let each reading win where it is right.

    * ``syl`` / ``title``: canonical syllables, diacritics kept: exact matches, phrases.
    * ``fold`` / ``title_fold``: syllables without diacritics: "ket luan 21".
    * ``pair_fold``: adjacent syllable pairs without diacritics: adjacency counts, as
      cheap terms.  whoosh keeps the field's lengths (BM25F), but its postings are
      kept apart, in a file of flat arrays beside each segment
      (:mod:`searcher.pair_postings`): nine in ten of the index's terms, which
      whoosh's per-term format made a quarter of the build and half the index.
    * no field for the same pairs with their diacritics: the typo reader's bigram
      counts (:mod:`searcher.corrections`) are kept beside each segment, in its
      scoring sidecar (:class:`searcher.sidecar.PairCounts`).  As a whoosh field,
      scored, they ranked no better and cost a third of the index; unscored, still
      a quarter.
    * ``word``: pyvi compound words over title and body: words outrank scattered syllables.
    * ``ref``: document-reference keys of title and body: "Kết luận 21" is one term
      (given pre-analysed by the index job, so the recogniser runs once per bulletin).
    """
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=syllable_analyzer(), stored=True),
        title_fold=TEXT(analyzer=fold_analyzer()),
        syl=TEXT(analyzer=syllable_analyzer()),
        fold=TEXT(analyzer=fold_analyzer()),
        pair_fold=TEXT(analyzer=pair_fold_analyzer(), phrase=False),
        word=TEXT(analyzer=word_analyzer(), phrase=False),
        ref=TEXT(analyzer=ref_analyzer(), phrase=False),
        day=NUMERIC(int, bits=32, signed=False, sortable=True),
        source_key=ID(sortable=True),
        author_key=ID(sortable=True),
        cites=COLUMN(columns.VarBytesColumn()),
        body=STORED(),
        body_syllables=STORED(),  # analysis.Layout of the body: snippets and passages read no whole body
        body_stream=STORED(),
        date=STORED(),
        date_source=STORED(),
        author=STORED(),
        source=STORED(),
        url=STORED(),
        path=STORED(),
        hash=STORED(),
        refs=STORED(),
    )


def weighting() -> scoring.WeightingModel:
    """BM25F; ``title`` and ``title_fold`` get a shorter length normalisation; ``ref`` none
    (citing a document three times counts, however many others a bulletin cites)."""
    return scoring.BM25F(B=0.75, K1=1.2, title_B=0.3, title_fold_B=0.3, ref_B=0.0)
