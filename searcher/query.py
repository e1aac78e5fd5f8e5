"""Turning what a user types into whoosh queries.

Reading a query happens in three steps, none of which needs pyvi:

1. **Syntax** (:func:`parse`): quoted phrases, ``OR``, ``-exclusion`` and
   ``title:``.  It never fails on malformed input: an unbalanced quote runs to
   the end, a stray ``OR`` or ``-`` is ignored.
2. **Units**: document references ("Kết luận 21", "21-KL/TW", "ket luan 21")
   are found by the same recogniser the documents went through; the remaining
   syllables are grouped into the corpus's own words (longest match over the
   index vocabulary), and a query typed without any diacritics has them
   restored from that vocabulary.
3. **Queries** (:class:`QueryPlan`): every unit must match (``syl`` exact, or
   ``fold`` without diacritics at a lower weight), words and adjacent
   syllables add a bonus, and a best-match reading is kept ready for long
   questions on which "every word" finds too little.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from whoosh import query as wq

from .errors import QueryError

if TYPE_CHECKING:
    from .corrections import PairCount
    from .refs import Ref
from .normalise import SYLLABLE_RE, clean_text, fold, has_diacritics, norm_syllable
from .question_words import QUESTION_SYLLABLES, asking_positions, is_asking_word
from .vocab import MAX_WORD_SYLLABLES, Vocabulary

MAX_QUERY_CHARS = 2000

# Weights.  Each was measured with `bantin eval` on ../shared/eval (see README).
TITLE_BOOST = 2.0
FOLD_WEIGHT_ACCENTED = 0.3  # a diacritic-free match when the user typed diacritics
FOLD_WEIGHT_PLAIN = 1.0  # a diacritic-free match when the user typed none
RESTORED_WEIGHT = 1.0  # the corpus's likely accented form of an unaccented syllable
WORD_BONUS = 1.0  # a corpus word (đảng_viên) matched as a word
ADJACENT_BONUS = 1.0  # two query syllables adjacent in the document
RUN_BONUS = 2.0  # a short run holding a corrected slip, found side by side as read
CONTEXT_MAX_SYLLABLES = 8  # slips are read from their neighbours in queries this short
LOOSE_SYLLABLE_WEIGHT = 0.5  # a syllable of a query word, matched anywhere
REF_BOOST = 10.0  # a cited document reference
ABBREVIATION_WEIGHT = 0.8  # an abbreviation's other form (BCT ↔ Bộ Chính trị): the form typed ranks first
SPECIFIC_REF_SHARE = 0.2  # the same reference written with its symbol (21-KL/TW)
DATED_REF_SHARE = 1.0  # ... with a dated symbol (17/2001/NĐ-CP): it tells same-numbered documents apart
LONG_QUERY_UNITS = 5  # from this many units on, a query may fall back to best match
BEST_ADJACENT_BONUS = 0.5  # adjacency in the best-match reading
BEST_TITLE_BOOST = 1.0  # a title term in the best-match reading

# --- 1. syntax ---------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    """One piece of query syntax: free text, a phrase, or the OR operator."""

    kind: str  # "text" | "phrase" | "or"
    text: str = ""
    field: str = "any"  # "any" | "title"
    negated: bool = False


_TOKEN_RE = re.compile(r'\s*(?:(-)?(title:)?"([^"]*)"?|(\S+))', re.IGNORECASE)


_BOOST_SUFFIX = re.compile(r"\^[\d.]*$")


# A document's symbol ("KH/TW", "NĐ-CP", "QĐ-TTg"): two capitals or more, or a slash.
_SYMBOL_PART = re.compile(r"[A-ZĐ]{2,}[\w./-]*|\w+/[\w/.-]*")


def _dash_is_text(rest: str, prev: Clause | None) -> bool:
    """Whether ``-rest`` keeps its dash as text rather than excluding ``rest``:
    a number ("Covid -19", "2021 -2025"), a symbol part ("-KH/TW"), or
    anything symbol-like right after a number ("Kế hoạch số 03 -KH/TW")."""
    if rest[:1].isdigit() or "/" in rest:
        return True
    after_number = prev is not None and prev.kind == "text" and prev.text[-1:].isdigit()
    return after_number and bool(_SYMBOL_PART.fullmatch(rest))


def parse(text: str) -> list[Clause]:
    """Split query syntax into clauses; never raises on malformed syntax.

    ``NOT word`` excludes like ``-word``; ``AND`` is the default and is dropped;
    a Lucene-style boost suffix (``đảng^2``) is ignored, not searched.
    """
    clauses: list[Clause] = []
    pos = 0
    pending_not = False
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
        if m.group(3) is not None:
            if m.group(3).strip():
                clauses.append(
                    Clause(
                        "phrase",
                        m.group(3),
                        "title" if m.group(2) else "any",
                        bool(m.group(1)) or pending_not,
                    )
                )
            pending_not = False
            continue
        word = _BOOST_SUFFIX.sub("", m.group(4))
        if not word:
            continue  # a lone boost ("^2") after a phrase
        if word == "NOT":
            pending_not = True
            continue
        if word == "OR" or word == "|":
            clauses.append(Clause("or"))
            pending_not = False
            continue
        if word in ("AND", "&&", "+", "-") or word.lower() in ("title:", "-title:"):
            continue  # a stray operator
        negated = word.startswith("-") and len(word) > 1
        if negated and _dash_is_text(word[1:], clauses[-1] if clauses else None) and not pending_not:
            # "-19", "2021 -2025", "03 -KH/TW": the dash is part of the text.
            prev = clauses[-1] if clauses else None
            if prev is not None and prev.kind == "text" and not prev.negated:
                clauses[-1] = replace(prev, text=prev.text + word)
            else:
                clauses.append(Clause("text", word))
            continue
        if negated:
            word = word[1:]
        negated = negated or pending_not
        pending_not = False
        field_ = "any"
        if word.lower().startswith("title:") and len(word) > 6:
            field_, word = "title", word[6:]
            if word.startswith('"'):  # title:"x y" with a space inside
                start = pos - len(m.group(4)) + len("title:") + int(m.group(4).startswith("-"))
                pm = re.match(r'"([^"]*)"?', text[start:])
                assert pm is not None  # the text at ``start`` begins with a quote
                pos = start + pm.end()
                if pm.group(1).strip():
                    clauses.append(Clause("phrase", pm.group(1), "title", negated))
                continue
        clauses.append(Clause("text", word, field_, negated))
    # Drop ORs with nothing on one side.
    cleaned: list[Clause] = []
    for c in clauses:
        if c.kind == "or" and (not cleaned or cleaned[-1].kind == "or"):
            continue
        cleaned.append(c)
    while cleaned and cleaned[-1].kind == "or":
        cleaned.pop()
    return cleaned


def _merge_runs(clauses: list[Clause]) -> list[Clause]:
    """Join consecutive free-text clauses of the same scope into one run, so
    that words spanning several syllables ("đảng viên") can be recognised."""
    out: list[Clause] = []
    for c in clauses:
        prev = out[-1] if out else None
        if (
            prev is not None
            and c.kind == "text"
            and prev.kind == "text"
            and not c.negated
            and not prev.negated
            and c.field == prev.field
        ):
            out[-1] = Clause("text", f"{prev.text} {c.text}", c.field)
        else:
            out.append(c)
    return out


# --- 2. units ----------------------------------------------------------------


@dataclass(frozen=True)
class Syl:
    original: str
    norm: str
    fold: str
    exact: bool  # match the accented form first (the query has diacritics)
    restored: tuple[tuple[str, float], ...] = ()  # (accented form, share) for unaccented input
    alternatives: tuple[tuple[str, float], ...] = ()  # (corrected syllable, weight) for a likely typo
    unknown: bool = False  # the corpus does not hold it (as typed or decoded)
    decoded: bool = False  # read from raw Telex / VNI
    context: bool = False  # never beside its neighbours: ``alternatives`` lead with those that are

    @property
    def corrected(self) -> bool:
        """Read as its best correction (an unknown syllable, or one its neighbours contradict)."""
        return (self.unknown or self.context) and bool(self.alternatives)

    @property
    def pair_norm(self) -> str:
        """The form a best-match reading uses: the best correction of an unknown
        syllable (a known one stays as typed there)."""
        return self.alternatives[0][0] if self.unknown and self.alternatives else self.norm

    @property
    def pair_fold(self) -> str:
        return fold(self.pair_norm) if self.unknown and self.alternatives else self.fold

    @property
    def read_as(self) -> str:
        """The syllable as the "showing results for" line writes it."""
        return self.alternatives[0][0] if self.corrected and not self.decoded else self.norm

    def pair_forms(self) -> list[tuple[str, str, float]]:
        """``(norm, folded, weight)`` of each form adjacency bonuses try: the syllable
        as typed, or, for one the corpus does not hold, each of its corrections
        (the neighbours in the text pick the right one); a known syllable its
        neighbours contradict tries both."""
        if not self.corrected:
            return [(self.norm, self.fold, 1.0)]
        typed = [] if self.unknown else [(self.norm, self.fold, 1.0)]
        return typed + [(a, fold(a), w) for a, w in self.alternatives]


@dataclass
class Unit:
    """What must match: syllables (maybe a corpus word), a phrase, or a reference."""

    kind: str  # "syls" | "phrase" | "ref"
    syls: list[Syl] = field(default_factory=list)
    field: str = "any"
    negated: bool = False
    ref: Ref | None = None
    word: str | None = None  # the corpus word these syllables form, if any
    restored_word: str | None = None
    inner: list[Unit] | None = None  # a spelled-out abbreviation: the units it is made of
    alternative: wq.Query | None = None  # the other form of an abbreviation


def _syllables(text: str, plain: bool, voc: Vocabulary | None = None) -> list[Syl]:
    """Syllables of a query piece.  In a query typed without any diacritics
    (``plain``) no syllable is taken as exact: each may stand for any accented form.

    With ``voc`` (free text, not phrases or exclusions) slips are read too
    (:mod:`searcher.corrections`): raw Telex/VNI is decoded, and a likely typo
    gets its corrections as alternatives.  Abbreviations are left as typed.
    """
    from .corrections import abbreviation_key_of, read_syllable

    out = []
    for m in SYLLABLE_RE.finditer(clean_text(text)):
        s = m.group()
        n = norm_syllable(s)
        if voc is None or abbreviation_key_of(s, voc):
            out.append(Syl(s, n, fold(n), not plain))
            continue
        r = read_syllable(s, voc, plain)
        if r.decoded:
            out.append(Syl(s, r.norm, fold(r.norm), True, decoded=True))
        else:
            out.append(Syl(s, n, fold(n), not plain, alternatives=r.alternatives, unknown=r.unknown))
    return out


def _restore(syls: list[Syl], voc: Vocabulary) -> list[Syl]:
    """Give each unaccented syllable its likely accented forms in this corpus."""
    out = []
    for s in syls:
        if s.exact or not s.fold.isalpha():
            out.append(s)
            continue
        forms = voc.syllable_forms(s.fold)
        total = sum(df for _, df in forms) or 1
        restored = tuple((w, df / total) for w, df in forms if w != s.norm and df / total >= 0.1)
        out.append(replace(s, exact=False, restored=restored))
    return out


def _group_words(syls: list[Syl], voc: Vocabulary, plain: bool) -> list[tuple[list[Syl], str | None]]:
    """Greedy longest match of corpus words over the syllables.

    With ``plain`` (the query has no diacritics) words are matched on their
    folded form and the corpus's most frequent accented word is taken.
    """
    groups: list[tuple[list[Syl], str | None]] = []
    i = 0
    while i < len(syls):
        best = None
        for n in range(min(MAX_WORD_SYLLABLES, len(syls) - i), 1, -1):
            chunk = syls[i : i + n]
            if plain:
                cands = voc.word_candidates("_".join(s.fold for s in chunk))
                if cands:
                    best = (chunk, cands[0][0])
            else:
                w = "_".join(s.norm for s in chunk)
                if voc.is_word(w):
                    best = (chunk, w)
            if best:
                break
        if best:
            groups.append(best)
            i += len(best[0])
        else:
            groups.append(([syls[i]], None))
            i += 1
    return groups


def _in_context(syls: list[Syl], voc: Vocabulary, pairs: PairCount) -> list[Syl]:
    """Syllables their neighbours contradict get the corrections the neighbours
    confirm (:func:`searcher.corrections.in_context`), ahead of any others."""
    from .corrections import MAX_ALTERNATIVES, abbreviation_key_of, in_context

    found = in_context(
        [
            (s.norm, s.exact, s.original.isalpha() and not s.decoded and not abbreviation_key_of(s.original, voc))
            for s in syls
        ],
        voc,
        pairs,
    )
    out = list(syls)
    for i, alts in found.items():
        s = syls[i]
        merged = dict(alts)
        for a, w in s.alternatives:
            merged.setdefault(a, w)
        out[i] = replace(s, alternatives=tuple(merged.items())[:MAX_ALTERNATIVES], context=True)
    return out


def _text_units(
    text: str,
    field_: str,
    negated: bool,
    voc: Vocabulary,
    plain: bool,
    forgiving: bool = True,
    pairs: PairCount | None = None,
) -> list[Unit]:
    from .refs import find_refs

    units: list[Unit] = []
    cleaned = clean_text(text)
    pieces: list[tuple[str, Ref | None]] = []
    pos = 0
    if field_ == "any" and not negated:
        for ref in find_refs(cleaned):
            pieces.append((cleaned[pos : ref.start], None))
            pieces.append(("", ref))
            pos = ref.end
    pieces.append((cleaned[pos:], None))
    forgiving = forgiving and not negated
    for piece, found in pieces:
        if found is not None:
            units.append(Unit("ref", ref=found))
            continue
        syls = _syllables(piece, plain, voc if forgiving else None)
        if plain:
            syls = _restore(syls, voc)
        if forgiving and pairs is not None:
            syls = _in_context(syls, voc, pairs)
        runs = _full_form_runs(syls, voc) if forgiving else []
        i = 0
        for start, end, abbr in [*runs, (len(syls), len(syls), "")]:
            units += _grouped(syls[i:start], field_, negated, voc, plain, forgiving)
            if abbr:
                inner = _grouped(syls[start:end], field_, negated, voc, plain, False)
                alt = wq.Term("fold", _abbr_term(abbr), boost=ABBREVIATION_WEIGHT)
                units.append(Unit("syls", syls[start:end], field_, negated, inner=inner, alternative=alt))
            i = end
    return units


def _grouped(syls: list[Syl], field_: str, negated: bool, voc: Vocabulary, plain: bool, forgiving: bool) -> list[Unit]:
    """Units for a run of syllables: corpus words grouped; an abbreviation also finds its full forms."""
    from .corrections import abbreviation_key_of

    units = []
    for chunk, word in _group_words(syls, voc, plain):
        u = Unit("syls", chunk, field_, negated)
        if word and plain:
            u.restored_word = word
        elif word:
            u.word = word
        if forgiving and len(chunk) == 1:
            fulls = abbreviation_key_of(chunk[0].original, voc)
            if fulls:
                u.alternative = _full_form_query(fulls)
        units.append(u)
    return units


def _abbr_term(abbr: str) -> str:
    from .abbreviations import abbreviation_key

    return abbreviation_key(abbr)


def _full_form_query(fulls: list[str]) -> wq.Query:
    """Bulletins writing a full form out: its adjacent syllables as pairs (one term
    per pair, as cheap as a word), a lone syllable as itself."""
    subs: list[wq.Query] = []
    for full in fulls[:2]:
        norms = [norm_syllable(m.group()) for m in SYLLABLE_RE.finditer(clean_text(full))]
        if len(norms) == 1:
            subs.append(wq.Term("syl", norms[0], boost=ABBREVIATION_WEIGHT))
        elif norms:
            pairs = [wq.Term("pair_fold", f"{fold(a)} {fold(b)}") for a, b in zip(norms, norms[1:])]
            subs.append(
                wq.And(pairs, boost=ABBREVIATION_WEIGHT)
                if len(pairs) > 1
                else wq.Term("pair_fold", pairs[0].text, boost=ABBREVIATION_WEIGHT)
            )
    return subs[0] if len(subs) == 1 else wq.Or(subs)


def _full_form_runs(syls: list[Syl], voc: Vocabulary) -> list[tuple[int, int, str]]:
    """Non-overlapping runs of typed syllables that spell out an abbreviation, first found first."""
    from .corrections import full_form_runs

    taken: list[tuple[int, int, str]] = []
    end = 0
    for start, stop, abbr in full_form_runs([s.original for s in syls], voc):
        if start >= end and not any(c.isdigit() for c in _abbr_term(abbr)) and len(_abbr_term(abbr)) >= 2:
            taken.append((start, stop, abbr))
            end = stop
    return taken


# --- 3. whoosh queries ---------------------------------------------------------


def _fields(field_: str) -> tuple[str, str, str, str]:
    """(exact, folded, exact title, folded title) field names for a unit's scope."""
    if field_ == "title":
        return "title", "title_fold", "title", "title_fold"
    return "syl", "fold", "title", "title_fold"


