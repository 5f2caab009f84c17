"""Command-line administration: ``flask --app app <group> <command>``."""
import click
from flask import current_app
from flask.cli import AppGroup

from training.auth.models import ROLES, User, user_by_email
from training.extensions import db

courses_cli = AppGroup("courses", help="Load course content from the courses/ folder.")
users_cli = AppGroup("users", help="Create, invite and deactivate people.")
demo_cli = AppGroup("demo", help="Demonstration data (never in production).")


@courses_cli.command("sync")
@click.option("--path", type=click.Path(file_okay=False), default=None,
              help="Folder of courses (default: COURSES_DIR, the repository's courses/).")
def courses_sync(path):
    """Load or update every course; malformed files change nothing."""
    from training.courses.loader import ContentErrors
    from training.courses.services import sync_courses

    try:
        report = sync_courses(path or current_app.config["COURSES_DIR"])
    except ContentErrors as errors:
        db.session.rollback()
        for error in errors.errors:
            click.echo(f"error: {error}", err=True)
        raise click.ClickException(f"{len(errors.errors)} problem(s) found; nothing was changed.")
    click.echo(f"Courses synced: {report.summary()}.")


role_option = click.option("--role", "roles", multiple=True, type=click.Choice(sorted(ROLES)),
                           default=["trainee"], show_default=True, help="Repeat for several roles.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True, help="Full name.")
@role_option
@click.password_option(help="Prompted for when not given.")
def users_create(email, name, roles, password):
    """Create an account with a password (for the first administrator)."""
    from datetime import date

    from training import audit
    from training.auth.services import AccountError, set_password

    if user_by_email(email):
        raise click.ClickException(f"{email} already has an account.")
    user = User(email=email.strip().lower(), full_name=name.strip())
    user.set_roles(roles)
    if "trainee" in roles:
        user.programme_started_on = date.today()
    try:
        set_password(user, password)
    except AccountError as error:
        raise click.ClickException(error.message)
    db.session.add(user)
    audit.record("user.created", subject=user, roles=sorted(roles))
    db.session.commit()
    click.echo(f"Created {user.email} ({', '.join(ROLES[r] for r in sorted(roles))}).")


@users_cli.command("invite")
@click.option("--email", required=True)
@click.option("--name", required=True, help="Full name.")
@role_option
def users_invite(email, name, roles):
    """E-mail someone a one-time invitation link (printed too)."""
    from training.auth.services import AccountError, invite

    try:
        user = invite(None, email, name, set(roles))
    except AccountError as error:
        raise click.ClickException(error.message)
    click.echo(f"Invited {user.email}. The link is in the e-mail (or the log, without MAIL_SERVER).")


@users_cli.command("deactivate")
@click.option("--email", required=True)
@click.option("--reason", default="", help="Kept in the audit log.")
def users_deactivate(email, reason):
    """Stop someone signing in; their history is kept."""
    from training import audit
    from training.db_types import utcnow

    user = user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account for {email}.")
    if user.active:
        user.active = False
        user.deactivated_at = utcnow()
        user.rotate_session_token()
        audit.record("user.deactivated", subject=user, reason=reason)
        db.session.commit()
    click.echo(f"{user.email} is deactivated.")


@users_cli.command("list")
def users_list():
    """List everyone with their roles and status."""
    for user in db.session.scalars(db.select(User).order_by(User.email)):
        status = "active" if user.active and user.password_hash else ("invited" if user.active else "deactivated")
        click.echo(f"{user.email:40} {','.join(sorted(user.role_names)):28} {status}")


@demo_cli.command("load")
def demo_load():
    """Create the demo accounts and activity (refused in production)."""
    from training.demo import DemoRefused, load_demo

    try:
        summary = load_demo()
    except DemoRefused as error:
        raise click.ClickException(str(error))
    click.echo(summary)


def register(app):
    app.cli.add_command(courses_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
