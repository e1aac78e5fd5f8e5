"""Party and State abbreviations: BCT ↔ Bộ Chính trị, UBND ↔ Ủy ban nhân dân.

The curated table ships as ``searcher/data/abbreviations.txt``: one
``ABBR = full form`` per line, ``#`` comments, an abbreviation with several
senses on several lines, the Party sense first.  An archive may add its own
in the same format (for instance ``corpus/abbreviations.txt``); its bad lines
become warnings naming ``file:line`` and why, returned with the table, never
printed, and the rest is used.

* :meth:`AbbreviationTable.expand` — ``"BCT"`` → ``["Bộ Chính trị"]``.  The
  abbreviation is matched ignoring case, đ/d and the punctuation inside it:
  ``XDĐ``, ``xdd``, ``XDD``; ``CNH-HĐH``, ``cnhhdh``.
* :meth:`AbbreviationTable.abbreviate` — ``["bộ", "chính", "trị"]`` → ``["BCT"]``:
  abbreviations whose full form is exactly that run of syllables.  A
  syllable typed with diacritics must match the full form's syllable once
  both are normalised (``uỷ`` = ``ủy``); one typed without must match it
  folded (``bo chinh tri`` finds BCT).
* :meth:`AbbreviationTable.find` — every run of a longer list of syllables
  that spells out an abbreviation's full form.

The shipped file is read once, on first use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .normalise import SYLLABLE_RE, clean_text, fold, has_diacritics, norm_syllable
from .variants import is_syllable

__all__ = ["Abbreviation", "AbbreviationTable", "abbreviation_key", "load_table", "parse_lines"]

SHIPPED = "abbreviations.txt"
MAX_FULL_SYLLABLES = 12
# An abbreviation as written: letters and digits, with . & / - between them.
_ABBR_RE = re.compile(r"[^\W_]+(?:[.&/-]?[^\W_]+)*")
_NOT_KEY = re.compile(r"[\W_]+")


def abbreviation_key(abbr: str) -> str:
    """What two spellings of one abbreviation share: folded (case, đ/d), without
    punctuation: ``"CNH-HĐH"`` → ``"cnhhdh"``, ``"TP.HCM"`` → ``"tphcm"``."""
    return _NOT_KEY.sub("", fold(clean_text(abbr)))


@dataclass(frozen=True)
class Abbreviation:
    """One sense: the abbreviation as written, its full form, and the full
    form's syllables (normalised, and folded)."""

    abbr: str
    full: str
    norm: tuple[str, ...]
    folded: tuple[str, ...]


def _syllables_of(text: str) -> list[str]:
    return SYLLABLE_RE.findall(clean_text(text))


def _parse_line(line: str) -> Abbreviation | str | None:
    """One line → an entry, a reason it is bad, or None (blank or comment)."""
    text = re.sub(r"(^|\s)#.*", "", line).strip()
    if not text:
        return None
    if "=" not in text:
        return "no '=' (expected 'ABBR = full form')"
    abbr, full = (part.strip() for part in text.split("=", 1))
    if not abbr:
        return "no abbreviation before '='"
    if not full:
        return f"no full form after '=' for {abbr!r}"
    if not _ABBR_RE.fullmatch(abbr):
        return f"abbreviation {abbr!r} is not one word (letters, digits and . & / - only)"
    key = abbreviation_key(abbr)
    if len(key) < 2 or key.isdigit():
        return f"abbreviation {abbr!r} is too short or only digits"
    if is_syllable(key):
        return f"abbreviation {abbr!r} reads as the syllable {key!r}"
    syls = _syllables_of(full)
    if not syls:
        return f"full form {full!r} has no word"
    if len(syls) > MAX_FULL_SYLLABLES:
        return f"full form {full!r} is longer than {MAX_FULL_SYLLABLES} syllables"
    if len(syls) == 1:
        return f"full form {full!r} is a single word"
    norm = tuple(norm_syllable(s) for s in syls)
    return Abbreviation(abbr, clean_text(full), norm, tuple(fold(s) for s in norm))


