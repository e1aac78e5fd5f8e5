"""Raw Telex and VNI input: the keystrokes of a Vietnamese input method that
was switched off, typed into the search box as they are.

``tieens`` / ``tieesn`` (Telex) and ``tie61n`` / ``tien61`` (VNI) are "tiến"
typed without the input method.  :func:`decode_telex` and :func:`decode_vni`
read one such typed syllable back; :func:`decode_candidates` gives every
distinct reading.  A decoding is only a *candidate*: ``xoong`` (a real word)
decodes to "xông", ``bus`` to "bú".  The caller accepts one only when the
syllable as typed is not in the index vocabulary and the decoded one is.

Decodings are lower-case, NFC, with the tone on its canonical vowel
(:func:`searcher.normalise.norm_syllable`), ready to look up in the
vocabulary: ``Ddangr`` → ``đảng``.

Telex keys: ``aa`` â, ``aw`` ă, ``ee`` ê, ``oo`` ô, ``ow`` ơ, ``uw`` or a lone
``w`` ư, ``uow`` ươ, ``dd`` đ; tones ``s`` sắc, ``f`` huyền, ``r`` hỏi,
``x`` ngã, ``j`` nặng, ``z`` none.  The tone key may follow the vowel or come
last (``tieesn``, ``tieens``); ``w`` may also come last (``duongw`` →
dương); a third vowel key undoes the doubling (``xooong`` → xoong).

VNI keys: ``1`` sắc, ``2`` huyền, ``3`` hỏi, ``4`` ngã, ``5`` nặng, ``6``
â ê ô, ``7`` ơ ư (``uo7`` ươ), ``8`` ă, ``9`` đ, each applying to the
nearest letter it fits before it, so they may follow the vowel or come last
(``lua65n``, ``luan65``).  A token with fewer than two letters is not read as
VNI: "A1", "U2", "B52" are codes far more often than "á", "ù".

:func:`encode_telex` and :func:`encode_vni` go the other way, for tests and
for the typo benchmark.
"""

from __future__ import annotations

import unicodedata

from .normalise import SYLLABLE_RE, norm_syllable
from .variants import TONE_MARKS, is_syllable, strip_tones

__all__ = ["decode_candidates", "decode_telex", "decode_vni", "encode_telex", "encode_vni"]

_HUYEN, _SAC, _HOI, _NGA, _NANG = tuple(TONE_MARKS)
_VOWELS = frozenset("aeiouyăâêôơư")
_CONSONANT_KEYS = frozenset("bcdghklmnpqrstvx")

_TELEX_TONES = {"s": _SAC, "f": _HUYEN, "r": _HOI, "x": _NGA, "j": _NANG, "z": ""}
_TELEX_DOUBLE = {"a": "â", "e": "ê", "o": "ô"}
_BREVE_OR_HORN = {"a": "ă", "o": "ơ", "u": "ư"}

_VNI_TONES = {"1": _SAC, "2": _HUYEN, "3": _HOI, "4": _NGA, "5": _NANG}
_VNI_MARKS = {"6": {"a": "â", "e": "ê", "o": "ô"}, "8": {"a": "ă"}, "9": {"d": "đ"}}


# --- shared ---------------------------------------------------------------------


def _onset_end(letters: list[str]) -> int:
    """Where the onset of a decoded letter list ends (qu- takes its u)."""
    i = 0
    while i < len(letters) and letters[i] not in _VOWELS:
        i += 1
    if i > 0 and letters[i - 1] == "q" and i < len(letters) and letters[i] == "u":
        i += 1
    return i


def _finish(letters: list[str], tone: str | None) -> str | None:
    """Letters and a tone mark → the normalised syllable, or None if not Vietnamese."""
    bare = "".join(letters)
    if bare.endswith("ươ") and _onset_end(letters) == len(letters) - 2:
        bare = bare[:-2] + "uơ"  # ươ never ends a syllable: thuở, huơ
    if not any(ch in _VOWELS for ch in bare):
        return None
    if tone:
        first = next(i for i, ch in enumerate(bare) if ch in _VOWELS)
        bare = bare[: first + 1] + tone + bare[first + 1 :]
    word = unicodedata.normalize("NFC", bare)
    return norm_syllable(word) if is_syllable(word) else None