def _syl_query(s: Syl, field_: str, weight: float = 1.0) -> wq.Query:
    exact, folded, t_exact, t_folded = _fields(field_)
    title_only = field_ == "title"
    subs: list[wq.Query] = []
    if s.exact:
        subs.append(wq.Term(exact, s.norm, boost=TITLE_BOOST if title_only else 1.0))
        subs.append(wq.Term(folded, s.fold, boost=FOLD_WEIGHT_ACCENTED))
        if not title_only:
            subs.append(wq.Term(t_exact, s.norm, boost=TITLE_BOOST))
            subs.append(wq.Term(t_folded, s.fold, boost=FOLD_WEIGHT_ACCENTED * TITLE_BOOST))
    else:
        subs.append(wq.Term(folded, s.fold, boost=FOLD_WEIGHT_PLAIN))
        subs.append(wq.Term(exact, s.norm, boost=RESTORED_WEIGHT))
        if not title_only:
            subs.append(wq.Term(t_folded, s.fold, boost=FOLD_WEIGHT_PLAIN * TITLE_BOOST))
            subs.append(wq.Term(t_exact, s.norm, boost=RESTORED_WEIGHT * TITLE_BOOST))
        for form, share in s.restored:
            subs.append(wq.Term(exact, form, boost=RESTORED_WEIGHT * share))
            if not title_only:
                subs.append(wq.Term(t_exact, form, boost=RESTORED_WEIGHT * share * TITLE_BOOST))
    for form, w in s.alternatives:  # corrections of a likely typo, below anything typed
        subs.append(wq.Term(exact, form, boost=w))
        if not title_only:
            subs.append(wq.Term(t_exact, form, boost=w * TITLE_BOOST))
    return wq.Or(subs, boost=weight)


