"""Command line: ``sinau run | sandbox | content check PATH | content schema | backup PATH``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import logging
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from bot.config import ConfigError, Settings, load_settings

logger = logging.getLogger("sinau")

EXIT_CONFIG = 2
NO_TOKEN_HINT = (
    "No bot token configured: set SINAU_TELEGRAM__TOKEN (a token from @BotFather) "
    "or telegram.token in config.toml, then run again."
)
SANDBOX_NOTICE = (
    "Tidak ada token bot: memulai sandbox lokal. Untuk Telegram sungguhan, set "
    "SINAU_TELEGRAM__TOKEN. / No bot token: starting the local sandbox; set "
    "SINAU_TELEGRAM__TOKEN to run against real Telegram."
)


class InstanceLocked(Exception):
    """Another Sinau process already runs on this database."""


@contextmanager
def instance_lock(db_path: Path) -> Iterator[None]:
    """Hold an exclusive lock beside the database for as long as the bot runs."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = db_path.with_name(db_path.name + ".lock")
    handle: IO[str] = lock_path.open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InstanceLocked(
                f"another Sinau is already running on {db_path} (lock {lock_path})"
            ) from None
        yield
    finally:
        handle.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sinau", description=__doc__)
    parser.add_argument("--config", help="path to config.toml (default: ./config.toml)")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (the default; the sandbox when no token is set)")
    sandbox = sub.add_parser("sandbox", help="chat with the bot in the terminal, no Telegram")
    sandbox.add_argument("--content", type=Path, help="a course pack (file or folder) to preview")
    sandbox.add_argument("--db", type=Path, help="keep the database here (default: temporary)")
    sandbox.add_argument("--script", type=Path, help="read the lines from FILE, then exit")
    sub.add_parser("migrate", help="apply database migrations and exit")
    backup = sub.add_parser("backup", help="take an online backup of the database")
    backup.add_argument("path", type=Path)
    db = sub.add_parser("db", help="database tools")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    copy = db_sub.add_parser("copy", help="copy an SQLite database into an empty PostgreSQL one")
    copy.add_argument("source", help="the SQLite file (a path or sqlite:///path)")
    copy.add_argument("target", help="postgresql://user@host/db")
    content = sub.add_parser("content", help="course packs")
    content_sub = content.add_subparsers(dest="content_command", required=True)
    check = content_sub.add_parser("check", help="check course packs; file:line: message")
    check.add_argument("path", type=Path)
    content_sub.add_parser("schema", help="print the JSON Schema of a course pack")
    return parser


def _stop_while_starting(_signum: int, _frame: object) -> None:
    """SIGTERM before the bot's own handlers are in place (while importing and building):
    nothing is open yet but the lock file, so stop as cleanly as a running bot does."""
    raise SystemExit(0)


def _run(settings: Settings) -> int:
    # Starting takes a few seconds on a busy machine; a SIGTERM meanwhile must be a clean
    # stop, not a kill. The event loop's handlers (PTB's, or serve_webhook's) replace this.
    signal.signal(signal.SIGTERM, _stop_while_starting)
    from telegram import Update
    from telegram.error import InvalidToken, NetworkError

    from bot.app import build_application
    from bot.logs import setup_logging
    from bot.storage import StorageError

    if settings.telegram.token is None:
        print(SANDBOX_NOTICE, file=sys.stderr)
        return _sandbox(settings, argparse.Namespace(content=None, db=None, script=None))
    token = settings.telegram.token.get_secret_value()
    secret = settings.telegram.webhook_secret
    setup_logging(secrets=[token] + ([secret.get_secret_value()] if secret else [])
                  + _url_secrets(settings))
    if settings.telegram.mode == "webhook" and not settings.telegram.webhook_url:
        raise ConfigError(
            "config error: telegram.webhook_url (SINAU_TELEGRAM__WEBHOOK_URL) "
            "is required in webhook mode"
        )
    # One process per SQLite file (a lock file beside it); PostgreSQL keeps its own guards
    # (a second long-polling instance is refused, webhook workers share the database).
    with (instance_lock(settings.database.sqlite_path)
          if settings.database.engine == "sqlite" else contextlib.nullcontext()):
        app = build_application(settings)
        try:
            if settings.telegram.mode == "webhook":
                from bot.serve import serve_webhook

                asyncio.run(serve_webhook(app, settings))
            else:
                app.run_polling(
                    allowed_updates=Update.ALL_TYPES,
                    timeout=settings.telegram.poll_timeout,
                    # A daemon outlives a network blip at start; a refused token still stops it.
                    bootstrap_retries=-1,
                )
        except InvalidToken:
            print("The Bot API server refused the token (SINAU_TELEGRAM__TOKEN).",
                  file=sys.stderr)
            return EXIT_CONFIG
        except NetworkError as exc:
            print(f"Cannot reach the Bot API server at {settings.telegram.api_url}: "
                  f"{type(exc).__name__}", file=sys.stderr)
            return 1
        except StorageError as exc:
            print(f"Cannot use the database: {exc}", file=sys.stderr)
            return 1
        services = app.bot_data.services
        worker = services.worker if services is not None else None
        if worker is not None and worker.lost:
            return 1  # stopped because its database session broke: a supervisor restarts it
    return 0