# --- Telex ----------------------------------------------------------------------


def _telex_horn(out: list[str], start: int) -> bool:
    """Apply a ``w`` key to the letters typed so far; False if it fits nowhere."""
    prev = out[-1] if len(out) > start else ""
    if prev in _BREVE_OR_HORN:
        if prev == "o" and len(out) - 2 >= start and out[-2] in "uư":
            out[-2] = "ư"  # uow → ươ
        out[-1] = _BREVE_OR_HORN[prev]
        return True
    vowels = [i for i in range(start, len(out)) if out[i] in _VOWELS]
    if not vowels:
        out.append("ư")  # a lone w types ư: "nhw" → như
        return True
    # w typed after the final: it marks the vowels (duongw → dương).
    group = "".join(out[i] for i in vowels)
    if "uo" in group:
        k = vowels[group.index("uo")]
        out[k], out[k + 1] = "ư", "ơ"
        return True
    for plain in "oua":
        if plain in group:
            k = vowels[group.index(plain)]
            out[k] = _BREVE_OR_HORN[plain]
            return True
    return False


def decode_telex(s: str) -> str | None:
    """One syllable typed in raw Telex → the Vietnamese syllable, or None.

    ``tieens`` and ``tieesn`` → ``tiến``; ``Ddangr`` → ``đảng``;
    ``luaanj`` → ``luận``; ``xuoongs`` → ``xuống``; ``sutj`` → ``sụt``;
    ``luns`` → ``lún``.  A token with no Telex key comes back normalised if
    it is a Vietnamese syllable (``ban`` → ``ban``).  None for anything else:
    two tone keys, a key that fits no letter, non-ASCII input, or a result
    that is not a Vietnamese syllable (``tatf``).
    """
    t = s.lower()
    if not t or not t.isascii() or not t.isalpha():
        return None
    out: list[str] = []
    i = 0
    if t.startswith("dd"):
        out.append("đ")
        i = 2
    while i < len(t) and t[i] in _CONSONANT_KEYS:
        out.append(t[i])
        i += 1
    if out and out[-1] == "q" and t[i : i + 1] == "u":
        out.append("u")
        i += 1
    start = len(out)  # the rhyme starts here
    tone: str | None = None
    for ch in t[i:]:
        if ch in _TELEX_TONES and any(c in _VOWELS for c in out[start:]):
            if tone is not None:
                return None
            tone = _TELEX_TONES[ch]
            continue
        if ch == "w":
            if not _telex_horn(out, start):
                return None
            continue
        prev = out[-1] if len(out) > start else ""
        if ch in _TELEX_DOUBLE and prev == ch:
            out[-1] = _TELEX_DOUBLE[ch]
        elif ch in _TELEX_DOUBLE and prev == _TELEX_DOUBLE[ch]:
            out[-1:] = [ch, ch]  # a third key undoes: xooong → xoong
        else:
            out.append(ch)
    return _finish(out, tone)


# --- VNI ------------------------------------------------------------------------


def _vni_horn(out: list[str], start: int) -> bool:
    """Apply a ``7`` key: the nearest o or u before it (``uo7`` → ươ)."""
    for k in range(len(out) - 1, start - 1, -1):
        if out[k] in "ou":
            if out[k] == "o" and k - 1 >= start and out[k - 1] in "uư":
                out[k - 1] = "ư"
            out[k] = _BREVE_OR_HORN[out[k]]
            return True
    return False


