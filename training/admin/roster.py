"""Inviting many people at once from a spreadsheet saved as CSV.

A programme starting a cohort has its list of names in a spreadsheet already. The file is read
whole and every row checked before anything is saved; the administrator sees who will be
invited, who already has an account (left as they are) and every problem with its row number.
A file with any problem invites nobody.
"""
import csv
import re
import unicodedata
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from training import audit, jobs
from training.auth.models import ROLES, SupervisorAssignment, User
from training.auth.services import mail_invitation
from training.cohorts.models import CohortMember
from training.extensions import db
from training.i18n import LANGUAGES
from training.spreadsheet import csv_text

NAME_LENGTH = 120
EMAIL_LENGTH = 254

# What the first row may call each column, in English or Spanish, compared without case or accents.
HEADINGS = {
    "email": {"email", "e-mail", "email address", "e-mail address", "correo", "correo electronico",
              "direccion de correo", "direccion de correo electronico"},
    "name": {"name", "full name", "nombre", "nombre completo"},
    "roles": {"roles", "role", "rol", "funciones", "funcion"},
    "supervisor": {"supervisor", "supervisor email", "supervisor e-mail", "supervisora", "supervisor/a",
                   "correo del supervisor", "correo de la supervisora"},
}
# The first row of the template offered for download, in the reader's language.
TEMPLATE_HEADINGS = {"en": ("email", "name", "roles", "supervisor"),
                     "es": ("correo", "nombre", "funciones", "supervisor")}
# Role names as people also write them: the feminine forms of the Spanish names.
ROLE_ALIASES = {"supervisora": "supervisor", "capacitadora": "trainer", "administradora": "admin"}
ROLE_SEPARATORS = re.compile(r"[,;/|+]+|\s+y\s+|\s+and\s+", re.IGNORECASE)


def _plain(text):
    """Lower case, no accents, single spaces: how headings and role names are compared."""
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return " ".join(text.lower().replace("_", " ").split())


def _role_names():
    """Each role by its key and by its name in every language the site speaks."""
    names = {key: key for key in ROLES} | ROLE_ALIASES
    for language in LANGUAGES:
        with force_locale(language):
            names.update({_plain(str(label)): key for key, label in ROLES.items()})
    return names


@dataclass
class Row:
    line: int
    email: str
    name: str
    roles: list
    supervisor_email: str = ""
    existing: User | None = None
    problems: list = field(default_factory=list)
    user: User | None = None  # the account made for this row, once invited
    place: str = ""  # in the cohort chosen: see ``plan_places``

    @property
    def invited(self):
        return self.existing is None and not self.problems


@dataclass
class Roster:
    rows: list = field(default_factory=list)
    problems: list = field(default_factory=list)  # about the file as a whole
    cohort: object = None  # the cohort its trainees are enrolled in, if one was chosen
    free_places: int = 0  # in that cohort before the file

    @property
    def valid(self):
        return not self.problems and not any(row.problems for row in self.rows)

    @property
    def to_invite(self):
        return [row for row in self.rows if row.invited]

    @property
    def existing(self):
        return [row for row in self.rows if row.existing is not None]

    @property
    def placing(self):
        """Rows that take a place, or a place on the waiting list, in the cohort chosen."""
        return [row for row in self.rows if row.place in ("enrolled", "waiting")]

    @property
    def placed(self):
        """How many of the file's people are given a place in the cohort chosen."""
        return sum(row.place == "enrolled" for row in self.rows)

    @property
    def waiting(self):
        """How many go on the cohort's waiting list, in the file's order after the free places."""
        return sum(row.place == "waiting" for row in self.rows)

    @property
    def with_problems(self):
        return [row for row in self.rows if row.problems]


def _dialect(text):
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _columns(heading_row):
    """Which column holds what, by the first row's words; unknown columns are ignored."""
    found = {}
    for index, heading in enumerate(heading_row):
        for key, words in HEADINGS.items():
            if _plain(heading) in words and key not in found:
                found[key] = index
    return found


