"""The project's exceptions.

    NewsQAError
     ├── InputNotFoundError   a file or folder given to ingest does not exist; names each one
     ├── IndexNotFoundError   no index at the path given
     ├── IndexMismatchError   the index was built with another model, dimension or schema
     ├── IndexCorruptError    a file of the index is damaged or missing; names the file
     └── IndexUnavailableError  a Milvus index cannot be reached (a server down, a Lite database
                              another process holds)

An unanswerable question is not an error: ``Assistant.ask`` answers it with ``is_answer`` False.
"""

from __future__ import annotations

__all__ = [
    "IndexCorruptError", "IndexMismatchError", "IndexNotFoundError", "IndexUnavailableError", "InputNotFoundError",
    "NewsQAError",
]


class NewsQAError(Exception):
    """Base of every error this project raises on purpose."""


class InputNotFoundError(NewsQAError):
    """A file or folder given to read articles from does not exist. The message names every missing one."""


class IndexNotFoundError(NewsQAError):
    """There is no index at the path given."""


class IndexMismatchError(NewsQAError):
    """The index on disk does not fit what is asked of it (model, dimension, schema version)."""


class IndexCorruptError(NewsQAError):
    """A file of the index is unreadable or inconsistent. The message names the file and what to do."""


class IndexUnavailableError(NewsQAError):
    """A Milvus index cannot be reached: its server is down, or another process holds its Milvus
    Lite database. The message says which and what to do."""