def decode_vni(s: str) -> str | None:
    """One syllable typed in raw VNI → the Vietnamese syllable, or None.

    ``lua65n`` → ``luận``; ``lun1`` → ``lún``; ``xuo6ng1`` → ``xuống``;
    ``d9a3ng`` → ``đảng``; ``tien61`` → ``tiến``.  None for two tone digits,
    a mark digit that fits no letter (or ``0``), fewer than two letters, or a
    result that is not a Vietnamese syllable.
    """
    t = s.lower()
    if not t or not t.isascii() or not t.isalnum() or sum(ch.isalpha() for ch in t) < 2:
        return None
    out: list[str] = []
    tone: str | None = None
    for ch in t:
        if ch.isalpha():
            out.append(ch)
            continue
        start = _onset_end(out) if ch == "7" else 0
        if ch in _VNI_TONES:
            if tone is not None or not any(c in _VOWELS for c in out):
                return None
            tone = _VNI_TONES[ch]
        elif ch == "7":
            if not _vni_horn(out, start):
                return None
        elif ch in _VNI_MARKS:
            marks = _VNI_MARKS[ch]
            k = next((k for k in range(len(out) - 1, -1, -1) if out[k] in marks), None)
            if k is None:
                return None
            out[k] = marks[out[k]]
        else:
            return None
    return _finish(out, tone)


def decode_candidates(s: str) -> list[str]:
    """Distinct Telex and VNI readings of one typed token (Telex first), each a
    valid Vietnamese syllable and different from the token itself:
    ``tieens`` → ``["tiến"]``; ``ban`` → ``[]``; ``2021`` → ``[]``."""
    as_typed = norm_syllable(s)
    out: list[str] = []
    for decoded in (decode_telex(s), decode_vni(s)):
        if decoded and decoded != as_typed and decoded not in out:
            out.append(decoded)
    return out


# --- encoding (tests, benchmarks) ----------------------------------------------------

_TELEX_KEYS = {"đ": "dd", "â": "aa", "ă": "aw", "ê": "ee", "ô": "oo", "ơ": "ow", "ư": "uw"}
_TELEX_TONE_KEYS = {v: k for k, v in _TELEX_TONES.items() if v}
_VNI_KEYS = {"đ": "d9", "â": "a6", "ă": "a8", "ê": "e6", "ô": "o6", "ơ": "o7", "ư": "u7"}
_VNI_TONE_KEYS = {v: k for k, v in _VNI_TONES.items()}


def _encode_syllable(token: str, keys: dict[str, str], tone_keys: dict[str, str], telex: bool, tone_last: bool) -> str:
    bare, tones = strip_tones(unicodedata.normalize("NFC", token))
    low = bare.lower()
    out: list[str] = []
    last_vowel = -1
    for i, ch in enumerate(bare):
        c = low[i]
        key = keys.get(c, c)
        if telex and c == "ư" and low[i + 1 : i + 2] == "ơ":
            key = "u"  # ươ is typed uow
        elif telex and c == "o" and i > 0 and low[i - 1] == "o":
            key = "oo"  # plain oo needs a third o: xooong
        out.append(key.upper() if ch != c else key)
        if c in _VOWELS:
            last_vowel = len(out)
    if tones:
        out.insert(len(out) if tone_last else last_vowel, tone_keys[tones[0]])
    return "".join(out)


def _encode(text: str, keys: dict[str, str], tone_keys: dict[str, str], telex: bool, tone_last: bool) -> str:
    def one(token: str) -> str:
        if not token.isalpha() or not is_syllable(norm_syllable(token)):
            return token  # numbers, codes, foreign words stay as they are
        return _encode_syllable(token, keys, tone_keys, telex, tone_last)

    return SYLLABLE_RE.sub(lambda m: one(m.group()), text)


def encode_telex(text: str, tone_last: bool = True) -> str:
    """Every Vietnamese syllable of ``text`` as raw Telex keystrokes (the tone
    key last, or right after the vowels): ``Đảng viên`` → ``DDangr vieen``."""
    return _encode(text, _TELEX_KEYS, _TELEX_TONE_KEYS, True, tone_last)


def encode_vni(text: str, tone_last: bool = True) -> str:
    """Every Vietnamese syllable of ``text`` as raw VNI keystrokes (marks after
    their letter, the tone digit last or right after the vowels):
    ``Đảng viên`` → ``D9ang3 vie6n``."""
    return _encode(text, _VNI_KEYS, _VNI_TONE_KEYS, False, tone_last)
