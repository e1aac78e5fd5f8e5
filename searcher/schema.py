"""The index schema and the analysis version recorded with every index."""

from __future__ import annotations

from whoosh import scoring
from whoosh.fields import ID, STORED, TEXT, Schema

from .analysis import (
    fold_analyzer,
    pair_analyzer,
    pair_fold_analyzer,
    ref_analyzer,
    syllable_analyzer,
    word_analyzer,
)

# Bump when normalisation, segmentation, reference recognition or the schema
# change in a way that alters what is indexed.  An index built with another
# version is rebuilt by the next ``bantin index``.  (2026.11.3: HTML entities
# unescaped, a symbol names the type of a reference, scoring sidecars beside
# each segment, separate segment files.)
ANALYSIS_VERSION = "2026.11.3"


def build_schema() -> Schema:
    """Fields that let each reading win where it is right.

    * ``syl`` / ``title``: canonical syllables, diacritics kept: exact matches, phrases.
    * ``fold`` / ``title_fold``: syllables without diacritics: "ket luan 21".
    * ``pair`` / ``pair_fold``: adjacent syllable pairs: adjacency counts, as cheap terms.
    * ``word``: pyvi compound words over title and body: words outrank scattered syllables.
    * ``ref``: document-reference keys at their spans: "Kết luận 21" is one term.
    """
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=syllable_analyzer(), stored=True, chars=True),
        title_fold=TEXT(analyzer=fold_analyzer()),
        syl=TEXT(analyzer=syllable_analyzer(), chars=True),
        fold=TEXT(analyzer=fold_analyzer()),
        pair=TEXT(analyzer=pair_analyzer(), phrase=False),
        pair_fold=TEXT(analyzer=pair_fold_analyzer(), phrase=False),
        word=TEXT(analyzer=word_analyzer(), phrase=False),
        ref=TEXT(analyzer=ref_analyzer(), chars=True),
        body=STORED(),
        date=STORED(),
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