def read_roster(text):
    """Every row of ``text`` checked against the rules and the accounts already there; saves nothing."""
    roster = Roster()
    try:
        lines = list(csv.reader(text.splitlines(), _dialect(text)))
    except csv.Error:  # a cell longer than any name or address, or a stray quote the reader cannot close
        roster.problems.append(_("This file cannot be read as CSV. Save the spreadsheet as “CSV UTF-8” and upload "
                                 "it again."))
        return roster
    numbered = [(number, row) for number, row in enumerate(lines, start=1) if any(cell.strip() for cell in row)]
    if not numbered:
        roster.problems.append(_("The file is empty. Use the template: one person a row, under a first row "
                                 "naming the columns."))
        return roster
    (_heading_line, heading), body = numbered[0], numbered[1:]
    columns = _columns(heading)
    if "email" not in columns or "name" not in columns:
        roster.problems.append(_("The first row must name the columns: at least “email” and “name” (“roles” and "
                                 "“supervisor” may follow). Use the template if unsure."))
        return roster
    if not body:
        roster.problems.append(_("The file names its columns but lists nobody under them."))
        return roster
    limit = current_app.config["INVITE_IMPORT_MAX_ROWS"]
    if len(body) > limit:
        roster.problems.append(_("The file lists %(count)s people; at most %(limit)s can be invited at once. "
                                 "Split it into smaller files.", count=len(body), limit=limit))
        return roster

    def cell(row, key):
        index = columns.get(key)
        return row[index].strip() if index is not None and index < len(row) else ""

    role_names = _role_names()
    for number, row in body:
        roster.rows.append(_read_row(number, cell(row, "email"), cell(row, "name"), cell(row, "roles"),
                                     cell(row, "supervisor"), role_names))
    _check_against_each_other(roster)
    _check_against_accounts(roster)
    return roster


def _read_row(number, email, name, roles_text, supervisor_email, role_names):
    row = Row(number, email.lower(), " ".join(name.split()), [], supervisor_email.lower())
    if not email:
        row.problems.append(_("No e-mail address."))
    elif len(email) > EMAIL_LENGTH or not _valid_email(email):
        row.problems.append(_("“%(email)s” is not an e-mail address like name@example.org.", email=email[:80]))
    if not row.name:
        row.problems.append(_("No name."))
    elif any(unicodedata.category(character) == "Cc" for character in row.name):
        row.problems.append(_("The name holds characters that are not letters or punctuation."))
    elif len(row.name) > NAME_LENGTH:
        row.problems.append(_("The name is longer than %(max)s characters.", max=NAME_LENGTH))
    words = [word.strip() for word in ROLE_SEPARATORS.split(roles_text) if word.strip()] or ["trainee"]
    for word in words:
        role = role_names.get(_plain(word))
        if role is None:
            row.problems.append(_("“%(role)s” is not a role. Roles: %(roles)s.", role=word[:40],
                                  roles=", ".join(str(label) for label in ROLES.values())))
        elif role not in row.roles:
            row.roles.append(role)
    if supervisor_email:
        if "trainee" not in row.roles and row.roles:
            row.problems.append(_("Only trainees can be given a supervisor."))
        elif supervisor_email.lower() == row.email:
            row.problems.append(_("A person cannot supervise themselves."))
    return row


def _valid_email(email):
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _check_against_each_other(roster):
    first_line = {}
    for row in roster.rows:
        if row.email in first_line:
            row.problems.append(_("This e-mail address is also on row %(line)s.", line=first_line[row.email]))
        elif row.email:
            first_line[row.email] = row.line


def _check_against_accounts(roster):
    """Mark who already has an account, and check each supervisor named is one, here or in the file."""
    emails = {row.email for row in roster.rows if row.email} | {row.supervisor_email for row in roster.rows
                                                                 if row.supervisor_email}
    accounts = {user.email: user for user in db.session.scalars(
        select(User).where(User.email.in_(emails)))} if emails else {}
    supervisors_in_file = {row.email for row in roster.rows if "supervisor" in row.roles}
    for row in roster.rows:
        row.existing = accounts.get(row.email)
        if not row.supervisor_email or row.existing is not None:
            continue
        supervisor = accounts.get(row.supervisor_email)
        if supervisor is not None:
            if not (supervisor.active and supervisor.has_role("supervisor")):
                row.problems.append(_("%(email)s is not an active supervisor.", email=row.supervisor_email))
        elif row.supervisor_email not in supervisors_in_file:
            row.problems.append(_("No supervisor has the e-mail address %(email)s, here or in this file.",
                                  email=row.supervisor_email[:80]))