_YEAR_IN_KEY = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


def _ref_query(ref) -> wq.Query:
    """The base key (``kl:21``) must match; a more specific one (``kl:21/tw``)
    adds a little, less than a second citation of the same document would.
    A symbol with a year (``nd:17/2001/nd-cp``) adds as much as a citation: a
    bulletin on Nghị định 17/2006 citing it four times must not outrank the one
    citing 17/2001 once."""
    base, *specific = ref.keys()
    subs = [wq.Term("ref", base, boost=REF_BOOST)]
    for k in specific:
        # A dated symbol or an article ("…#d110") tells the document cited apart:
        # it counts as much as a citation; an undated symbol only a little.
        precise = _YEAR_IN_KEY.search(k[len(base) :]) or "#d" in k[len(base) :]
        share = DATED_REF_SHARE if precise else SPECIFIC_REF_SHARE
        subs.append(wq.Term("ref", k, boost=REF_BOOST * share))
    return subs[0] if len(subs) == 1 else wq.Or(subs)


def _unit_query(u: Unit) -> wq.Query:
    q = _plain_unit_query(u)
    return wq.Or([q, u.alternative]) if u.alternative is not None else q


def _plain_unit_query(u: Unit) -> wq.Query:
    if u.inner:
        parts = [_unit_query(i) for i in u.inner]
        return parts[0] if len(parts) == 1 else wq.And(parts)
    if u.kind == "ref":
        return _ref_query(u.ref)
    if u.kind == "phrase":
        exact, folded, *_ = _fields(u.field)
        if len(u.syls) == 1:
            return _syl_query(u.syls[0], u.field)
        if any(s.exact for s in u.syls):
            words, fields = [s.norm for s in u.syls], {exact, "title"}
        else:
            words, fields = [s.fold for s in u.syls], {folded, "title_fold"}
        phrases = [wq.Phrase(f, words, slop=1) for f in sorted(fields)]
        return phrases[0] if len(phrases) == 1 else wq.Or(phrases)
    if len(u.syls) == 1:
        return _syl_query(u.syls[0], u.field)
    # A corpus word: its syllables must all be there, but the word and its
    # adjacency (bonus clauses) should rank, not the loose syllables.
    w = LOOSE_SYLLABLE_WEIGHT if (u.word or u.restored_word) else 1.0
    return wq.And([_syl_query(s, u.field, w) for s in u.syls])


