"""Command-line administration: ``flask --app app <group> <command>``."""
import click
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from training.auth.models import ROLES, User, user_by_email
from training.cli_language import Group, option, password_option
from training.extensions import db

courses_cli = Group("courses", help=_l("Load course content from the courses/ folder."))
users_cli = Group("users", help=_l("Create, invite and deactivate people."))
demo_cli = Group("demo", help=_l("Demonstration data (never in production)."))
credentials_cli = Group("credentials", help=_l("Load credential definitions from certificates/credentials/."))
reminders_cli = Group("reminders", help=_l("E-mail reminders (run from a scheduler)."))
certificates_cli = Group("certificates", help=_l("Issue certificates and fetch their PDFs."))
trainings_cli = Group("trainings", help=_l("Load live trainings from the trainings/ folder."))
questions_cli = Group("questions", help=_l("Import and export question banks (Moodle GIFT and Aiken)."))
notifications_cli = Group("notifications", help=_l("Notification e-mails (run from a scheduler)."))


@courses_cli.command("sync", help=_l("Load or update every course; malformed files change nothing."))
@option("--path", type=click.Path(file_okay=False), default=None,
        help=_l("Folder of courses (default: COURSES_DIR, the repository's courses/)."))
def courses_sync(path):
    from training.courses.loader import ContentErrors
    from training.courses.services import sync_courses

    try:
        report = sync_courses(path or current_app.config["COURSES_DIR"])
    except ContentErrors as errors:
        db.session.rollback()
        for error in errors.errors:
            click.echo(_("error: %(error)s", error=error), err=True)
        raise click.ClickException(_nothing_changed(len(errors.errors))) from None
    click.echo(_("Courses synced: %(summary)s.", summary=report.summary()))


def _nothing_changed(count):
    return ngettext("%(num)d problem found; nothing was changed.", "%(num)d problems found; nothing was changed.", count)


role_option = option("--role", "roles", multiple=True, type=click.Choice(sorted(ROLES)),
                     default=["trainee"], show_default=True, help=_l("Repeat for several roles."))


@users_cli.command("create", help=_l("Create an account with a password (for the first administrator)."))
@option("--email", required=True)
@option("--name", required=True, help=_l("Full name."))
@role_option
@password_option(help=_l("Prompted for when not given."))
def users_create(email, name, roles, password):
    from datetime import date

    from training import audit
    from training.auth.services import AccountError, set_password

    if user_by_email(email):
        raise click.ClickException(_("%(email)s already has an account.", email=email)) from None
    user = User(email=email.strip().lower(), full_name=name.strip())
    user.set_roles(roles)
    if "trainee" in roles:
        user.programme_started_on = date.today()
    try:
        set_password(user, password)
    except AccountError as error:
        raise click.ClickException(error.message) from None
    db.session.add(user)
    audit.record("user.created", subject=user, roles=sorted(roles))
    db.session.commit()
    click.echo(_("Created %(email)s (%(roles)s).", email=user.email, roles=", ".join(str(ROLES[r]) for r in sorted(roles))))


@users_cli.command("invite", help=_l("E-mail someone a one-time invitation link (printed too)."))
@option("--email", required=True)
@option("--name", required=True, help=_l("Full name."))
@role_option
def users_invite(email, name, roles):
    from training.auth.services import AccountError, invite

    try:
        user = invite(None, email, name, set(roles))
    except AccountError as error:
        raise click.ClickException(error.message) from None
    click.echo(_("Invited %(email)s. The link is in the e-mail (or the log, without MAIL_SERVER).", email=user.email))


