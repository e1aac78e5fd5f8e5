"""Reading the slips in what a user types: raw Telex and VNI, typos, abbreviations.

Every decision is taken against the index's own vocabulary
(:class:`searcher.vocab.Vocabulary`), so nothing unknown is ever invented:

* a syllable the corpus holds is taken as typed (``tuan``, ``an`` are never
  "decoded", though they look like Telex);
* an unknown syllable that decodes from raw Telex or VNI to one the corpus
  holds (``luaanj``, ``tieesn``, ``Ddangr``, ``lua65n``) is read as the decoded
  syllable;
* an unknown or very rare syllable gets its nearest corpus syllables
  (:class:`searcher.spelling.SpellIndex`: a wrong tone costs least, a wrong
  vowel mark more, a wrong, missing, extra or swapped letter a full edit) as
  alternatives, OR'd beside what was typed at a lower weight, so an exact
  match always outranks a corrected one;
* a syllable never seen beside its neighbours in the corpus, though a
  syllable one letter away is (``đã hải nhích`` → ``phải``: a slip that makes
  another real word, or a letter lost from a short one), gets that syllable
  as an alternative (:func:`in_context`);
* an abbreviation (BCT, UBND, XDĐ) also finds its full forms, and a full form
  typed out (bộ chính trị) also finds the abbreviation, each at a lower weight
  than the form typed.

A number is never corrected, decoded or expanded: "Kết luận 12" is never
"Kết luận 21".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .normalise import fold, has_diacritics, norm_syllable
from .vocab import Vocabulary

CORRECTION_WEIGHT = 0.5  # a corrected syllable, against 1.0 for one matched as typed
ABBREVIATION_WEIGHT = 0.8  # the other form of an abbreviation
RARE_DF = 2  # a syllable in at most this many bulletins may be a typo ...
RARE_RATIO = 50  # ... when a correction is this many times more frequent
MAX_ALTERNATIVES = 10  # all OR'd: the text around them (adjacency bonuses) picks the right one
CONTEXT_WEIGHT = 0.5  # a correction the neighbouring words confirm
CONTEXT_CANDIDATES = 150  # the nearest syllables tried against the neighbours
REAL_WORD_ODDS = 10.0  # how much likelier the neighbours must make a correction of a real word
SLIP_ODDS = 10.0  # a slip of one unit of cost (a letter) is this much less likely than none
MAX_CONTEXT_ALTERNATIVES = 10


@dataclass(frozen=True)
class Reading:
    """How one typed syllable is read.

    ``norm`` is the syllable searched for (the decoded one for raw Telex/VNI),
    ``decoded`` says it was decoded, ``alternatives`` are corrections with
    their weights, and ``unknown`` says the corpus does not hold ``norm``.
    """

    typed: str
    norm: str
    decoded: bool = False
    alternatives: tuple[tuple[str, float], ...] = ()
    unknown: bool = False

    @property
    def shown(self) -> str:
        """The syllable as the "showing results for" line writes it."""
        if self.decoded:
            return self.norm
        if self.unknown and self.alternatives:
            return self.alternatives[0][0]
        return self.typed


def _df(voc: Vocabulary, norm: str, plain: bool) -> int:
    return voc.folded_df(fold(norm)) if plain else voc.syllable_df(norm)


def read_syllable(typed: str, voc: Vocabulary, plain: bool) -> Reading:
    """Read one typed syllable against the corpus vocabulary (see the module doc)."""
    norm = norm_syllable(typed)
    if not voc.syl_forms or not typed.isalpha() and not _vni_like(typed):
        return Reading(typed, norm)
    df = _df(voc, norm, plain and not has_diacritics(typed))
    if df > RARE_DF:
        return Reading(typed, norm)
    if df == 0 and not has_diacritics(typed):
        from .telex import decode_candidates

        for decoded in decode_candidates(typed):
            if voc.syllable_df(decoded) > 0:
                return Reading(typed, decoded, decoded=True)
    if not typed.isalpha():
        return Reading(typed, norm, unknown=df == 0)
    suggestions = voc.spell_index().suggest(typed, limit=MAX_ALTERNATIVES + 10)
    same_letters = fold(norm) if not has_diacritics(typed) else None  # the folded field matches these already
    better = [
        (s, c, n)
        for s, c, n in suggestions
        if n > max(df, 1) * (RARE_RATIO if df else 0) and s != norm and fold(s) != same_letters
    ]
    if same_letters is None and voc.folded_df(fold(norm)) > 0:
        # The letters are right, only a tone or a mark is off ("bọp" for "bóp"): the
        # folded field finds these bulletins already; other letters would only add noise.
        better = [x for x in better if fold(x[0]) == fold(norm)]
    # The nearer the correction, the more it counts: a tone slip (0.3) 0.85 of the
    # correction weight, a keyboard neighbour (0.7) 0.65, any other letter (1.0) 0.5.
    alternatives = tuple((s, CORRECTION_WEIGHT * (1 - c / 2)) for s, c, _ in better[:MAX_ALTERNATIVES])
    return Reading(typed, norm, alternatives=alternatives, unknown=df == 0)


def _vni_like(typed: str) -> bool:
    """Letters with VNI digits among them ("lua65n"), not a number or a code like "B52"."""
    letters = sum(c.isalpha() for c in typed)
    return letters >= 2 and any(c.isdigit() for c in typed) and typed[0].isalpha() and typed.isalnum()


def abbreviation_key_of(typed: str, voc: Vocabulary) -> list[str]:
    """The full forms of ``typed`` when it is an abbreviation of the table."""
    if len(typed) < 2 or any(c.isdigit() for c in typed):
        return []
    table = voc.abbreviations()
    return table.expand(typed)


def full_form_runs(syllables: list[str], voc: Vocabulary) -> list[tuple[int, int, str]]:
    """``(start, end, abbreviation)`` for runs of typed syllables that spell out a full form."""
    if len(syllables) < 2:
        return []
    return voc.abbreviations().find(syllables)


_TOKEN = re.compile(r"[^\W_]+")


def decode_text(text: str, voc: Vocabulary) -> str:
    """``text`` with every raw Telex/VNI token the corpus does not hold, but whose
    decoding it does, replaced by the decoded syllable ("kets luaanj 21" →
    "kết luận 21"), so references and words are then read as if typed with
    diacritics.  Abbreviations, numbers and known syllables stay as typed."""
    if not voc.syl_forms:
        return text

    def one(m: re.Match) -> str:
        token = m.group()
        if has_diacritics(token) or token.isdigit() or abbreviation_key_of(token, voc):
            return token
        if not token.isalpha() and not _vni_like(token):
            return token
        if voc.folded_df(fold(norm_syllable(token))) > 0:
            return token
        from .telex import decode_candidates

        for decoded in decode_candidates(token):
            if voc.syllable_df(decoded) > 0:
                return decoded
        return token

    return _TOKEN.sub(one, text)


PairCount = Callable[[str, str], int]  # (field, "a b") -> bulletins holding the pair


def in_context(
    syllables: list[tuple[str, bool, bool]], voc: Vocabulary, pairs: PairCount
) -> dict[int, tuple[tuple[str, float], ...]]:
    """Corrections the neighbouring words confirm, by position.

    ``syllables`` are ``(norm, exact, correctable)`` of one run of query text
    in order (``exact``: typed with diacritics); ``pairs`` counts the bulletins
    holding two syllables side by side (the ``pair`` / ``pair_fold`` fields).

    A correctable syllable no bulletin holds beside any of its neighbours, as
    typed, may be a slip.  Its nearest syllables (one letter edit, any tone or
    mark: :meth:`searcher.spelling.SpellIndex.near`) are tried in its place:

    * an unknown syllable ("nght", "ếc"), or one so rare that a candidate is
      :data:`RARE_RATIO` times more frequent, takes candidates seen beside at
      least one neighbour;
    * a syllable the corpus holds ("hải" for "phải") takes only candidates
      seen beside *every* neighbour, and, at either end of the run (one
      neighbour), seen beside it at least :data:`REAL_WORD_ODDS` - 1 times: a
      real word is rarely a slip, so the text around it must say so.

    Candidates beside more neighbours come first, then by a bigram noisy
    channel: P(cand) P(left | cand) P(right | cand), estimated from the pair
    and syllable counts (+1 each), times :data:`SLIP_ODDS` to the power of
    minus the slip's cost (:func:`searcher.spelling.distance`).

    One position is corrected at a time (one unseen on both sides before one
    at an end, an unknown syllable before a known one, then the likeliest),
    and its neighbours are then judged against its correction: in "tương ai
    xán" the slip is "ai" (lai), not the words beside it.  Up to
    :data:`MAX_CONTEXT_ALTERNATIVES` candidates per position, each at
    :data:`CONTEXT_WEIGHT`.  Text copied from a bulletin never triggers this:
    its own pairs are in the index.
    """
    counted: dict[tuple[str, str], int] = {}

    def count(field: str, pair: str) -> int:
        if (field, pair) not in counted:
            counted[field, pair] = pairs(field, pair)
        return counted[field, pair]

    reading = [norm for norm, _, _ in syllables]

    def beside(cand: str, i: int, j: int) -> int:
        a, b = (reading[j], cand) if j < i else (cand, reading[j])
        if syllables[i][1] and syllables[j][1]:
            return count("pair", f"{a} {b}")
        return count("pair_fold", f"{fold(a)} {fold(b)}")

    out: dict[int, tuple[tuple[str, float], ...]] = {}
    while True:
        best: tuple[tuple, int, list[str]] | None = None
        for i, (norm, exact, correctable) in enumerate(syllables):
            sides = [j for j in (i - 1, i + 1) if 0 <= j < len(syllables)]
            if i in out or not correctable or not sides or any(beside(norm, i, j) for j in sides):
                continue
            df = voc.syllable_df(norm) if exact else voc.folded_df(fold(norm))
            scored = []
            for cand, cost, cand_df in voc.spell_index().near(norm, CONTEXT_CANDIDATES):
                # as in read_syllable: a very rare syllable beside a far more frequent one is likely a slip
                known = df > 0 and not (df <= RARE_DF and cand_df > df * RARE_RATIO)
                odds, hits = 1.0, 0
                for j in sides:
                    n = beside(cand, i, j)
                    if not n and known:
                        break
                    odds *= n + 1
                    hits += n > 0
                else:
                    if hits and (not known or len(sides) == 2 or odds >= REAL_WORD_ODDS):
                        # P(cand) P(left | cand) P(right | cand), from pair and syllable counts,
                        # times the chance of the slip: a tenth per unit of cost
                        likely = odds / (cand_df + 1) ** (len(sides) - 1)
                        scored.append((-hits, -likely * SLIP_ODDS**-cost, cand))
            if scored:
                scored.sort()
                # Unseen on both sides before one (the slip, not its neighbour), unknown before known.
                rank = (len(sides), df == 0, -scored[0][1])
                if best is None or rank > best[0]:
                    best = (rank, i, [c for *_, c in scored[:MAX_CONTEXT_ALTERNATIVES]])
        if best is None:
            return out
        _, i, cands = best
        out[i] = tuple((c, CONTEXT_WEIGHT) for c in cands)
        reading[i] = cands[0]
