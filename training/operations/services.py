"""Operations shared by the health checks and the command line."""
import logging
import sqlite3
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import text

from training.extensions import db

log = logging.getLogger(__name__)


def readiness():
    """Whether each service the app needs answers: ``{"database": "ok", "redis": "ok" | "not used"}``.

    A service that does not answer is ``"unreachable"``; the reason goes to the log, never to
    the (public) answer.
    """
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:
        log.exception("readiness: the database did not answer")
        checks["database"] = "unreachable"
    finally:
        db.session.remove()
    url = current_app.config.get("REDIS_URL")
    if not url:
        checks["redis"] = "not used"
        return checks
    from redis import Redis

    try:
        client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
        checks["redis"] = "ok"
    except Exception:
        log.exception("readiness: Redis did not answer")
        checks["redis"] = "unreachable"
    return checks


class BackupError(Exception):
    """A backup or restore that cannot be done, with the reason in plain words."""


def sqlite_path():
    """The file of the SQLite database the app uses, or BackupError on any other database."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        raise BackupError(
            _("backup and restore work on the embedded SQLite database; this app uses %(backend)s. "
              "Back PostgreSQL up with pg_dump and restore it with pg_restore (see the README).",
              backend=url.get_backend_name()))
    return Path(url.database)


def backup_sqlite(destination):
    """Copy the live SQLite database to ``destination`` with SQLite's online backup API.

    The copy is consistent even while the app is writing. It is written beside the target
    and renamed into place, so a failed backup never leaves a half-written file under the
    name given. An existing file is never overwritten.
    """
    source_path = sqlite_path()
    destination = Path(destination)
    if destination.exists():
        raise BackupError(_("%(file)s already exists; choose a new file name.", file=destination))
    partial = destination.with_name(destination.name + ".partial")
    source = sqlite3.connect(source_path)
    target = sqlite3.connect(partial)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        target.close()
        source.close()
    partial.replace(destination)
    return destination


def backup_revision(path):
    """The migration revision a backup file was made at; BackupError when it is not a backup."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(_("%(file)s is not a file.", file=path))
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if connection.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(_("%(file)s is damaged (SQLite's integrity check failed).", file=path))
            return connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(_("%(file)s is not a backup of this platform (%(error)s).", file=path, error=error)) from None


def restore_sqlite(source):
    """Replace the live SQLite database's content with the backup ``source``, whole.

    Uses the online backup API in the other direction, so the database file stays in place
    and every connection sees either the old content or the restored one. Returns the
    backup's migration revision.
    """
    revision = backup_revision(source)
    target_path = sqlite_path()
    db.session.remove()
    db.engine.dispose()
    backup = sqlite3.connect(f"file:{Path(source)}?mode=ro", uri=True)
    target = sqlite3.connect(target_path)
    try:
        backup.backup(target)
    finally:
        target.close()
        backup.close()
    db.engine.dispose()
    return revision