@users_cli.command("import", help=_l("Invite everyone a CSV file lists (e-mail, name, roles, supervisor), as the "
                                     "people page does; a file with any problem invites nobody."))
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@option("--cohort", "cohort_id", type=int, default=None, help=_l("Also enrol the file's trainees in this cohort (its id)."))
@option("--dry-run", is_flag=True, help=_l("Check the file and say what would happen, changing nothing."))
def users_import(path, cohort_id, dry_run):
    from datetime import date
    from pathlib import Path

    from training.admin.roster import invite_roster, plan_places, read_roster
    from training.auth.services import mail_invitation
    from training.cohorts.models import Cohort
    from training.spreadsheet import spreadsheet_text

    cohort = db.session.get(Cohort, cohort_id) if cohort_id is not None else None
    if cohort_id is not None and (cohort is None or cohort.ends_on < date.today()):
        raise click.ClickException(_("No cohort %(id)s still running.", id=cohort_id))
    roster = read_roster(spreadsheet_text(Path(path).read_bytes()))
    plan_places(roster, cohort)
    for problem in roster.problems:
        click.echo(_("error: %(error)s", error=problem), err=True)
    for row in roster.with_problems:
        click.echo(_("error: row %(line)d: %(problems)s", line=row.line, problems=" ".join(row.problems)), err=True)
    if not roster.valid:
        raise click.ClickException(_("The file has problems: nobody was invited."))
    click.echo(ngettext("%(num)d person will be invited.", "%(num)d people will be invited.", len(roster.to_invite)))
    if roster.existing:
        click.echo(ngettext("%(num)d already has an account and is left as they are.",
                            "%(num)d already have an account and are left as they are.", len(roster.existing)))
    if cohort is not None:
        click.echo(_("%(cohort)s: %(placed)s given a place, %(waiting)s on the waiting list.", cohort=cohort.title,
                     placed=roster.placed, waiting=roster.waiting))
    if dry_run:
        click.echo(_("Nothing was changed (--dry-run)."))
        return
    for user in invite_roster(None, roster, date.today(), Path(path).name):
        mail_invitation(None, user)
        click.echo(_("Invited %(email)s.", email=user.email))


@users_cli.command("deactivate", help=_l("Stop someone signing in; their history is kept."))
@option("--email", required=True)
@option("--reason", default="", help=_l("Kept in the audit log."))
def users_deactivate(email, reason):
    from training import audit
    from training.db_types import utcnow

    user = user_by_email(email)
    if user is None:
        raise click.ClickException(_("No account for %(email)s.", email=email)) from None
    if user.active:
        user.active = False
        user.deactivated_at = utcnow()
        user.rotate_session_token()
        audit.record("user.deactivated", subject=user, reason=reason)
        db.session.commit()
    click.echo(_("%(email)s is deactivated.", email=user.email))


@users_cli.command("list", help=_l("List everyone with their roles and status."))
def users_list():
    for user in db.session.scalars(db.select(User).order_by(User.email)):
        status = _("active") if user.active and user.password_hash else (_("invited") if user.active else _("deactivated"))
        click.echo(f"{user.email:40} {','.join(sorted(user.role_names)):28} {status}")


@demo_cli.command("load", help=_l("Create the demo accounts and activity (refused in production)."))
def demo_load():
    from training.demo import DemoRefused, load_demo

    try:
        summary = load_demo()
    except DemoRefused as error:
        raise click.ClickException(str(error)) from None
    click.echo(summary)


@questions_cli.command("import",
                       help=_l("Import a question file into a course's bank; a file with any error imports "
                               "nothing."))
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@option("--course", "slug", help=_l("Slug of the course whose bank receives the questions."))
@option("--category", default="", help=_l("Category for questions before any $CATEGORY line."))
@option("--format", "fmt", type=click.Choice(["gift", "aiken"]), default=None,
        help=_l("File format (default: aiken for *.aiken.txt, otherwise gift)."))
