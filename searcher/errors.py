"""Typed errors raised by the library.  The CLI maps each to an exit code.

:data:`DAMAGE` lists what reading a damaged index file raises (and nothing
else): only those become :class:`IndexCorruptError`.  Any other exception is a
bug and propagates as itself.
"""

from __future__ import annotations

import pickle
import sqlite3
import struct
import zlib


class BantinError(Exception):
    """Base class of every error bantin raises on purpose.

    The message is one line that says what went wrong and what to do.
    """


class QueryError(BantinError, ValueError):
    """The query or a search parameter cannot be used (empty query, only
    punctuation, too long, a bad filter value, a limit that is not a whole number)."""


class IndexMissingError(BantinError, FileNotFoundError):
    """There is no index at the given path."""


class IndexCorruptError(BantinError):
    """An index exists at the path but cannot be opened or read."""


class IndexWriteError(BantinError, OSError):
    """The index folder cannot be written: permissions, a full disk, a read-only
    file system, or a path that is not a folder.  The live index is untouched."""


class SearcherClosedError(BantinError, RuntimeError):
    """A :class:`~searcher.Searcher` was used after :meth:`~searcher.Searcher.close`."""


class IndexLockedError(BantinError):
    """Another index job holds the write lock."""


class CorpusError(BantinError):
    """The corpus folder is missing or cannot be read, or holds no bulletin while the index holds some."""


class DocumentNotFound(BantinError, KeyError):
    """No bulletin with that id is in the index."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else "document not found"


class BadDocument(BantinError):
    """One corpus file or record cannot be indexed (empty, binary, not UTF-8, bad JSON).

    The index job skips it with a warning; it never aborts the job.
    """

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class DamagedFileError(Exception):
    """A file of bantin's own format in an index (not whoosh's, not SQLite) is not
    what it should be: cut short, or with parts that disagree.  Listed in
    :data:`DAMAGE`, so it becomes :class:`IndexCorruptError`."""


def _whoosh_damage() -> tuple[type[BaseException], ...]:
    from whoosh.index import IndexError as WhooshIndexError

    return (WhooshIndexError,)


# What damaged index files raise when whoosh, SQLite, zlib or pickle read them.
# OSError covers a file that vanished or cannot be read.  A plain ValueError or
# TypeError is NOT here: those are bugs and must be reported as bugs.
DAMAGE: tuple[type[BaseException], ...] = (
    struct.error,
    zlib.error,
    EOFError,
    pickle.UnpicklingError,
    sqlite3.DatabaseError,
    UnicodeDecodeError,
    OSError,
    DamagedFileError,
)


def damage_errors() -> tuple[type[BaseException], ...]:
    """:data:`DAMAGE` plus whoosh's own index errors (imported on first use)."""
    return DAMAGE + _whoosh_damage()
