"""Typed errors raised by the library.  The CLI maps each to an exit code."""

from __future__ import annotations


class BantinError(Exception):
    """Base class of every error bantin raises on purpose.

    The message is one line that says what went wrong and what to do.
    """


class QueryError(BantinError, ValueError):
    """The query cannot be searched (empty, only punctuation, too long)."""


class IndexMissingError(BantinError, FileNotFoundError):
    """There is no index at the given path."""


class IndexCorruptError(BantinError):
    """An index exists at the path but cannot be opened or read."""


class IndexLockedError(BantinError):
    """Another index job holds the write lock."""


class CorpusError(BantinError):
    """The corpus folder is missing or cannot be read."""


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
