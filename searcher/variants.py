"""Spelling variants of one syllable, folded into one canonical form.

Vietnamese writes some syllables two ways, and some slips are so regular that
the intended syllable is never in doubt.  :func:`canonical_variant` maps each
such syllable to one form, so that documents and queries meet whichever way
either was written.  It is meant to run inside
:func:`searcher.normalise.norm_syllable`, after the tone has been put on its
canonical vowel, on documents and queries alike:

* **i / y** (:func:`canonical_i_y`): the lone vowel after a consonant is
  written either way (lí/lý, kĩ/kỹ, mĩ/mỹ, công ti/công ty, sĩ/sỹ, qui/quy).
  Canonical: **y after h, k, l, m, t and qu; i after every other onset**.
  That is the traditional spelling, and in the VNTC news corpus (80,790
  articles) it is the majority spelling after every onset: lý 72,926 vs lí
  1,171; kỳ/ký/kỹ/kỷ 84,724 vs 727; mỹ 56,387 vs 4,797; ty/tỷ 74,620 vs
  9,566; hy 12,021 vs 889; quy 40,219 vs qui 3,546; but sĩ 47,827 vs sỹ
  1,979, vi 146,164 vs vy 1,443, and i alone after b, ch, d, đ, g, gh, kh,
  n, ngh, nh, ph, r, th, tr, x (bị, chỉ, đi, gì, khi, nghị, thì, trị …).
  "y everywhere" would invent "đy", "gỳ", "khy"; "i everywhere" would index
  "quản lí" for the 66,121 "quản lý".  Only a syllable made of an onset and
  that one vowel varies: ai/ay, oi, ui/uy, tai/tay, hai/hay, thùy/thùi are
  different rhymes and are never touched, nor is a syllable with no onset
  (y tế, ý kiến).
* **a missing horn on ươ** (:func:`restore_horn`): "buớc", "nguời",
  "đuờng" (horn on the o only) and "ngừoi", "đựoc" (on the u only) are
  ươ followed by a final: bước, người, đường, được.  ``uơ`` at the end of a
  syllable is real and kept (thuở, huơ, thuơ), and so is ``uơ`` after q,
  where the u belongs to the onset (quơ, quở, quờ, Phú Quới).
* **doubled tone marks** (:func:`merge_doubled_tone`): "tíếng", "dàì",
  "đựợc", "thụỵ" carry the same tone twice; when the letters without tones
  are one valid syllable it keeps one tone, on its canonical vowel (tiếng,
  dài, được, thụy).  Two *different* tones ("trựờng", "củãa") leave the
  syllable unchanged: which one was meant is a guess.  Neither is a fused
  pair of syllables changed ("họhạ", "hiệuquả").

Misplaced tones (hoà/hòa) are :func:`searcher.normalise.canonical_tone`'s job.

This module also holds the Vietnamese syllable structure
(:func:`is_syllable`: onset + rhyme, and the tone a rhyme allows), which the
Telex decoder and the doubled-tone rule use.  It imports nothing from
:mod:`searcher.normalise` at import time, so that module can import this one;
``canonical_tone`` is fetched on first use.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "ONSETS",
    "RHYMES",
    "Y_ONSETS",
    "canonical_i_y",
    "canonical_variant",
    "is_syllable",
    "merge_doubled_tone",
    "restore_horn",
    "strip_tones",
]

# Combining tone marks: huyền, sắc, hỏi, ngã, nặng.
TONE_MARKS = "\u0300\u0301\u0309\u0303\u0323"
_TONE_SET = frozenset(TONE_MARKS)

# --- syllable structure ----------------------------------------------------------

#: Written onsets (initial consonants), the empty one included.
ONSETS = frozenset(
    (
        "",
        "b",
        "c",
        "ch",
        "d",
        "đ",
        "g",
        "gh",
        "gi",
        "h",
        "k",
        "kh",
        "l",
        "m",
        "n",
        "ng",
        "ngh",
        "nh",
        "p",
        "ph",
        "qu",
        "r",
        "s",
        "t",
        "th",
        "tr",
        "v",
        "x",
    )
)

# Rhymes without a consonant final (open, or closed by the semivowels i/y, o/u).
_OPEN_RHYMES = (
    "a",
    "ai",
    "ao",
    "au",
    "ay",
    "âu",
    "ây",
    "e",
    "eo",
    "ê",
    "êu",
    "i",
    "ia",
    "iu",
    "o",
    "oa",
    "oai",
    "oay",
    "oe",
    "oeo",
    "oi",
    "ô",
    "ôi",
    "ơ",
    "ơi",
    "u",
    "ua",
    "uây",
    "uê",
    "ui",
    "uy",
    "uya",
    "uyu",
    "uơ",
    "ư",
    "ưa",
    "ưi",
    "ưu",
    "y",
    "iêu",
    "yêu",
    "ươi",
    "ươu",
    "uôi",
)
# Nucleus (with its medial) -> the consonant finals it takes.
_CLOSED = {
    "a": "c ch m n ng nh p t",
    "ă": "c m n ng p t",
    "â": "c m n ng p t",
    "e": "c m n ng p t",
    "ê": "ch m n nh p t",
    "i": "ch m n nh p t",
    "o": "c m n ng p t",
    "oo": "c ng",
    "ô": "c m n ng p t",
    "ơ": "c m n p t",
    "u": "c m n ng p t",
    "ư": "c m n ng t",
    "iê": "c m n ng p t",
    "yê": "m n ng t",
    "uô": "c m n ng t",
    "ươ": "c m n ng p t",
    "oa": "c ch m n ng nh p t",
    "oă": "c m n ng t",
    "oe": "m n t",
    "uâ": "n ng t",
    "uê": "ch nh",
    "uy": "ch nh p t",
    "uyê": "n t",
}
#: Every written rhyme (vowels and final, no tone).
RHYMES = frozenset(_OPEN_RHYMES) | {n + f for n, fs in _CLOSED.items() for f in fs.split()}
_STOP_FINALS = ("c", "ch", "p", "t")
_STOP_TONES = frozenset("\u0301\u0323")  # sắc, nặng: the only tones a stop final takes
_FRONT = frozenset("ieêy")


def strip_tones(syllable: str) -> tuple[str, str]:
    """``(letters without tone marks, NFC; the tone marks found, in order)``.

    ``"tiếng"`` → ``("tiêng", "\\u0301")``; ``"tíếng"`` → ``("tiêng", "\\u0301\\u0301")``.
    Vowel marks (ă â ê ô ơ ư) and đ are letters here, not tones.
    """
    decomposed = unicodedata.normalize("NFD", syllable)
    tones = "".join(ch for ch in decomposed if ch in _TONE_SET)
    if not tones:
        return unicodedata.normalize("NFC", syllable), ""
    bare = "".join(ch for ch in decomposed if ch not in _TONE_SET)
    return unicodedata.normalize("NFC", bare), tones


def _onset_allows(onset: str, rhyme: str) -> bool:
    """Spelling rules tying an onset to the rhyme's first letter (c, gh/g, ngh/ng, qu).

    k is allowed before any vowel: place names write it (Bắc Kạn, Kon Tum)."""
    first = rhyme[0]
    if onset == "c":
        return first not in _FRONT
    if onset in ("gh", "ngh"):
        return first in "ieê"
    if onset == "g":  # g + i... is the onset gi sharing its i (gì, gìn, giếng)
        return first not in "eê"
    if onset == "ng":
        return first not in "ieê"
    if onset == "qu":
        return first not in "uư"
    if rhyme.startswith("yê"):
        return onset == ""  # yên, yêu; after a consonant it is written iê
    if rhyme.startswith("iê"):
        return onset != ""
    return True


@lru_cache(maxsize=65536)
def is_syllable(syllable: str) -> bool:
    """Whether a lower-case syllable is spelled like a Vietnamese one.

    It must split into a written onset (:data:`ONSETS`) and rhyme
    (:data:`RHYMES`) that fit each other (c not before i y e ê, gh/ngh only there, qu),
    carry at most one tone mark, and a rhyme closed by c, ch, p or t takes
    only sắc or nặng.  A syllable without a tone is judged on its letters
    alone ("hat" may be "hát" typed plainly).  ``"tiếng"``, ``"quốc"``,
    ``"gìn"``, ``"khuỷu"`` are syllables; ``"tàt"``, ``"ge"``, ``"hoha"``,
    ``"wto"`` are not.
    """
    bare, tones = strip_tones(syllable)
    if len(tones) > 1 or not bare:
        return False
    for n in (3, 2, 1, 0):
        onset, rhyme = bare[:n], bare[n:]
        if len(onset) != n or onset not in ONSETS or not rhyme:
            continue
        # After q the u is the medial of the rhyme: quýt, quỳnh as tuýt, huỳnh.
        if rhyme not in RHYMES and not (onset == "qu" and "u" + rhyme in RHYMES):
            continue
        if not _onset_allows(onset, rhyme):
            continue
        if tones and rhyme.endswith(_STOP_FINALS) and tones not in _STOP_TONES:
            continue
        return True
    return False


# --- the variant rules -----------------------------------------------------------------

#: Onsets after which the lone vowel is written y (see the module docstring).
Y_ONSETS = frozenset(("h", "k", "l", "m", "t", "qu"))
# Onset + lone i/y, decomposed so that the tone mark (if any) follows the vowel.
_LONE_I_Y = re.compile(
    "^(b|ch|c|d|đ|gh|g|h|kh|k|l|m|ngh|nh|ng|n|ph|p|qu|r|s|th|tr|t|v|x)([iy])([" + TONE_MARKS + "]?)$"
)
# A horn on one letter of ươ only, before a final (consonant, i or u).
_HALF_HORN = re.compile("(?<!q)uơ(?=[cmnptiu])|ưo(?=[cmnptiu])")


def canonical_i_y(syllable: str) -> str:
    """One spelling for the lone vowel i/y after an onset: ``lí`` → ``lý``,
    ``qui`` → ``quy``, ``sỹ`` → ``sĩ``, ``vy`` → ``vi``; anything else unchanged."""
    m = _LONE_I_Y.match(unicodedata.normalize("NFD", syllable))
    if m is None:
        return syllable
    onset, vowel, tone = m.groups()
    want = "y" if onset in Y_ONSETS else "i"
    if vowel == want:
        return syllable
    return unicodedata.normalize("NFC", onset + want + tone)


def _with_tone(bare: str, tones: str) -> str:
    """Put one tone mark back on a bare syllable, on its canonical vowel."""
    if not tones:
        return bare
    from .normalise import canonical_tone  # normalise imports this module

    # Anywhere will do: canonical_tone moves it to its place.
    return canonical_tone(unicodedata.normalize("NFC", bare[0] + tones[0] + bare[1:]))


def restore_horn(syllable: str) -> str:
    """``uơ``/``ưo`` before a final becomes ``ươ``: ``buớc`` → ``bước``,
    ``ngừoi`` → ``người``; ``thuở``, ``huơ``, ``quới`` stay."""
    bare, tones = strip_tones(syllable)
    fixed = _HALF_HORN.sub("ươ", bare)
    if fixed == bare or len(tones) > 1:
        return syllable
    return _with_tone(fixed, tones)


def merge_doubled_tone(syllable: str) -> str:
    """The same tone mark twice on one valid syllable becomes one, on its
    canonical vowel: ``tíếng`` → ``tiếng``, ``dàì`` → ``dài``.  Two different
    tones, or letters that are not one syllable (``họhạ``), stay as they are."""
    bare, tones = strip_tones(syllable)
    if len(tones) < 2 or len(set(tones)) != 1 or not is_syllable(bare):
        return syllable
    return _with_tone(bare, tones[:1])


@lru_cache(maxsize=131072)
def canonical_variant(syllable: str) -> str:
    """The canonical spelling variant of one syllable, already lower-cased with
    its tone in canonical place (see the module docstring for the rules).

    ``lí`` → ``lý``, ``quí`` → ``quý``, ``kĩ`` → ``kỹ``, ``buớc`` → ``bước``,
    ``ngừoi`` → ``người``, ``tíếng`` → ``tiếng``; ``tai``, ``thuở``, ``quơ``
    and every syllable that is not Vietnamese come back unchanged.  Idempotent.
    """
    if not syllable.isalpha():
        return syllable
    return canonical_i_y(restore_horn(merge_doubled_tone(syllable)))