def _negative_query(u: Unit) -> wq.Query:
    """What an exclusion removes: with diacritics typed, only that exact form
    (``-Thưởng`` keeps "Thường"); without, every accented form."""
    if u.kind != "syls" or not all(s.exact for s in u.syls):
        return _unit_query(u)
    exact, _, t_exact, _ = _fields(u.field)
    fields = sorted({exact, t_exact})

    def one(s: Syl) -> wq.Query:
        return wq.Or([wq.Term(f, s.norm) for f in fields])

    return one(u.syls[0]) if len(u.syls) == 1 else wq.And([one(s) for s in u.syls])


def _bonus_queries(units: list[Unit]) -> list[wq.Query]:
    """Words matched as words, and adjacent query syllables adjacent in the text
    (a likely typo counts by its best correction, at that correction's weight)."""
    out: list[wq.Query] = []
    prev: Syl | None = None
    for u in _flat(units):
        if u.negated or u.kind == "ref":
            prev = None
            continue
        if u.word:
            out.append(wq.Term("word", u.word, boost=WORD_BONUS))
        if u.restored_word:
            out.append(wq.Term("word", u.restored_word, boost=WORD_BONUS))
        if u.kind == "phrase":
            prev = None
            continue
        for s in u.syls:
            if prev is not None:
                out += _pair_terms(prev, s)
            prev = s
    return out