@option("--dry-run", is_flag=True, help=_l("Check and show the questions; change nothing."))
@option("--json", "as_json", is_flag=True, help=_l("With --dry-run, print the questions as JSON."))
def questions_import(path, slug, category, fmt, dry_run, as_json):
    import json
    from pathlib import Path

    from training.courses.models import Course
    from training.quizzes.formats import parse_aiken, parse_gift
    from training.quizzes.services import import_questions

    if not slug and not dry_run:
        raise click.UsageError(_("--course is needed unless --dry-run is given."))
    fmt = fmt or ("aiken" if path.endswith(".aiken.txt") else "gift")
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(_("%(path)s is not UTF-8 text.", path=path)) from None
    result = (parse_aiken if fmt == "aiken" else parse_gift)(text, category=category)
    for error in result.errors:
        click.echo(_("%(path)s:%(line)s: error: %(message)s", path=path, line=error.line, message=error.message), err=True)
    for warning in result.warnings:
        click.echo(_("%(path)s:%(line)s: warning: %(message)s", path=path, line=warning.line, message=warning.message),
                   err=True)
    for question in result.skipped:
        click.echo(_("%(path)s:%(line)s: skipped: %(type)s questions are not delivered", path=path, line=question.line,
                     type=question.type), err=True)
    if result.errors:
        raise click.ClickException(ngettext("%(num)d error; nothing was imported.", "%(num)d errors; nothing was imported.",
                                            len(result.errors))) from None
    if not result.delivered:
        raise click.ClickException(_("%(path)s holds no questions to import; nothing was imported.", path=path))
    if dry_run:
        if as_json:
            click.echo(json.dumps([q.as_json() for q in result.questions], indent=2, ensure_ascii=False))
        else:
            click.echo(ngettext("%(num)d question would be imported, %(skipped)d skipped.",
                                "%(num)d questions would be imported, %(skipped)d skipped.",
                                len(result.delivered), skipped=len(result.skipped)))
        return
    course = db.session.scalar(db.select(Course).where(Course.slug == slug))
    if course is None:
        raise click.ClickException(_("No course with the slug '%(slug)s'.", slug=slug)) from None
    report = import_questions(course, result, Path(path).name)
    db.session.commit()
    click.echo(_("Imported into %(course)s: %(summary)s.", course=course.slug, summary=report.summary()))


@questions_cli.command("export", help=_l("Write a course's active questions as GIFT."))
@option("--course", "slug", required=True, help=_l("Slug of the course."))
@option("--output", type=click.Path(dir_okay=False), default="-", help=_l("File to write (default: stdout)."))
def questions_export(slug, output):
    from training.courses.models import Course
    from training.quizzes.services import export_course

    course = db.session.scalar(db.select(Course).where(Course.slug == slug))
    if course is None:
        raise click.ClickException(_("No course with the slug '%(slug)s'.", slug=slug)) from None
    with click.open_file(output, "w", encoding="utf-8") as handle:
        handle.write(export_course(course))


@credentials_cli.command("sync", help=_l("Load or update every credential; a malformed file changes nothing."))
@option("--path", type=click.Path(file_okay=False), default=None,
        help=_l("Folder of credential files (default: CREDENTIALS_DIR)."))
def credentials_sync(path):
    from training.courses.loader import ContentErrors
    from training.credentials.loader import sync_credentials

    try:
        created, updated = sync_credentials(path or current_app.config["CREDENTIALS_DIR"])
    except ContentErrors as errors:
        db.session.rollback()
        for error in errors.errors:
            click.echo(_("error: %(error)s", error=error), err=True)
        raise click.ClickException(_nothing_changed(len(errors.errors))) from None
    click.echo(_("Credentials synced: %(created)d created, %(updated)d updated.", created=created, updated=updated))


@credentials_cli.command("check",
                         help=_l("Validate credential files and print their rules as JSON; every problem is "
                                 "listed with its line."))
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def credentials_check(files):
    import json

    from training.credentials.loader import check_files

    definitions, errors = check_files(files, use_database=False)
    for error in errors:
        click.echo(_("error: %(error)s", error=error), err=True)
    if errors:
        raise click.ClickException(ngettext("%(num)d problem found.", "%(num)d problems found.", len(errors)))
    parsed = [definition.model_dump(mode="json") for definition, _path in definitions]
    click.echo(json.dumps(parsed[0] if len(parsed) == 1 else parsed, indent=2, ensure_ascii=False))


