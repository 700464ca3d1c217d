"""Which library store a ``--library`` value (or ``$EVOSKILL_LIBRARY``) names.

``postgresql://...`` and ``postgres://...`` URLs open a :class:`evoskill.pglibrary.PostgresLibrary` (the
optional extra ``evoskill[postgres]``); anything else is a folder: a :class:`evoskill.library.Library`,
the default.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from evoskill.errors import MissingBackend
from evoskill.library import Library
from evoskill.store import LibraryStore

__all__ = ["is_url", "open_store", "redact"]

URL_SCHEMES = ("postgresql://", "postgres://")


def is_url(spec: str | None) -> bool:
    """Whether ``spec`` names a PostgreSQL library rather than a folder."""
    return bool(spec) and str(spec).startswith(URL_SCHEMES)


def redact(spec: str) -> str:
    """``spec`` without the password of a URL (for messages)."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", spec)


def open_store(spec: str | None, *, create: bool = True) -> LibraryStore:
    """The library ``spec`` names (default: ``$EVOSKILL_LIBRARY``, else the default folder)."""
    spec = spec or os.environ.get("EVOSKILL_LIBRARY") or None
    if spec is not None and is_url(spec):
        try:
            from evoskill.pglibrary import PostgresLibrary
        except ImportError as exc:
            if not (exc.name or "").startswith("psycopg"):
                raise
            raise MissingBackend("a PostgreSQL library needs psycopg, which is not installed",
                                 extra="postgres") from exc
        return PostgresLibrary(spec)
    root = Path(spec).expanduser() if spec else Library.default_root()
    return Library(root, create=create)