def _pair_terms(a: Syl, b: Syl) -> list[wq.Query]:
    """The pair terms for two adjacent query syllables: every form each may take,
    as ``pair_fold`` terms.  Forms that fold alike are one piece of evidence, the
    same term: it counts once, at its strongest reading's weight (adding them up
    instead found a slip slightly less often in ``benchmarks/typo_slips.py``:
    neighbour 0.967 → 0.963, drop 0.903 → 0.900; eval_all the same)."""
    boosts: dict[str, float] = {}
    for _an, af, aw in a.pair_forms():
        for _bn, bf, bw in b.pair_forms():
            key = f"{af} {bf}"
            boosts[key] = max(boosts.get(key, 0.0), ADJACENT_BONUS * aw * bw)
    return [wq.Term("pair_fold", k, boost=w) for k, w in boosts.items()]


def _run_bonus(units: list[Unit], negatives: list[Unit]) -> list[wq.Query]:
    """For a short run of words holding a slip read as its corrections: a bonus
    for the bulletins holding the whole run side by side, as read (any of the
    corrections), since the run is most likely copied from one of them."""
    syls = [s for u in units for s in u.syls]
    if (
        negatives
        or not 2 <= len(syls) <= 6
        or any(u.kind != "syls" or u.inner for u in units)
        or not any(s.corrected for s in syls)
    ):
        return []
    links = []
    for a, b in zip(syls, syls[1:]):
        terms = _pair_terms(a, b)
        links.append(terms[0] if len(terms) == 1 else wq.Or(terms))
    return [wq.And(links, boost=RUN_BONUS)] if len(links) > 1 else []


