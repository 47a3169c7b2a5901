"""Storage: the database engines, migrations, and one repository per aggregate.

SQL lives only in this package. Services receive repositories; nothing outside storage sees a
driver's connection or error type (``Conflict`` stands for a broken constraint).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from bot.config import DatabaseSettings

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


def open_database(settings: DatabaseSettings, *, application_name: str = "sinau") -> Database:
    """The database the settings name (not opened yet): an SQLite file or PostgreSQL."""
    if settings.engine == "postgresql":
        from bot.storage.postgres import PostgresDatabase

        return PostgresDatabase(settings.postgres_url, max_size=settings.pool_size,
                                application_name=application_name)
    return SqliteDatabase(settings.sqlite_path)