def invite_roster(actor, roster, today, filename=""):
    """Create an account for each person to invite, with their supervisor (and their place in the
    cohort chosen), in one transaction; the audit log names the file each came from.

    Returns the people invited. Their invitations are sent afterwards (``send_invitations``).
    """
    from training.notifications.services import announce

    if not roster.valid:
        raise ValueError("a roster with problems invites nobody")
    invited = []
    for row in roster.to_invite:
        user = User(email=row.email, full_name=row.name, active=True)
        user.set_roles(row.roles)
        if "trainee" in row.roles:
            user.programme_started_on = today
        db.session.add(user)
        invited.append((row, user))
        row.user = user
    db.session.flush()
    by_email = {user.email: user for user in db.session.scalars(select(User).where(
        User.email.in_({row.supervisor_email for row, _user in invited if row.supervisor_email})))} \
        if any(row.supervisor_email for row, _user in invited) else {}
    events = []
    for row, user in invited:
        audit.record("user.invited", actor=actor, subject=user, email=user.email, roles=sorted(row.roles),
                     **({"file": filename} if filename else {}))
        supervisor = by_email.get(row.supervisor_email)
        if supervisor is not None:
            db.session.add(SupervisorAssignment(supervisor=supervisor, trainee=user, starts_on=today))
            events.append(audit.record("assignment.created", actor=actor, subject=user,
                                       supervisor=supervisor.email, starts_on=today.isoformat(), ends_on=None))
    events += _take_places(actor, roster)
    db.session.commit()
    announce(*events)
    return [user for _row, user in invited]


def plan_places(roster, cohort):
    """What enrolling the file's trainees in ``cohort`` would do to each row, changing nothing.

    ``row.place``: "enrolled" or "waiting" (the cohort is full), "already_enrolled" or
    "already_waiting", "inactive" (a deactivated account joins no cohort), or "" for someone
    who is not a trainee. Places go in the file's order, as long as the cohort has them.
    """
    roster.cohort = cohort
    if cohort is None:
        return
    members = dict(db.session.execute(select(CohortMember.user_id, CohortMember.status)
                                      .where(CohortMember.cohort_id == cohort.id)).all())
    free = roster.free_places = max(cohort.capacity - sum(1 for status in members.values() if status == "enrolled"), 0)
    for row in roster.rows:
        user = row.existing
        if row.problems or "trainee" not in (user.role_names if user else set(row.roles)):
            continue
        status = members.get(user.id) if user else None
        if user is not None and not user.active:
            row.place = "inactive"
        elif status in ("enrolled", "waiting"):
            row.place = f"already_{status}"
        else:
            row.place = "enrolled" if free > 0 else "waiting"
            free -= row.place == "enrolled"


def _take_places(actor, roster):
    from training.cohorts.services import take_place

    if roster.cohort is None:
        return []
    return [take_place(actor, roster.cohort, row.existing or row.user).placed
            for row in roster.rows if row.place in ("enrolled", "waiting")]


def send_invitations(actor_id, user_ids):
    """E-mail each person their one-time invitation link: run in the background for a whole file."""
    actor = db.session.get(User, actor_id)
    for user in db.session.scalars(select(User).where(User.id.in_(user_ids)).order_by(User.id)):
        if user.active and user.password_hash is None:
            mail_invitation(actor, user)


def deliver(actor, users):
    """Send the invitations, or with no mail server return each person's link to pass on by hand."""
    if current_app.config["MAIL_SERVER"]:
        jobs.start("training.admin.roster.send_invitations", actor.id, [user.id for user in users])
        return []
    return [(user, mail_invitation(actor, user)) for user in users]


def template_headings(language):
    """The words the template's first row uses for each column, in ``language``."""
    return dict(zip(("email", "name", "roles", "supervisor"),
                    TEMPLATE_HEADINGS.get(language, TEMPLATE_HEADINGS["en"]), strict=True))


def template_csv(language):
    """A file to fill in: the first row naming the columns, and two example rows."""
    headings = list(template_headings(language).values())
    with force_locale(language):
        trainee, supervisor = str(ROLES["trainee"]).lower(), str(ROLES["supervisor"]).lower()
    return csv_text([headings,
                     ["ana.lopez@example.org", "Ana López", trainee, "sam.rivera@example.org"],
                     ["sam.rivera@example.org", "Sam Rivera", supervisor, ""]], bom=True)