def _flat(units: list[Unit]) -> list[Unit]:
    """Units with spelled-out abbreviations replaced by the units they are made of."""
    return [i for u in units for i in (u.inner or [u])]


def _best_match(units: list[Unit], plain: bool) -> tuple[str, list[str], list[tuple], list[tuple], wq.Query]:
    """The best-match reading: any term may match (body or title), adjacent
    query syllables adjacent in the text add a bonus, references count.

    Lean on purpose (one term per syllable and field): it serves long
    questions, where a clause per form and field would cost more than it ranks.
    """
    fld, tfld = ("fold", "title_fold") if plain else ("syl", "title")
    key = (lambda s: s.pair_fold) if plain else (lambda s: s.pair_norm)
    units = _flat(units)
    stop = {fold(w) for w in QUESTION_SYLLABLES} if plain else QUESTION_SYLLABLES
    seq: list[str | None] = []
    refs = []
    for u in units:
        if u.kind == "ref":
            refs.append(_ref_query(u.ref))
            seq.append(None)
            continue
        seq.extend(key(s) for s in u.syls)
    terms = [t for t in dict.fromkeys(t for t in seq if t) if t not in stop]
    pairs = dict.fromkeys((a, b) for a, b in zip(seq, seq[1:]) if a and b)
    triples = dict.fromkeys((a, b, c) for a, b, c in zip(seq, seq[1:], seq[2:]) if a and b and c)
    subs: list[wq.Query] = [wq.Term(fld, t) for t in terms]
    subs += [wq.Term(tfld, t, boost=BEST_TITLE_BOOST) for t in terms]
    subs += [
        wq.Term("pair_fold", k, boost=BEST_ADJACENT_BONUS)
        for k in dict.fromkeys(f"{fold(a)} {fold(b)}" for a, b in pairs)
    ]
    subs += refs
    if not subs:  # only question words: search them after all
        subs = [wq.Term(fld, t) for t in dict.fromkeys(t for t in seq if t)]
        terms = [t for t in dict.fromkeys(t for t in seq if t)]
    return fld, terms, list(pairs), list(triples), wq.Or(subs)


def _every_word(units: list[Unit], plain: bool) -> wq.Query:
    """Every unit required, one term per syllable (body or title): a cheap test
    of whether the "all words" reading finds enough for a long query."""
    fld, tfld = ("fold", "title_fold") if plain else ("syl", "title")
    subs: list[wq.Query] = []
    for u in _flat(units):
        if u.kind == "ref":
            subs.append(_ref_query(u.ref))
            continue
        for s in u.syls:
            t = s.pair_fold if plain else s.pair_norm
            subs.append(wq.Or([wq.Term(fld, t), wq.Term(tfld, t)]))
    return wq.And(subs) if len(subs) > 1 else subs[0]


