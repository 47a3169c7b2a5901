"""SQLite storage: the connection, migrations, and one repository per aggregate.

SQL lives only in this package.
"""

from bot.storage.db import Database, Migration, MigrationError, from_epoch, to_epoch

__all__ = ["Database", "Migration", "MigrationError", "from_epoch", "to_epoch"]