def _url_secrets(settings: Settings) -> list[str]:
    """The password of a PostgreSQL URL, for the log redactor."""
    url = settings.database.url
    if url is None:
        return []
    from urllib.parse import urlsplit

    password = urlsplit(url.get_secret_value()).password
    return [password] if password else []


def _sandbox(settings: Settings, args: argparse.Namespace) -> int:
    """The terminal chat on the embedded emulator (``sinau sandbox``)."""
    from bot.logs import setup_logging
    from bot.sandbox.session import SANDBOX_TOKEN, SandboxOptions, run_sandbox

    setup_logging(logging.WARNING, secrets=[SANDBOX_TOKEN])
    options = SandboxOptions(content=args.content, db=args.db, script=args.script)
    if args.db is None:
        return asyncio.run(run_sandbox(settings, options))
    with instance_lock(args.db):
        return asyncio.run(run_sandbox(settings, options))


async def _migrate(settings: Settings) -> int:
    from bot.logs import setup_logging
    from bot.storage import open_database

    setup_logging()  # each migration is logged as it starts ("applying migration 003_...")
    async with open_database(settings.database) as db:
        version = await db.migrate()
        where = db.describe()
    print(f"{where}: schema version {version}")
    return 0


async def _backup(settings: Settings, target: Path) -> int:
    from bot.storage import SqliteDatabase

    if settings.database.engine == "postgresql":
        print("sinau backup copies an SQLite file; back a PostgreSQL database up with "
              "pg_dump (see docs/operations.md)", file=sys.stderr)
        return 1
    async with SqliteDatabase(settings.database.sqlite_path) as db:
        await db.backup_to(target)
    async with SqliteDatabase(target) as copy:
        verdict = await copy.integrity_check()
        version = await copy.schema_version()
    if verdict != "ok":
        print(f"backup {target} failed integrity_check: {verdict}", file=sys.stderr)
        return 1
    print(f"backup written to {target} (schema version {version}, integrity ok)")
    return 0


async def _copy(source: str, target: str) -> int:
    from bot.config import DatabaseSettings
    from bot.logs import setup_logging
    from bot.storage import SqliteDatabase, StorageError
    from bot.storage.copy import copy_database
    from bot.storage.postgres import PostgresDatabase

    setup_logging()
    try:
        src = DatabaseSettings.model_validate(
            {"url": source} if "://" in source else {"path": source})
        dst = DatabaseSettings.model_validate({"url": target})
    except ValueError as exc:
        print(f"not a database URL: {exc}", file=sys.stderr)
        return 2
    if src.engine != "sqlite" or dst.engine != "postgresql":
        print("sinau db copy copies an SQLite database (a file) into PostgreSQL "
              "(postgresql://…)", file=sys.stderr)
        return 2
    if not src.sqlite_path.is_file():
        print(f"no SQLite database at {src.sqlite_path}", file=sys.stderr)
        return 1
    try:
        async with SqliteDatabase(src.sqlite_path) as from_db, PostgresDatabase(
                dst.postgres_url) as to_db:
            counts = await copy_database(
                from_db, to_db, lambda table, n: print(f"  {table}: {n} row(s)", flush=True))
            where = to_db.describe()
    except StorageError as exc:
        print(f"copy failed, the target is unchanged: {exc}", file=sys.stderr)
        return 1
    total = sum(c.target for c in counts)
    print(f"copied {total} row(s) in {len(counts)} table(s) into {where}; "
          "row counts match on both sides")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sinau`` console script and ``python -m bot``."""
    args = _parser().parse_args(argv)
    command = args.command or "run"
    if command == "content":
        from bot.content.check import run_check, run_schema

        return run_check(args.path) if args.content_command == "check" else run_schema()
    if command == "db":
        return asyncio.run(_copy(args.source, args.target))
    from bot.wiring import AlreadyRunning

    try:
        settings = load_settings(args.config or os.environ.get("SINAU_CONFIG"))
        if command == "migrate":
            return asyncio.run(_migrate(settings))
        if command == "backup":
            if args.path.exists():
                print(f"backup target {args.path} already exists", file=sys.stderr)
                return 1
            args.path.parent.mkdir(parents=True, exist_ok=True)
            return asyncio.run(_backup(settings, args.path))
        if command == "sandbox":
            return _sandbox(settings, args)
        return _run(settings)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    except (InstanceLocked, AlreadyRunning) as exc:
        print(f"Refusing to start: {exc}.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
