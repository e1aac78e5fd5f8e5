"""Vietnamese text normalisation as small, layered, pure functions.

Two layers:

* **Display layer** (:func:`clean_text`): applied once to the text a user will
  see.  It only makes changes that are invisible or near-invisible to a reader:
  Unicode NFC, look-alike letters (``Ð`` U+00D0 → ``Đ`` U+0110), exotic spaces
  to a plain space, zero-width and bidirectional-override characters removed,
  full-width forms (``ＫＥＴ　２１``) to their plain letters, and control
  characters (terminal escapes such as ``ESC ]0;…``, C0 and C1 except newline
  and tab) and lone surrogates dropped, so stored text can reach a terminal or
  a JSON encoder safely.  Every offset the index
  stores points into text that has been through this layer.

* **Token layer** (:func:`norm_syllable`, :func:`fold`): applied to one
  syllable at a time when indexing and querying.  It lower-cases, puts the tone
  mark in one canonical place (``hoà`` → ``hòa``, ``uỷ`` → ``ủy``,
  ``qủa`` → ``quả``), picks one spelling of the i/y, qui/quy, missing-horn and
  doubled-tone variants (:mod:`searcher.variants`) and, for :func:`fold`,
  strips every diacritic (``đ`` → ``d``).  Because it works per token, the display text keeps the writer's own
  spelling and offsets stay exact.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

__all__ = [
    "nfc",
    "fix_lookalikes",
    "fix_spaces",
    "clean_text",
    "strip_controls",
    "fix_widths",
    "printable",
    "is_encodable",
    "canonical_tone",
    "norm_syllable",
    "fold",
    "has_diacritics",
    "SYLLABLE_RE",
    "syllables",
]

# --- display layer ---------------------------------------------------------

_LOOKALIKES = str.maketrans(
    {
        "\u00d0": "\u0110",  # Ð (Icelandic eth, capital) -> Đ
        "\u00f0": "\u0111",  # ð (eth) -> đ
        "\u0189": "\u0110",  # Ɖ (African D) -> Đ
        "\u0256": "\u0111",  # ɖ -> đ
    }
)

# Spaces that look like a space but are not U+0020.
_SPACES = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
# Characters that take no room at all, and bidirectional controls (which can
# make displayed text read differently from what is stored).
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# C0 and C1 controls except tab and newline (a carriage return becomes a
# newline first), DEL, and lone surrogates (which no UTF-8 encoder accepts).
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_CRLF = re.compile("\r\n?")
# Whole terminal escape sequences (CSI "ESC [ … final", OSC "ESC ] … BEL/ST",
# and two-character ones), removed with their parameters, not only their ESC.
_ESCAPES = re.compile("\x1b(?:\\[[0-?]*[ -/]*[@-~]|\\][^\x07\x1b]*(?:\x07|\x1b\\\\)?|[@-Z\\\\-_])")
# Full-width ASCII and half-width forms (U+FF01–U+FFEE): NFKC gives the plain letter.
_WIDTH_FORMS = re.compile("[\uff01-\uffee]+")


def nfc(text: str) -> str:
    """Unicode NFC: precomposed letters, as almost all Vietnamese text uses."""
    return unicodedata.normalize("NFC", text)


_LOOKALIKE_RE = re.compile("[\u00d0\u00f0\u0189\u0256]")


def fix_lookalikes(text: str) -> str:
    """Replace letters that look like Đ/đ but are not (U+00D0, U+00F0, U+0189)."""
    # str.translate walks every character; the regex finds the rare ones fast.
    return text.translate(_LOOKALIKES) if _LOOKALIKE_RE.search(text) else text


def strip_controls(text: str) -> str:
    """Drop control characters (C0, C1, DEL) except tab and newline, and lone
    surrogates; ``\\r\\n`` and a lone ``\\r`` become ``\\n``."""
    if "\r" in text:
        text = _CRLF.sub("\n", text)
    if "\x1b" in text:
        text = _ESCAPES.sub("", text)
    return _CONTROLS.sub("", text)


def fix_widths(text: str) -> str:
    """Full-width letters, digits and punctuation (``ＫＥＴ ＬＵＡＮ ２１``) become
    their plain forms (NFKC on those characters only)."""
    return _WIDTH_FORMS.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)


def printable(text: str) -> str:
    """``text`` made safe for a one-line message: controls dropped, newlines
    and tabs as spaces."""
    return " ".join(strip_controls(str(text)).split())


def is_encodable(text: str) -> bool:
    """True when ``text`` can be encoded as UTF-8 (no lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def fix_spaces(text: str) -> str:
    """NBSP and other wide spaces become U+0020; zero-width characters go."""
    return _ZERO_WIDTH.sub("", _SPACES.sub(" ", text))


# An HTML character reference, with its semicolon ("&amp;", "&#193;", "&#xC1;").
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def unescape_entities(text: str) -> str:
    """HTML character references left by scrapers ("&amp;", "&gt;", "&#193;") become
    characters.  Only complete references: "R&D" and "AT&T" stay.  Not idempotent
    on doubly escaped text, so it belongs to reading documents, once."""
    if "&" not in text:
        return text
    return _ENTITY_RE.sub(lambda m: html.unescape(m.group()), text)


def clean_text(text: str) -> str:
    """The display layer: controls, full-width forms, NFC, look-alike letters,
    spaces.  Idempotent."""
    return nfc(fix_lookalikes(fix_spaces(fix_widths(strip_controls(nfc(text))))))


# --- token layer -------------------------------------------------------------

# A syllable is a run of letters and digits (no underscore).
SYLLABLE_RE = re.compile(r"[^\W_]+")

_TONES = {
    "\u0300": 1,  # huyền  (grave)
    "\u0301": 2,  # sắc    (acute)
    "\u0309": 3,  # hỏi    (hook above)
    "\u0303": 4,  # ngã    (tilde)
    "\u0323": 5,  # nặng   (dot below)
}
_TONE_MARK = {v: k for k, v in _TONES.items()}
_PLAIN_VOWELS = set("aeiouy")
_MARKED_VOWELS = set("ăâêôơư")
_VOWELS = _PLAIN_VOWELS | _MARKED_VOWELS


def _split_tone(syllable: str) -> tuple[str, int]:
    """Return the syllable without its tone mark (NFC) and the tone (0 = none).

    A syllable carrying two tone marks is not Vietnamese; tone 0 is returned
    with the text unchanged so that callers leave it alone.
    """
    decomposed = unicodedata.normalize("NFD", syllable)
    tone = 0
    kept = []
    for ch in decomposed:
        t = _TONES.get(ch)
        if t is None:
            kept.append(ch)
        elif tone:
            return syllable, 0
        else:
            tone = t
    return unicodedata.normalize("NFC", "".join(kept)), tone


def _tone_index(bare: str) -> int | None:
    """Where the tone mark goes in a toneless lower-case syllable.

    The traditional ("old style") placement is the canonical one: hòa, khỏe,
    thủy; qu- and gi- are consonants (quả, giạ).  Returns ``None`` when the
    syllable has no vowel.
    """
    n = len(bare)
    start = 0
    # Skip the initial consonant cluster.
    while start < n and bare[start] not in _VOWELS:
        start += 1
    if start >= n:
        return None
    # qu-, gi- followed by another vowel: the u / i belongs to the consonant.
    if start > 0 and start + 1 < n and bare[start + 1] in _VOWELS and bare[start - 1 : start + 1] in ("qu", "gi"):
        start += 1
    end = start
    while end < n and bare[end] in _VOWELS:
        end += 1
    cluster = bare[start:end]
    closed = end < n  # a final consonant follows the vowels
    if "ươ" in cluster:
        return start + cluster.index("ươ") + 1
    marked = [i for i, ch in enumerate(cluster) if ch in _MARKED_VOWELS]
    if marked:
        return start + marked[-1]
    if len(cluster) == 1:
        return start
    if closed:
        return start + len(cluster) - 1
    if len(cluster) >= 3:
        return start + 1
    return start  # open two-vowel cluster: hòa, mùa, tài, thủy


@lru_cache(maxsize=65536)
def canonical_tone(syllable: str) -> str:
    """Move the tone mark of one lower-case syllable to its canonical vowel.

    ``hoà`` → ``hòa``, ``uỷ`` → ``ủy``, ``khoá`` → ``khóa``, ``qủa`` → ``quả``.
    Syllables without a tone, or that are not Vietnamese, come back unchanged.
    """
    bare, tone = _split_tone(syllable)
    if not tone:
        return syllable
    i = _tone_index(bare)
    if i is None:
        return syllable
    toned = unicodedata.normalize("NFC", bare[i] + _TONE_MARK[tone])
    return bare[:i] + toned + bare[i + 1 :]


@lru_cache(maxsize=131072)
def norm_syllable(syllable: str) -> str:
    """The indexed form of a syllable: display layer, lower case, canonical tone,
    and one spelling of the variants writers use on purpose or by slip
    (:func:`searcher.variants.canonical_variant`: lí/lý → lý, qui → quy,
    buớc → bước, tíếng → tiếng)."""
    from .variants import canonical_variant

    return canonical_variant(canonical_tone(clean_text(syllable).lower()))


@lru_cache(maxsize=131072)
def fold(text: str) -> str:
    """Strip every diacritic, đ→d included, and lower-case: ``Đảng`` → ``dang``."""
    decomposed = unicodedata.normalize("NFD", fix_lookalikes(text).lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d")


def has_diacritics(text: str) -> bool:
    """True when folding would change the (lower-cased) text."""
    return fold(text) != text.lower()


def syllables(text: str):
    """Yield ``(syllable, start, end)`` for each syllable of ``text`` as written."""
    for m in SYLLABLE_RE.finditer(text):
        yield m.group(), m.start(), m.end()
