"""``flask --app app backup FILE`` and ``flask --app app restore FILE`` for the embedded SQLite database."""
import click
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from training.cli_language import Command, option
from training.operations.services import BackupError, backup_sqlite, restore_sqlite


@click.command("backup", cls=Command,
               help=_l("Copy the SQLite database to FILE while the site keeps running (SQLite's online backup)."))
@click.argument("file", type=click.Path(dir_okay=False))
def backup(file):
    try:
        written = backup_sqlite(file)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(_("Backed up to %(file)s.", file=written))


@click.command("restore", cls=Command,
               help=_l("Replace everything in the SQLite database with the backup FILE (stop the app servers "
                       "first)."))
@click.argument("file", type=click.Path(dir_okay=False))
@option("--yes", is_flag=True, help=_l("Do not ask for confirmation."))
def restore(file, yes):
    from alembic.script import ScriptDirectory
    from flask import current_app

    from training.operations.services import backup_revision

    try:
        revision = backup_revision(file)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    known = {r.revision for r in script.walk_revisions()}
    if revision not in known:
        raise click.ClickException(_("%(file)s was made by a newer version of the platform (schema revision "
                                     "%(revision)s); upgrade the platform before restoring it.",
                                     file=file, revision=revision))
    if not yes:
        click.confirm(_("Replace everything in the database with %(file)s?", file=file), abort=True)
    try:
        restore_sqlite(file)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(_("Restored %(file)s (schema revision %(revision)s).", file=file, revision=revision))
    if revision != script.get_current_head():
        click.echo(_("The backup is from an earlier version: run `flask --app app db upgrade` next."))
