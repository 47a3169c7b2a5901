"""Storage: the database engines, migrations, and one repository per aggregate.

SQL lives only in this package. Services receive repositories; nothing outside storage sees a
driver's connection or error type (``Conflict`` stands for a broken constraint).
"""

from bot.storage.db import (
    Conflict,
    Database,
    Meter,
    Migration,
    MigrationError,
    Pending,
    Row,
    StorageError,
    from_epoch,
    metered,
    to_epoch,
)
from bot.storage.sqlite import SqliteDatabase

__all__ = [
    "Conflict",
    "Database",
    "Meter",
    "Migration",
    "MigrationError",
    "Pending",
    "Row",
    "SqliteDatabase",
    "StorageError",
    "from_epoch",
    "metered",
    "open_database",
    "to_epoch",
]


def open_database(path: object) -> Database:
    """The database for ``path`` (not opened yet): an SQLite file."""
    from pathlib import Path

    return SqliteDatabase(Path(str(path)))