@credentials_cli.command("refresh",
                         help=_l("Re-evaluate every trainee's enrolments and burnout level (daily, and after "
                                 "loading hours in bulk)."))
def credentials_refresh():
    from sqlalchemy import select

    from training.auth.models import UserRole
    from training.credentials.evaluation import refresh_all
    from training.supervision.assessments import bring_up_to_date

    count = refresh_all()
    click.echo(ngettext("Evaluated the enrolments of %(num)d trainee.", "Evaluated the enrolments of %(num)d trainees.",
                        count))
    # Levels also change with time alone; worked out here, the day's first lists need not wait for them.
    count = bring_up_to_date(select(UserRole.user_id).where(UserRole.role == "trainee"))
    click.echo(ngettext("Worked out the burnout level of %(num)d trainee.",
                        "Worked out the burnout level of %(num)d trainees.", count))


@reminders_cli.command("send", help=_l("Send due reminders; each goes out at most once per period however often this runs."))
@option("--background", is_flag=True, help=_l("Hand the work to the job workers and print the job's number."))
def reminders_send(background):
    from training.cohorts.reminders import send_session_reminders
    from training.reminders import send_reminders

    if background:
        from training.jobs.kinds import start_reminders

        job = start_reminders()
        click.echo(_("Job #%(id)d started: follow it with `flask --app app jobs show %(id)d --watch`.", id=job.id))
        return
    sent = send_reminders()
    sessions = send_session_reminders()
    click.echo(_("Reminders sent: %(digests)s, %(overdue)s, %(expiry)s, %(sessions)s.",
                 digests=ngettext("%(num)d supervisor digest", "%(num)d supervisor digests",
                                  sent["supervisor_digest"]),
                 overdue=ngettext("%(num)d overdue-supervision reminder", "%(num)d overdue-supervision reminders",
                                  sent["supervision_overdue"]),
                 expiry=ngettext("%(num)d certificate expiry reminder", "%(num)d certificate expiry reminders",
                                 sent["certificate_expiry"]),
                 sessions=ngettext("%(num)d session reminder", "%(num)d session reminders", sessions)))


@notifications_cli.command("digest",
                           help=_l("E-mail each person a digest of the notifications not yet e-mailed; at "
                                   "most one a day.\n\n"
                                   "Run it once a day from cron, e.g. ``0 7 * * * flask --app app "
                                   "notifications digest``. Running it again the same day sends nothing "
                                   "twice."))
def notifications_digest():
    from training.notifications.services import send_digests

    click.echo(_("Daily digests sent: %(num)d.", num=send_digests()))


@certificates_cli.command("issue", help=_l("Issue certificates; prints each certificate number and verification code."))
@option("--credential", "slug", required=True, help=_l("Slug of the credential."))
@option("--email", help=_l("Issue to this trainee."))
@option("--all-eligible", is_flag=True, help=_l("Issue to every eligible trainee without a certificate."))
@option("--background", is_flag=True, help=_l("With --all-eligible: hand the work to the job workers."))
def certificates_issue(slug, email, all_eligible, background):
    from training.certificates.services import CertificateError, issue
    from training.credentials.eligibility import eligible_trainees
    from training.credentials.models import Credential

    credential = db.session.scalar(db.select(Credential).where(Credential.slug == slug))
    if credential is None:
        raise click.ClickException(_("No credential with the slug '%(slug)s'.", slug=slug)) from None
    if bool(email) == bool(all_eligible):
        raise click.UsageError(_("Give either --email or --all-eligible."))
    if email:
        user = user_by_email(email)
        if user is None:
            raise click.ClickException(_("No account for %(email)s.", email=email)) from None
        try:
            certificate, created = issue(user, credential)
        except CertificateError as error:
            raise click.ClickException(error.message) from None
        click.echo((_("Issued: %(number)s %(code)s") if created else _("Already issued: %(number)s %(code)s"))
                   % {"number": certificate.number, "code": certificate.grouped_code})
        return
    people = eligible_trainees(credential)
    if background:
        from training.certificates.jobs import start_bulk_issue

        job = start_bulk_issue(None, credential, people)
        click.echo(ngettext("Job #%(id)d started for %(num)d trainee: follow it with "
                            "`flask --app app jobs show %(id)d --watch`.",
                            "Job #%(id)d started for %(num)d trainees: follow it with "
                            "`flask --app app jobs show %(id)d --watch`.", len(people), id=job.id))
        return
    issued = 0
    with click.progressbar(people, label=ngettext("Issuing %(num)d certificate", "Issuing %(num)d certificates",
                                                  len(people))) as bar:
        for user in bar:
            certificate, created = issue(user, credential)
            issued += created
    click.echo(ngettext("%(num)d certificate issued.", "%(num)d certificates issued.", issued))