def parse_lines(lines: list[str], where: str) -> tuple[list[Abbreviation], list[str]]:
    """Entries and warnings (``where:line: why``) of a table's lines."""
    entries: list[Abbreviation] = []
    warnings: list[str] = []
    for n, line in enumerate(lines, 1):
        got = _parse_line(line)
        if isinstance(got, str):
            warnings.append(f"{where}:{n}: {got}")
        elif got is not None:
            entries.append(got)
    return entries, warnings


@dataclass
class AbbreviationTable:
    """Abbreviations and their full forms; see the module docstring."""

    entries: list[Abbreviation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    _by_key: dict[str, list[Abbreviation]] = field(default_factory=dict, init=False, repr=False)
    _by_folded: dict[tuple[str, ...], list[Abbreviation]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        kept: list[Abbreviation] = []
        for e in self.entries:
            senses = self._by_key.setdefault(abbreviation_key(e.abbr), [])
            if any(s.norm == e.norm for s in senses):
                continue  # the same sense twice (shipped and archive): once
            senses.append(e)
            self._by_folded.setdefault(e.folded, []).append(e)
            kept.append(e)
        self.entries = kept

    def __len__(self) -> int:
        return len(self.entries)

    def expand(self, abbr: str) -> list[str]:
        """The full forms of an abbreviation, first sense first; [] if unknown."""
        return [e.full for e in self._by_key.get(abbreviation_key(abbr), ())]

    def abbreviate(self, syllables: list[str]) -> list[str]:
        """Abbreviations whose full form is exactly this run of syllables."""
        syls = [s for s in syllables if s]
        hits = self._by_folded.get(tuple(fold(s) for s in syls), ())
        out: list[str] = []
        for e in hits:
            typed_as = all(not has_diacritics(s) or norm_syllable(s) == n for s, n in zip(syls, e.norm))
            if typed_as and e.abbr not in out:
                out.append(e.abbr)
        return out

    def find(self, syllables: list[str]) -> list[tuple[int, int, str]]:
        """``(start, end, abbreviation)`` for every run ``syllables[start:end]``
        that is an abbreviation's full form, in order of start, longest first."""
        longest = max((len(k) for k in self._by_folded), default=0)
        out: list[tuple[int, int, str]] = []
        for i in range(len(syllables)):
            for j in range(min(len(syllables), i + longest), i + 1, -1):
                out.extend((i, j, a) for a in self.abbreviate(syllables[i:j]))
        return out


@lru_cache(maxsize=1)
def _shipped() -> tuple[tuple[Abbreviation, ...], tuple[str, ...]]:
    """The curated table, read once."""
    text = resources.files("searcher").joinpath("data", SHIPPED).read_text(encoding="utf-8")
    entries, warnings = parse_lines(text.splitlines(), f"searcher/data/{SHIPPED}")
    return tuple(entries), tuple(warnings)


def load_table(extra_path: Path | None = None) -> AbbreviationTable:
    """The shipped table, plus an archive's own file if given (its senses after
    the shipped ones).  Bad lines of either, and an unreadable file, become
    ``table.warnings``."""
    shipped, shipped_warnings = _shipped()
    entries: list[Abbreviation] = list(shipped)
    warnings: list[str] = list(shipped_warnings)
    if extra_path is not None:
        path = Path(extra_path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            warnings.append(f"{path}: no such file")
        except UnicodeDecodeError as e:
            warnings.append(f"{path}: not UTF-8 (byte {e.start})")
        except OSError as e:
            warnings.append(f"{path}: cannot read ({e.strerror})")
        else:
            more, bad = parse_lines(text.splitlines(), str(path))
            entries += more
            warnings += bad
    return AbbreviationTable(entries, warnings)