@dataclass
class QueryPlan:
    """Everything the searcher needs to run and highlight one query."""

    text: str
    groups: list[list[Unit]]  # AND of ORs of units
    negatives: list[Unit]
    all_query: wq.Query
    best_query: wq.Query
    refs: list[Ref] = field(default_factory=list)
    norms: set[str] = field(default_factory=set)
    folds: set[str] = field(default_factory=set)
    ref_keys: set[str] = field(default_factory=set)
    plain: bool = False  # typed without any diacritics
    best_field: str = "syl"  # the field whose terms the best-match reading uses
    best_terms: list[str] = field(default_factory=list)
    best_pairs: list[tuple[str, str]] = field(default_factory=list)
    best_triples: list[tuple[str, str, str]] = field(default_factory=list)
    every_query: wq.Query | None = None  # every word, one cheap clause each: does "all" find enough?
    corrected: str | None = None  # the query as read, when raw Telex/VNI or a typo was read otherwise
    together: wq.Query | None = None  # every adjacent pair of a short free-text query: its words side by side
    forgiving: bool = True  # slips were read (see searcher.corrections)
    refs_first: wq.Query | None = None  # the references required, the other words optional
    only_refs: bool = False  # besides question words, the query is document references only
    strict_query: wq.Query | None = None  # the question words required too: how many bulletins echo the question

    @property
    def units(self) -> int:
        return sum(len(g) for g in self.groups)

    @property
    def long(self) -> bool:
        return self.units >= LONG_QUERY_UNITS

    @property
    def question(self) -> bool:
        """Asked as a question ("…?", "là gì", "bao nhiêu"): its answer need not hold every word."""
        if "?" in self.text:
            return True
        return any(is_asking_word(s.norm, self.plain) for g in self.groups for u in g for s in u.syls)

    @property
    def needs_ref(self) -> bool:
        """A short query naming a document: only bulletins citing it may answer,
        asked as a question or not ("Kết luận 21 là gì?").  A question about a
        document ("Bộ luật Lao động quy định điều gì?") may be
        answered by the document's own text, which does not cite it."""
        return bool(self.refs) and not self.long and (not self.question or self.only_refs)


def _asking_groups(groups: list[list[Unit]]) -> list[list[Unit]]:
    """The groups that only ask ("là gì", "thế nào", "có … không"): none when
    nothing else is left to search for."""
    norms: list[str] = []
    spans: list[tuple[list[Unit], int, int]] = []
    for g in groups:
        u = g[0]
        if len(g) == 1 and u.kind == "syls" and u.inner is None and u.alternative is None:
            spans.append((g, len(norms), len(norms) + len(u.syls)))
            norms += [s.norm for s in u.syls]
        else:
            norms.append("")  # a reference, phrase or OR: no question phrase runs across it
    marked = asking_positions(norms)
    out = [g for g, a, b in spans if a < b and all(i in marked for i in range(a, b))]
    return out if len(out) < len(groups) else []


def _refs_first(kept: list[list[Unit]], bonus: list[wq.Query]) -> wq.Query | None:
    """The references a query names required, its other words only adding to
    the score: the fallback when the cited bulletins lack the other words."""
    refs = [_unit_query(g[0]) for g in kept if len(g) == 1 and g[0].kind == "ref"]
    if not refs or len(refs) == len(kept):
        return None
    others = [_unit_query(g[0]) if len(g) == 1 else wq.Or([_unit_query(u) for u in g]) for g in kept]
    required = refs[0] if len(refs) == 1 else wq.And(refs)
    return wq.AndMaybe(required, wq.Or(others + bonus))


def _lone_letter(group: list[Unit]) -> bool:
    u = group[0]
    return (
        len(group) == 1
        and u.kind == "syls"
        and len(u.syls) == 1
        and len(u.syls[0].original) == 1
        and u.syls[0].original.isalpha()
    )


def _as_read(text: str, units: list[Unit]) -> str | None:
    """``text`` with each decoded or corrected syllable replaced by its reading, or
    None when every syllable was read as typed."""
    changes = [(s.original, s.read_as) for u in units for s in u.syls if s.decoded or s.corrected]
    if not changes:
        return None
    out, pos = [], 0
    for typed, read in changes:
        m = re.search(rf"(?<![^\W_]){re.escape(typed)}(?![^\W_])", text[pos:])
        if m is None:
            continue
        out.append(text[pos : pos + m.start()] + read)
        pos += m.end()
    return "".join(out) + text[pos:]


