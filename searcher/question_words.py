"""Question words: what makes a query a question, and which of its words never decide.

A user who asks "Kết luận 21 là gì?" or "Thế nào là tham nhũng?" wants the
bulletins about the topic; an answer rarely repeats "là gì" or "thế nào".  So
the question words and phrases listed here are never required in a query
(:func:`asking_positions`): they only add to the score.  The query reader
(:mod:`searcher.query`) and the best-match reading both take them from here.

Each entry is matched on the syllables as the analysis normalises them
(:func:`searcher.normalise.norm_syllable`): a syllable typed with diacritics
must match exactly ("gì", not "gí"), one typed without matches by its folded
form ("la gi", "the nao").  A lone question word standing inside a corpus word
("Ai Cập") is the query reader's business: it only drops whole units.
"""

from __future__ import annotations

from .normalise import fold, has_diacritics

# Question phrases, longest first where one contains another.  Deliberately
# not here: "đâu" alone (unaccented "dau" is also "đầu", "dầu"), "sao" alone
# ("ngôi sao"), "không" alone (a negation, not a question, except in "có … không").
ASKING_PHRASES: tuple[tuple[str, ...], ...] = (
    ("như", "thế", "nào"),
    ("thế", "nào", "là"),
    ("là", "như", "thế", "nào"),
    ("thế", "nào"),
    ("ra", "sao"),
    ("bao", "nhiêu"),
    ("bao", "giờ"),
    ("khi", "nào"),
    ("lúc", "nào"),
    ("ở", "đâu"),
    ("tại", "sao"),
    ("vì", "sao"),
    ("là", "gì"),
    ("là", "ai"),
    ("được", "không"),
    ("hay", "không"),
    ("hay", "chưa"),
    ("gì",),
    ("nào",),
    ("ai",),
    ("nhỉ",),
    ("ạ",),
)

# "có … không" / "đã … chưa": the opening word and the closing one, both
# optional when the query ends with the closing one ("Đảng viên có được kinh
# doanh không?").
FRAMES: tuple[tuple[str, str], ...] = (("có", "không"), ("đã", "chưa"))

# Words a best-match reading leaves out: they carry no topic (kept as it was
# measured with benchmarks/eval_all.py).
QUESTION_SYLLABLES = frozenset(
    ["gì", "nào", "ai", "đâu", "sao", "mấy", "bao", "nhiêu", "không"]
    + ["hay", "chưa", "thế", "vậy", "à", "ư", "nhỉ", "chăng"]
)

# Words that make a query a question (its answer need not hold every word).
_ASKING = frozenset(["gì", "nào", "ai", "đâu", "mấy", "nhiêu"])
_ASKING_PLAIN = frozenset(["gi", "nao", "dau", "nhieu"])


def is_asking_word(norm: str, plain: bool) -> bool:
    """Whether a syllable makes the query a question ("gì", "bao nhiêu"; unaccented: "gi")."""
    return norm in (_ASKING_PLAIN if plain else _ASKING)


def asking_positions(norms: list[str]) -> set[int]:
    """Indexes of the syllables (normalised, lower case) that ask rather than say.

    A syllable typed without diacritics matches by its folded form ("la gi"),
    except a one-letter word ("ạ"): "a" is a name as often as not.

    >>> sorted(asking_positions(["kết", "luận", "21", "là", "gì"]))
    [3, 4]
    >>> sorted(asking_positions(["the", "nao", "la", "tham", "nhung"]))
    [0, 1, 2]
    >>> sorted(asking_positions(["đảng", "viên", "có", "được", "kinh", "doanh", "không"]))
    [2, 6]
    """

    def _same(typed: str, listed: str) -> bool:
        return typed == listed or (len(listed) > 1 and not has_diacritics(typed) and typed == fold(listed))

    out: set[int] = set()
    i = 0
    while i < len(norms):
        for phrase in ASKING_PHRASES:
            n = len(phrase)
            if all(i + k < len(norms) and _same(norms[i + k], phrase[k]) for k in range(n)):
                out.update(range(i, i + n))
                i += n
                break
        else:
            i += 1
    if norms:
        for opening, closing in FRAMES:
            if _same(norms[-1], closing):
                first = next((k for k, s in enumerate(norms[:-1]) if _same(s, opening)), None)
                if first is not None and first < len(norms) - 2:  # something stands between them
                    out.update((first, len(norms) - 1))
    return out