@certificates_cli.command("pdf", help=_l("Write the stored PDF of the certificate with this verification code."))
@click.argument("code")
@option("--output", required=True, type=click.Path(dir_okay=False), help=_l("File to write."))
def certificates_pdf(code, output):
    from training.certificates.services import certificate_pdf, find_by_code

    certificate = find_by_code(code)
    if certificate is None:
        raise click.ClickException(_("No certificate has this verification code.")) from None
    pdf = certificate_pdf(certificate)
    with open(output, "wb") as handle:
        handle.write(pdf)
    click.echo(_("Wrote %(number)s (%(size)d bytes, sha256 %(sha)s).", number=certificate.number, size=len(pdf),
                 sha=certificate.pdf_sha256))


@certificates_cli.command("rotate-key",
                          help=_l("Start new signing keys: they sign every credential from now on; the old "
                                  "ones stay published."))
def certificates_rotate_key():
    from training.badges.keys import key_url, rotate

    rsa_key, ed_key = rotate()
    click.echo(_("New keys (generation %(generation)s):\n  VC-JWT (RS256)       %(rsa)s\n"
                 "  Data Integrity proof %(ed)s\nEarlier keys stay published at /issuer/jwks.json.",
                 generation=rsa_key.generation, rsa=key_url(rsa_key), ed=key_url(ed_key)))


@certificates_cli.command("sign-missing",
                          help=_l("Sign and store the Open Badges credential of every certificate issued "
                                  "before they were stored."))
def certificates_sign_missing():
    from sqlalchemy import func, select

    from training.badges.services import sign_missing
    from training.certificates.models import Certificate

    total = db.session.scalar(select(func.count()).select_from(Certificate).where(Certificate.signed_json.is_(None)))
    with click.progressbar(length=total, label=_("Signing")) as bar:
        done = sign_missing(progress=bar.update)
    click.echo(ngettext("%(num)d credential signed and stored.", "%(num)d credentials signed and stored.", done))


@trainings_cli.command("sync", help=_l("Load or update every live training; a malformed file changes nothing."))
@option("--path", type=click.Path(file_okay=False), default=None,
        help=_l("Folder of live trainings (default: TRAININGS_DIR, the repository's trainings/)."))
def trainings_sync(path):
    from training.cohorts.loader import sync_trainings
    from training.courses.loader import ContentErrors

    try:
        created, updated, hidden = sync_trainings(path or current_app.config["TRAININGS_DIR"])
    except ContentErrors as errors:
        db.session.rollback()
        for error in errors.errors:
            click.echo(_("error: %(error)s", error=error), err=True)
        raise click.ClickException(_nothing_changed(len(errors.errors))) from None
    click.echo(_("Live trainings synced: %(created)d created, %(updated)d updated, %(hidden)d hidden.",
                 created=created, updated=updated, hidden=hidden))


def register(app):
    from training.jobs.cli import jobs_cli
    from training.operations.cli import backup, restore

    app.cli.add_command(backup)
    app.cli.add_command(restore)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(trainings_cli)
    app.cli.add_command(certificates_cli)
    app.cli.add_command(credentials_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(notifications_cli)
    app.cli.add_command(questions_cli)
    app.cli.add_command(courses_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