def read_query(
    text: str, voc: Vocabulary | None = None, *, forgiving: bool = True, pairs: PairCount | None = None
) -> QueryPlan:
    """Read a user's query.  Raises :class:`QueryError` when nothing is searchable.

    ``pairs`` (field, "a b") → bulletins holding the pair lets a slip that makes
    another real word be read from its neighbours (``forgiving`` only)."""
    voc = voc or Vocabulary()
    if not isinstance(text, str):
        raise QueryError(f"the query must be text, not {type(text).__name__}")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(
            f"query too long ({len(text):,} characters; at most {MAX_QUERY_CHARS:,}): shorten it to its key words"
        )
    text = clean_text(text)
    typed = text
    if forgiving:
        from .corrections import decode_text

        text = decode_text(text, voc)
    if len(SYLLABLE_RE.findall(text)) > CONTEXT_MAX_SYLLABLES:
        pairs = None  # a long question is read as best match, where any word may be missing anyway
    if not text.strip():
        raise QueryError('empty query: type the words to search for, e.g. "Kết luận 21"')
    clauses = _merge_runs(parse(text))
    plain = not has_diacritics(text)
    groups: list[list[Unit]] = []
    negatives: list[Unit] = []
    join_next = False
    for c in clauses:
        if c.kind == "or":
            join_next = True
            continue
        if c.kind == "phrase":
            syls = _syllables(c.text, plain)
            units = [Unit("phrase", syls, c.field, c.negated)] if syls else []
        else:
            units = _text_units(c.text, c.field, c.negated, voc, plain, forgiving, pairs)
        for i, u in enumerate(units):
            if u.negated:
                negatives.append(u)
            elif join_next and i == 0 and groups:
                groups[-1].append(u)
            else:
                groups.append([u])
        join_next = False
    if not groups:
        if negatives:
            raise QueryError("the query only excludes words: add at least one word to search for")
        raise QueryError("the query has no letters or digits to search for: type some words")

    # Question words ("là gì", "thế nào") are never required, nor, in a query of
    # three units or more, a lone letter ("công b", a word whose other letters
    # were lost): they only add to the score.
    asking = _asking_groups(groups)
    loose = [
        g for g in groups if forgiving and len(groups) >= 3 and _lone_letter(g) and not any(g is x for x in asking)
    ]
    loose += asking
    kept = [g for g in groups if not any(g is x for x in loose)]
    group_queries = [_unit_query(g[0]) if len(g) == 1 else wq.Or([_unit_query(u) for u in g]) for g in kept]
    flat = [u for g in groups for u in g]
    topical = [u for g in groups if not any(g is x for x in asking) for u in g]
    if plain and any(s.decoded for u in flat for s in u.syls):
        plain = not all(s.exact for u in _flat(flat) if u.kind != "ref" for s in u.syls)
    bonus = _bonus_queries(flat) + [_unit_query(g[0]) for g in loose] + _run_bonus(flat, negatives)
    required = group_queries[0] if len(group_queries) == 1 else wq.And(group_queries)
    all_q = wq.AndMaybe(required, wq.Or(bonus)) if bonus else required
    strict_q = wq.And([required, *(_unit_query(g[0]) for g in asking)]) if asking else None
    best_field, best_terms, best_pairs, best_triples, best_q = _best_match(flat, plain)
    every_q = _every_word(topical, plain)
    refs_first = _refs_first(kept, bonus)
    if negatives:
        neg = wq.Or([_negative_query(u) for u in negatives])
        all_q = wq.AndNot(all_q, neg)
        best_q = wq.AndNot(best_q, neg)
        every_q = wq.AndNot(every_q, neg)
        refs_first = wq.AndNot(refs_first, neg) if refs_first is not None else None
        strict_q = wq.AndNot(strict_q, neg) if strict_q is not None else None

    plan = QueryPlan(
        text,
        groups,
        negatives,
        all_q,
        best_q,
        plain=plain,
        best_field=best_field,
        best_terms=best_terms,
        best_pairs=best_pairs,
        best_triples=best_triples,
        every_query=every_q,
    )
    plan.corrected = _as_read(text, flat) or (text if text != typed else None)
    plan.refs_first = refs_first
    plan.strict_query = strict_q
    plan.only_refs = all(u.kind == "ref" for u in topical)
    # Adjacent pairs of the topic words, not across a question word.
    seq = [None if any(u is x[0] for x in asking) else s.pair_fold for u in _flat(flat) for s in u.syls]
    side_by_side = dict.fromkeys((a, b) for a, b in zip(seq, seq[1:]) if a and b)
    if forgiving and 3 <= plan.units <= 6 and not negatives and all(u.kind == "syls" for u in flat) and side_by_side:
        # Folded, so that a tone slip ("đế" for "để") still counts as side by side.
        pair_terms = [wq.Term("pair_fold", f"{a} {b}") for a, b in side_by_side]
        plan.together = pair_terms[0] if len(pair_terms) == 1 else wq.And(pair_terms)
    plan.forgiving = forgiving
    for u in flat:
        if u.ref is not None:
            plan.refs.append(u.ref)
            plan.ref_keys.update(u.ref.keys())
            continue
        for s in u.syls:
            plan.norms.add(s.norm)
            plan.folds.add(s.fold)
            plan.norms.update(f for f, _ in s.restored)
            plan.norms.update(f for f, _ in s.alternatives)
    return plan
