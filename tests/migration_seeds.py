"""Rows put in the database at each revision, for the migration walk in test_migrations.py.

The walk starts from an empty database. At each revision it adds the rows of that
revision's ``@seed`` function, checks that every table holds at least one row, and upgrades
one step; so every migration runs on a database holding data, as production's would. At the
head, and at each revision on the way back down, every row a seed added must still be there
with the values it was given (in the columns that exist at that revision).

**A new migration needs an entry here**: a ``@seed("00NN")`` function that adds a row to each
table the revision creates, and rows that exercise what it changes in existing tables. A
migration that converts data says what it must have done in an ``@after_upgrade("00NN")``
check, and what undoing it must restore in an ``@after_downgrade("00NN")`` check.

Seeds name only the values that matter; other required columns get plain values of their
type. Timestamps are naive UTC, as the application stores them.
"""
import json
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

SEEDS = {}
AFTER_UPGRADE = {}
AFTER_DOWNGRADE = {}


def seed(revision):
    """Register the rows to add once the database is at ``revision``."""
    def register(function):
        SEEDS[revision] = function
        return function
    return register


def after_upgrade(revision):
    """Register what must hold right after upgrading to ``revision``."""
    def register(function):
        AFTER_UPGRADE[revision] = function
        return function
    return register


def after_downgrade(revision):
    """Register what must hold right after undoing ``revision``."""
    def register(function):
        AFTER_DOWNGRADE[revision] = function
        return function
    return register


class SeedDatabase:
    """The database at one revision: add rows with plain defaults, read them back."""

    def __init__(self, connection, engine):
        self.connection = connection
        self.engine = engine
        self.metadata = sa.MetaData()
        self.inserted = []  # (table, primary key, values)

    def table(self, name):
        """The table's columns as they are at this revision (read from the database: quick, no constraints)."""
        if name not in self.metadata.tables:
            inspector = sa.inspect(self.connection)
            key = inspector.get_pk_constraint(name)["constrained_columns"]
            sa.Table(name, self.metadata, *[
                sa.Column(c["name"], c["type"], primary_key=c["name"] in key, nullable=c["nullable"],
                          server_default=c["default"] and sa.text(c["default"]),
                          autoincrement=c.get("autoincrement", "auto"))
                for c in inspector.get_columns(name)])
        return self.metadata.tables[name]

    def insert(self, table_name, /, changed_later=(), **values):
        """Insert a row; required columns the seed leaves out get plain values of their type.

        ``changed_later``: columns a later migration converts, which its ``@after_upgrade`` checks;
        the walk's check that values are kept skips them."""
        table = self.table(table_name)
        autoincrement_key = [c.name for c in table.primary_key.columns] if _has_autoincrement_key(table) else []
        for column in table.columns:
            if column.name in values or column.nullable or column.server_default is not None:
                continue
            if column.name in autoincrement_key:
                continue
            values[column.name] = _plain_value(column, len(self.inserted))
        result = self.connection.execute(table.insert().values(**values))
        key = dict(zip([c.name for c in table.primary_key.columns], result.inserted_primary_key, strict=True))
        self.inserted.append((table_name, key, {k: v for k, v in values.items() if k not in changed_later}))
        return key.get("id")

    def scalar(self, sql, **params):
        return self.connection.execute(sa.text(sql), params).scalar()

    def refuses(self, sql, **params):
        """Whether the database refuses a statement, tried in a transaction of its own."""
        try:
            with self.engine.begin() as other:
                other.execute(sa.text(sql), params)
        except IntegrityError:
            return True
        return False


def _has_autoincrement_key(table):
    key = list(table.primary_key.columns)
    return len(key) == 1 and isinstance(key[0].type, sa.Integer) and key[0].autoincrement in (True, "auto")


def _plain_value(column, n):
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer):
        return 1
    if isinstance(kind, sa.Float | sa.Numeric):
        return 1.0
    if isinstance(kind, sa.DateTime):
        return datetime(2026, 1, 5, 9, 0)
    if isinstance(kind, sa.Date):
        return date(2026, 1, 5)
    if isinstance(kind, sa.JSON):
        return {}
    if isinstance(kind, sa.LargeBinary):
        return b"seed"
    text = f"{column.table.name}-{column.name}-{n}"
    length = getattr(kind, "length", None)
    return text[-length:] if length else text


def same(expected, actual):
    """Whether a value read back equals the one seeded, whatever form the driver returns it in."""
    if actual is None or expected is None:
        return actual is expected
    if isinstance(expected, bool):
        return bool(actual) is expected
    if isinstance(expected, datetime):
        if isinstance(actual, datetime):
            return actual.replace(tzinfo=None) == expected
        return str(actual)[:19] == expected.isoformat(" ")[:19]
    if isinstance(expected, date):
        return str(actual)[:10] == expected.isoformat()
    if isinstance(expected, dict | list) and isinstance(actual, str):
        return json.loads(actual) == expected
    if isinstance(expected, bytes):
        return bytes(actual) == expected
    return actual == expected


def json_value(value):
    """A JSON column's value, parsed when the driver returns text."""
    return json.loads(value) if isinstance(value, str) else value


# --- 0001: people, roles, a course with a module, completions, assignments, audit ----------------

@seed("0001")
def people_and_a_course(db):
    db.insert("user", id=1, email="ana@example.org", full_name="Ana Trainee", active=True,
              session_token="tok-ana", programme_started_on=date(2026, 2, 1), created_at=datetime(2026, 1, 15, 10))
    db.insert("user", id=2, email="ben@example.org", full_name="Ben Trainee", active=True,
              session_token="tok-ben", programme_started_on=None, created_at=datetime(2026, 1, 20, 8))
    db.insert("user", id=3, email="sue@example.org", full_name="Sue Supervisor", active=True,
              session_token="tok-sue", created_at=datetime(2026, 1, 2))
    db.insert("user", id=4, email="ada@example.org", full_name="Ada Admin", active=True,
              session_token="tok-ada", created_at=datetime(2026, 1, 1))
    for user_id, role in ((1, "trainee"), (2, "trainee"), (3, "supervisor"), (4, "admin")):
        db.insert("user_role", user_id=user_id, role=role)
    db.insert("account_token", user_id=2, purpose="invitation", token_hash="h" * 64,
              expires_at=datetime(2026, 1, 23))
    db.insert("audit_event", actor_id=4, subject_id=1, action="user.invited", details={"roles": ["trainee"]})
    db.insert("course", id=1, slug="foundations-of-peer-recovery-support", title="Foundations",
              summary="The first course", position=1, prerequisites=[], active=True)
    db.insert("course_credit", course_id=1, domain="Advocacy", minutes=600)
    db.insert("module", id=1, course_id=1, slug="what-is-peer-support", position=1, title="What is peer support",
              estimated_minutes=20, objectives=["Say what a peer does"], reflection="What helped you?",
              body_markdown="# Peer support", body_html="<h1>Peer support</h1>", active=True)
    db.insert("module_completion", user_id=1, module_id=1, completed_at=datetime(2026, 2, 3, 18))
    db.insert("course_completion", user_id=1, course_id=1, completed_at=datetime(2026, 2, 10, 18))
    db.insert("training_credit", user_id=1, course_id=1, domain="Advocacy", minutes=600)
    db.insert("supervisor_assignment", supervisor_id=3, trainee_id=1, starts_on=date(2026, 2, 1))


# --- 0002: a quiz with a question and an attempt --------------------------------------------------

@seed("0002")
def a_quiz_attempt(db):
    db.insert("question", id=1, course_id=1, key="q1", category="basics", qtype="multichoice",
              title="Peer role", stem="What does a peer offer?", stem_format="markdown",
              stem_html="<p>What does a peer offer?</p>", data={"choices": ["Hope", "Diagnosis"], "answer": 0},
              explanation="Lived experience offers hope.", active=True)
    db.insert("quiz", id=1, course_id=1, module_id=1, title="Check your understanding", question_count=1,
              categories=["basics"], pass_mark=80, attempts_allowed=3, wait_minutes=0, grading="highest",
              shuffle_questions=False, shuffle_choices=False, review_when="immediately",
              review_shows=["answers"], active=True)
    db.insert("quiz_attempt", id=1, quiz_id=1, user_id=1, number=1, started_at=datetime(2026, 2, 3, 18),
              submitted_at=datetime(2026, 2, 3, 18, 5), score=100.0, passed=True, pass_mark=80)
    db.insert("attempt_slot", attempt_id=1, question_id=1, position=1, qtype="multichoice",
              stem_html="<p>What does a peer offer?</p>", data={"choices": ["Hope", "Diagnosis"]},
              explanation="", response={"choice": 0}, score=1.0)


# --- 0003: the credential as its first shape, hours, supervision, wellbeing ----------------------

OLD_REQUIREMENTS = {
    "courses": ["foundations-of-peer-recovery-support"],
    "training_hours": {"Advocacy": 10, "Ethical Responsibility": 16},
    "service_hours": {"total": 250, "within_months_of_start": 6, "supervision_counts_as_work": False},
    "supervision_hours": {"total": 12, "group_cap": 6},
    "exam": "foundations-of-peer-recovery-support",
}
OLD_RENEWAL = {"period_months": 12, "continuing_education_hours": 10, "ethics_hours": 3}


@after_upgrade("0003")
def existing_people_keep_wellbeing_private(db):
    assert db.scalar('SELECT count(*) FROM "user" WHERE wellbeing_shared = :no', no=False) == 4


@seed("0003")
def hours_and_supervision(db):
    db.insert("credential", id=1, slug="peer-recovery-specialist", title="Peer Recovery Specialist",
              description="An example", certificate_prefix="PRS", domains=["Advocacy", "Ethical Responsibility"],
              requirements=OLD_REQUIREMENTS, initial_period_months=6, supervision_initial_days=7,
              supervision_after_days=31, validity_months=12, renewal=OLD_RENEWAL, active=True,
              source_path="peer-recovery-specialist.yaml", synced_at=datetime(2026, 1, 1))
    db.insert("enrolment", user_id=1, credential_id=1, started_on=date(2026, 2, 1))
    db.insert("attachment", id=1, owner_id=1, filename="certificate.pdf", content_type="application/pdf",
              size=4, sha256="a" * 64, data=b"%PDF")
    db.insert("supervision_session", id=1, supervisor_id=3, format="individual", occurred_on=date(2026, 2, 6),
              minutes=60, domain="Advocacy", topics="Boundaries", signed_name="Sue Supervisor")
    db.insert("hour_entry", id=1, trainee_id=1, kind="service", occurred_on=date(2026, 2, 4), minutes=240,
              domain="Advocacy", organisation="Recovery Centre", note="Group facilitation", provider="",
              status="approved", supervisor_id=3, review_comment="", reviewed_at=datetime(2026, 2, 5),
              signed_name="Sue Supervisor", signature_hash="s" * 64, correction_reason="",
              submitted_at=datetime(2026, 2, 4, 20))
    db.insert("hour_entry", id=2, trainee_id=1, kind="training", occurred_on=date(2026, 2, 2), minutes=120,
              domain="Ethical Responsibility", organisation="", note="", provider="Academy", status="approved",
              attachment_id=1, review_comment="", signed_name="", signature_hash="", correction_reason="",
              submitted_at=datetime(2026, 2, 2, 20))
    db.insert("hour_entry", id=3, trainee_id=1, kind="supervision", occurred_on=date(2026, 2, 6), minutes=60,
              domain="Advocacy", organisation="", note="", provider="", supervision_format="individual",
              session_id=1, status="approved", supervisor_id=3, review_comment="", signed_name="Sue Supervisor",
              signature_hash="", correction_reason="", submitted_at=datetime(2026, 2, 6, 12))
    db.insert("wellbeing_check_in", user_id=1, day=date(2026, 2, 7), energy=4, stress=2, workload=3,
              supported=5, rest=4)
    db.insert("reminder_log", user_id=1, kind="supervision_due", period="2026-02")


# --- 0004: certificates, one renewed --------------------------------------------------------------

@seed("0004")
def certificates(db):
    common = dict(credential_id=1, holder_name="Ana Trainee", credential_slug="peer-recovery-specialist",
                  credential_title="Peer Recovery Specialist", credential_description="An example",
                  hours={"training": 46}, issuer_name="Peer Recovery Training Programme",
                  signatory_name="Dana Director", signatory_title="Director", design="classic", pdf=b"%PDF-1.7",
                  pdf_sha256="c" * 64, status="valid", revoked_reason="", revoked_note="", pdf_public=False,
                  issued_by_id=4)
    db.insert("certificate", id=1, user_id=1, cycle=1, number="PRS-2026-000001", code="A" * 20,
              issued_on=date(2026, 3, 1), expires_on=date(2027, 3, 1), verify_url="https://x.example/verify/a",
              **common)
    db.insert("certificate", id=2, user_id=1, cycle=2, number="PRS-2027-000002", code="B" * 20, previous_id=1,
              issued_on=date(2027, 3, 1), expires_on=date(2028, 3, 1), verify_url="https://x.example/verify/b",
              **common)
    db.insert("bulk_issue_job", credential_id=1, started_by_id=4, user_ids=[1, 2], total=2, done=2, issued=1,
              failures=[{"user": "ben@example.org", "reason": "not eligible"}], status="finished")


# --- 0005: an index on hour entries ------------------------------------------------------------------

@seed("0005")
def a_pending_entry(db):
    db.insert("hour_entry", id=4, trainee_id=2, kind="service", occurred_on=date(2026, 3, 2), minutes=90,
              domain="Advocacy", organisation="Drop-in", note="", provider="", status="pending",
              review_comment="", signed_name="", signature_hash="", correction_reason="",
              submitted_at=datetime(2026, 3, 2, 19))


# --- 0006: credential definitions replace the first shape; trainees are enrolled -----------------

@after_upgrade("0006")
def credentials_converted_and_trainees_enrolled(db):
    from training.credentials.schema import CredentialFile

    definition = json_value(db.scalar("SELECT definition FROM credential WHERE id = 1"))
    spec = CredentialFile.model_validate(definition, strict=False)
    assert [r.kind for r in spec.requirements] == ["course", "training_hours", "work_hours", "supervision_hours",
                                                    "exam"]
    work = spec.requirements[2]
    assert work.total == 250 and work.window.months == 6 and work.supervision_counts_as_work is False
    assert spec.requirements[3].group_at_most == 6
    assert spec.renewal.cycle == "calendar_year" and spec.renewal.categories["ethics"].hours == 3
    # Ben had no enrolment: he is enrolled from his account's creation (no programme start).
    assert str(db.scalar("SELECT started_on FROM enrolment WHERE user_id = 2"))[:10] == "2026-01-20"
    assert db.scalar("SELECT count(*) FROM enrolment WHERE user_id = 1") == 1
    assert db.scalar("SELECT category FROM hour_entry WHERE id = 2") == "ethics"
    assert db.scalar("SELECT category FROM hour_entry WHERE id = 1") == ""
    assert db.scalar("SELECT issued_as FROM certificate WHERE id = 2") == "renewal"
    assert db.scalar("SELECT issued_as FROM certificate WHERE id = 1") == "award"


@seed("0006")
def evidence(db):
    db.insert("evidence", user_id=1, key="code-of-ethics", title="Code of ethics", status="accepted",
              signed_name="Ana Trainee", text_sha256="e" * 64, signed_at=datetime(2026, 3, 3), note="",
              reviewer_id=4, review_reason="")
    db.insert("evidence", user_id=1, key="diploma", title="Diploma", status="submitted", attachment_id=1,
              signed_name="", text_sha256="", note="", review_reason="", quantity=24.0)


# --- 0007: Open Badges keys, status lists and holders ---------------------------------------------

@seed("0007")
def open_badges(db):
    db.insert("issuer_key", name="ed25519-1", algorithm="Ed25519", generation=1,
              public_jwk={"kty": "OKP", "crv": "Ed25519", "x": "abc"}, private_key=b"encrypted")
    db.insert("status_list", id=1, purpose="revocation", credential="{}", updated_at=datetime(2026, 3, 4))
    db.insert("badge_holder", user_id=1, public_id="h-ana")


# --- 0008: the trainer role and live training cohorts ---------------------------------------------

@after_upgrade("0008")
def modules_need_no_reflection_until_asked(db):
    assert db.scalar("SELECT count(*) FROM module WHERE reflection_required = :no", no=False) == 1


@seed("0008")
def cohorts(db):
    db.insert("user", id=5, email="tom@example.org", full_name="Tom Trainer", active=True,
              session_token="tok-tom", created_at=datetime(2026, 3, 1))
    db.insert("user_role", user_id=5, role="trainer")
    db.insert("user_role", user_id=4, role="trainer")
    db.insert("live_training", id=1, slug="peer-recovery-core-live", title="Core (live)", summary="",
              sessions=[{"topic": "Hope", "hours": 2, "credits": {"Advocacy": 2}}], active=True)
    db.insert("cohort", id=1, title="Spring cohort", live_training_id=1, credential_id=1,
              starts_on=date(2026, 4, 1), ends_on=date(2026, 5, 1), delivery="online", address="",
              meeting_url="https://meet.example/spring", capacity=12, self_enrolment=True, created_by_id=4)
    db.insert("cohort", id=2, title="Course cohort", course_id=1, starts_on=date(2026, 4, 1),
              ends_on=date(2026, 4, 30), delivery="in_person", address="1 Main St", meeting_url="", capacity=8,
              self_enrolment=False)
    db.insert("cohort_trainer", cohort_id=1, user_id=5)
    db.insert("cohort_member", cohort_id=1, user_id=1, status="enrolled", enrolled_at=datetime(2026, 3, 20))
    db.insert("cohort_member", cohort_id=1, user_id=2, status="waiting")
    db.insert("cohort_session", id=1, cohort_id=1, starts_at=datetime(2026, 4, 1, 17),
              ends_at=datetime(2026, 4, 1, 19), topic="Hope", credits={"Advocacy": 2}, materials=[1],
              checkin_secret="k" * 32, confirmed_at=datetime(2026, 4, 1, 19, 30), confirmed_by_id=5,
              signed_name="Tom Trainer")
    db.insert("cohort_session", id=2, cohort_id=1, starts_at=datetime(2026, 4, 8, 17),
              ends_at=datetime(2026, 4, 8, 19), topic="Hope (make-up)", credits={"Advocacy": 2}, materials=[],
              makeup_of_id=1, checkin_secret="m" * 32, signed_name="")
    db.insert("attendance", id=1, session_id=1, user_id=1, status="late", minutes_missed=30,
              checked_in_at=datetime(2026, 4, 1, 17, 30), marked_by_id=5)
    db.insert("hour_entry", id=5, trainee_id=1, kind="training", occurred_on=date(2026, 4, 1), minutes=90,
              domain="Advocacy", organisation="", note="", provider="Spring cohort", status="approved",
              attendance_id=1, review_comment="", signed_name="Tom Trainer", signature_hash="", correction_reason="",
              submitted_at=datetime(2026, 4, 1, 19, 30))
    db.insert("reflection", user_id=1, module_id=1, text="Hope is catching.", status="returned",
              reviewer_id=5, reviewed_at=datetime(2026, 4, 2), comment="Say more about your own road.")
    db.insert("calendar_feed", user_id=1, generation="g" * 32)
    db.insert("training_certificate", cohort_id=1, user_id=1, number="TRN-2026-000001", code="T" * 20,
              holder_name="Ana Trainee", training_title="Core (live)", cohort_title="Spring cohort",
              hours={"Advocacy": 1.5}, sessions_attended=1, sessions_total=1, first_day=date(2026, 4, 1),
              last_day=date(2026, 4, 1), issued_on=date(2026, 5, 2), issuer_name="Programme",
              trainer_names="Tom Trainer", verify_url="https://x.example/verify/t", pdf=b"%PDF",
              pdf_sha256="t" * 64, status="valid", issued_by_id=4)


@after_downgrade("0008")
def trainer_roles_are_gone_and_refused(db):
    assert db.scalar("SELECT count(*) FROM user_role WHERE role = 'trainer'") == 0
    assert db.refuses("INSERT INTO user_role (user_id, role) VALUES (1, 'trainer')")


# --- 0009: indexes for credential facts ---------------------------------------------------------------

@seed("0009")
def a_second_enrolment(db):
    db.insert("credential", id=2, slug="state-peer-support-specialist", title="State Peer Support Specialist",
              description="", certificate_prefix="SPS", domains=["Advocacy"], definition={"domains": ["Advocacy"]},
              validity_months=24, active=True, source_path="state.yaml", synced_at=datetime(2026, 1, 1))
    db.insert("enrolment", user_id=1, credential_id=2, started_on=date(2026, 4, 1), ended_on=date(2026, 6, 1),
              eligible=False, items_met=2, items_total=7, next_step="Log 10 more hours")


# --- 0010: jobs of every kind with their items, replacing bulk_issue_job -------------------------------

@after_upgrade("0010")
def bulk_issue_jobs_became_jobs_with_items(db):
    job = db.connection.execute(sa.text("SELECT id, kind, status, total, done, failed, params FROM job")).one()
    assert tuple(job[:6]) == (1, "bulk_issue", "finished", 2, 2, 1) and json_value(job[6]) == {"credential_id": 1}
    items = db.connection.execute(sa.text("SELECT key, label, status, error FROM job_item WHERE job_id = 1 "
                                          "ORDER BY id")).all()
    assert [tuple(i) for i in items] == [("1", "ana@example.org", "done", ""),
                                         ("2", "ben@example.org", "failed", "not eligible")]


@seed("0010")
def a_zip_job_with_a_failed_item(db):
    db.insert("job", id=2, kind="certificates_zip", params={}, started_by_id=4, status="finished", total=2, done=2,
              failed=1, result_path="certificates-2-20260105090000.zip", summary="")
    db.insert("job_item", job_id=2, key="1", label="Ana.pdf", status="done", error="", attempts=1)
    db.insert("job_item", job_id=2, key="2", label="Ben.pdf", status="failed", error="No PDF", attempts=1)


@after_downgrade("0010")
def jobs_went_back_to_bulk_issue_jobs(db):
    """The bulk issue comes back as it was (the walk checks its seeded values); other kinds did not exist."""
    assert db.scalar("SELECT count(*) FROM bulk_issue_job") == 1


# --- 0011: professional details on profiles -------------------------------------------------------------

@after_upgrade("0011")
def people_start_with_empty_professional_details(db):
    assert db.scalar("SELECT job_title || phone || organisation_address FROM \"user\" WHERE id = 3") == ""


@seed("0011")
def a_supervisor_with_professional_details(db):
    db.insert("user", id=6, email="vic@example.org", full_name="Vic Supervisor", active=True,
              session_token="tok-vic", created_at=datetime(2026, 3, 1), job_title="Clinical supervisor",
              professional_credential="Licensed Clinical Social Worker", credential_number="LCSW-1",
              phone="+1 555 010 0100", organisation_name="Riverside Centre",
              organisation_address="12 Mill Lane\nRiverside")
    db.insert("user_role", user_id=6, role="supervisor")


# --- 0012: notifications and each person's e-mail choice ----------------------------------------------

@seed("0012")
def notifications(db):
    db.insert("notification", user_id=1, kind="entry_returned", event_key="audit-1",
              message="Sue returned your 2 h of peer support work for changes: add the organisation.",
              endpoint="supervision.edit", link_args={"entry_id": 1}, created_at=datetime(2026, 4, 2),
              read_at=None, emailed_at=datetime(2026, 4, 2))
    db.insert("notification", user_id=4, kind="supervisee_assigned", event_key="audit-2", message="Ana is yours.",
              endpoint="", link_args={}, created_at=datetime(2026, 4, 3), read_at=datetime(2026, 4, 4))
    db.insert("notification_setting", user_id=1, delivery="digest", updated_at=datetime(2026, 4, 2))


@after_upgrade("0012")
def only_known_deliveries(db):
    assert db.refuses("INSERT INTO notification_setting (user_id, delivery, updated_at) "
                      "VALUES (4, 'hourly', '2026-04-05 00:00:00')")


# --- 0013: each person's language ----------------------------------------------------------------------

def _name_index_exists(db):
    """The expression index on lower(full_name), which a SQLite rebuild of "user" would drop."""
    if db.connection.dialect.name == "sqlite":
        sql = "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'ix_user_name_lower'"
    else:
        sql = "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_user_name_lower' AND schemaname = current_schema()"
    return db.scalar(sql) == 1


@after_upgrade("0013")
def people_have_no_language_until_they_choose(db):
    assert db.scalar("SELECT count(*) FROM \"user\" WHERE locale IS NOT NULL") == 0
    assert _name_index_exists(db)


@seed("0013")
def a_spanish_speaking_trainee(db):
    db.insert("user", id=8, email="lucia@example.org", full_name="Lucía Pérez", active=True, session_token="tok-lucia",
              created_at=datetime(2026, 5, 1), locale="es")
    db.insert("user_role", user_id=8, role="trainee")


@after_downgrade("0013")
def the_name_index_survives_the_rebuild(db):
    assert _name_index_exists(db)


# --- 0014: courses, modules, questions and certificates in other languages ----------------------------

@after_upgrade("0014")
def certificates_were_printed_in_english(db):
    assert db.scalar("SELECT count(*) FROM certificate WHERE locale = 'en'") == db.scalar(
        "SELECT count(*) FROM certificate")


@seed("0014")
def spanish_versions(db):
    db.insert("course_translation", course_id=1, locale="es", title="Fundamentos", summary="Una introducción.")
    db.insert("module_translation", module_id=1, locale="es", title="Qué es el apoyo entre pares",
              objectives=["Definir el apoyo entre pares"], reflection="Piense en alguien.", body_markdown="Texto",
              body_html="<p>Texto</p>", source_path="modules/01-intro.es.md")
    db.insert("question_translation", question_id=1, locale="es", title="P1", stem="¿Qué es?", stem_format="moodle",
              stem_html="¿Qué es?", data={"choices": [{"id": "a", "text": "Uno", "weight": 1.0}]}, explanation="",
              source_file="questions/01-intro.es.gift", source_line=3)
    db.insert("user", id=9, email="marta@example.org", full_name="Marta Ruiz", active=True, session_token="tok-marta",
              created_at=datetime(2026, 6, 1), locale="es")
    db.insert("certificate", id=3, user_id=9, credential_id=1, cycle=1, number="PRS-2026-000099", code="S" * 20,
              holder_name="Marta Ruiz", credential_slug="peer-recovery-specialist", credential_title="PRS",
              credential_description="", hours={"service": 30000}, issued_on=date(2026, 6, 2),
              expires_on=date(2028, 6, 2), issuer_name="Programme", signatory_name="", signatory_title="",
              verify_url="https://x.example/verify/s", design="classic", pdf=b"%PDF", pdf_sha256="s" * 64,
              status="valid", revoked_reason="", revoked_note="", pdf_public=False, issued_as="award",
              locale="es", translations={"es": {"title": "Especialista", "description": "", "domains": {}}})


# --- 0015: an index of the entries waiting for approval and of renewed certificates ----------------

def _index_names(db, table):
    return {index["name"] for index in sa.inspect(db.connection).get_indexes(table)}


@after_upgrade("0015")
def the_pending_entries_have_their_index(db):
    assert "ix_hour_entry_pending" in _index_names(db, "hour_entry")
    assert "ix_certificate_previous_id" in _index_names(db, "certificate")
    assert db.scalar("SELECT count(*) FROM hour_entry WHERE status = 'pending' AND trainee_id = 2") == 1


@seed("0015")
def a_second_pending_entry(db):
    db.insert("hour_entry", id=6, trainee_id=2, kind="service", occurred_on=date(2026, 3, 3), minutes=60,
              domain="Advocacy", organisation="Drop-in", note="", provider="", status="pending",
              review_comment="", signed_name="", signature_hash="", correction_reason="",
              submitted_at=datetime(2026, 3, 3, 18))


@after_downgrade("0015")
def the_pending_index_is_gone_and_the_entries_stay(db):
    assert "ix_hour_entry_pending" not in _index_names(db, "hour_entry")
    assert "ix_certificate_previous_id" not in _index_names(db, "certificate")
    assert db.scalar("SELECT count(*) FROM certificate") >= 1
    assert db.scalar("SELECT count(*) FROM hour_entry WHERE status = 'pending'") == 2


# --- 0016: live trainings in other languages --------------------------------------------------------

@seed("0016")
def a_live_training_in_spanish(db):
    db.insert("live_training", id=2, slug="ethics-in-peer-work", title="Ethics (live)", summary="",
              sessions=[{"topic": "Boundaries", "minutes": 120, "credits": {"Ethical Responsibility": 120}}],
              active=True, translations={"es": {"title": "Ética (en vivo)", "summary": "", "topics": ["Límites"]}})
    # Written in the site's language, as jobs wrote their summaries before 0017.
    db.insert("job", id=3, kind="reminders", params={}, started_by_id=4, status="finished", total=1, done=1,
              failed=0, summary="Certificate expiry: 2.")
    db.insert("job_item", job_id=3, key="certificate_expiry", label="Certificate expiry", status="done", error="",
              attempts=1)


@after_upgrade("0016")
def a_live_training_has_no_translations_until_its_file_is_loaded(db):
    assert db.scalar("SELECT title FROM live_training WHERE id = 1") == "Core (live)"
    assert db.scalar("SELECT count(*) FROM live_training WHERE translations IS NOT NULL") == 0


@after_downgrade("0016")
def the_live_trainings_stay_without_their_translations(db):
    assert db.scalar("SELECT count(*) FROM live_training") == 2


# --- 0017: texts stored for later readers, in every language --------------------------------------

@after_upgrade("0017")
def stored_texts_are_kept_in_the_sites_language(db):
    """What was stored as text is now the site language's entry; an empty text is no entry."""
    steps = {user: json_value(texts) for user, texts in db.connection.execute(sa.text(
        "SELECT user_id, next_steps FROM enrolment WHERE credential_id = 2"))}
    assert steps == {1: {"en": "Log 10 more hours"}}
    assert json_value(db.scalar("SELECT summaries FROM job WHERE id = 3")) == {"en": "Certificate expiry: 2."}
    assert json_value(db.scalar("SELECT summaries FROM job WHERE id = 2")) == {}
    errors = [json_value(e) for e in db.connection.execute(sa.text(
        "SELECT errors FROM job_item WHERE job_id = 2 ORDER BY id")).scalars()]
    assert errors == [{}, {"en": "No PDF"}]


@seed("0017")
def a_next_step_and_a_failure_in_two_languages(db):
    db.insert("enrolment", user_id=2, credential_id=2, started_on=date(2026, 4, 1), eligible=False, items_met=1,
              items_total=7, next_steps={"en": "Log 5 more hours", "es": "Registre 5 horas más"})
    db.insert("job", id=4, kind="certificates_zip", params={}, started_by_id=4, status="finished",
              total=1, done=1, failed=1, summaries={})
    db.insert("job_item", job_id=4, key="9", label="Ben.pdf", status="failed", attempts=1,
              errors={"en": "This certificate no longer exists.", "es": "Este certificado ya no existe."})


@after_downgrade("0017")
def stored_texts_go_back_to_the_sites_language(db):
    assert db.scalar("SELECT next_step FROM enrolment WHERE user_id = 2 AND credential_id = 2") == "Log 5 more hours"
    assert db.scalar("SELECT next_step FROM enrolment WHERE user_id = 1 AND credential_id = 2") == "Log 10 more hours"
    assert db.scalar("SELECT summary FROM job WHERE id = 3") == "Certificate expiry: 2."
    assert db.scalar("SELECT error FROM job_item WHERE job_id = 4") == "This certificate no longer exists."


# --- 0018: the language a signed text was written in -----------------------------------------------

@after_upgrade("0018")
def signatures_so_far_were_of_the_english_text(db):
    assert db.scalar("SELECT signed_language FROM evidence WHERE key = 'code-of-ethics'") == "en"
    assert db.scalar("SELECT count(*) FROM evidence WHERE signed_language <> 'en'") == 0


@seed("0018")
def a_signature_of_the_spanish_text(db):
    db.insert("evidence", user_id=2, key="code-of-ethics", title="Code of ethics", status="accepted",
              signed_name="Ben Trainee", text_sha256="5" * 64, signed_language="es", signed_at=datetime(2026, 5, 5),
              note="", review_reason="")


@after_downgrade("0018")
def signatures_keep_their_text_digest_without_the_language(db):
    assert db.scalar("SELECT text_sha256 FROM evidence WHERE user_id = 2 AND key = 'code-of-ethics'") == "5" * 64


# --- 0019: the key of the hours form that sent an entry -------------------------------------------

@after_upgrade("0019")
def entries_so_far_have_no_key_and_do_not_collide(db):
    assert "ix_hour_entry_submission_key" in _index_names(db, "hour_entry")
    assert db.scalar("SELECT count(*) FROM hour_entry WHERE submission_key IS NULL") == db.scalar(
        "SELECT count(*) FROM hour_entry")


@seed("0019")
def an_entry_sent_with_its_forms_key(db):
    db.insert("hour_entry", id=7, trainee_id=2, kind="service", occurred_on=date(2026, 3, 4), minutes=60,
              domain="Advocacy", organisation="Drop-in", note="", provider="", status="withdrawn",
              review_comment="", signed_name="", signature_hash="", correction_reason="",
              submitted_at=datetime(2026, 3, 4, 18), submission_key="0" * 32)


@after_downgrade("0019")
def the_entry_stays_without_its_key(db):
    assert "ix_hour_entry_submission_key" not in _index_names(db, "hour_entry")
    assert db.scalar("SELECT minutes FROM hour_entry WHERE id = 7") == 60


# --- 0020: each trainee's running hour totals --------------------------------------------------------

@after_upgrade("0020")
def every_trainee_with_entries_has_their_totals(db):
    """The totals are those of the entries logged before the upgrade, per trainee."""
    expected = {}
    for trainee, kind, status, minutes, day, submitted in db.connection.execute(sa.text(
            "SELECT trainee_id, kind, status, minutes, occurred_on, submitted_at FROM hour_entry")):
        row = expected.setdefault(trainee, {"service": 0, "supervision": 0, "last": None, "pending": 0,
                                            "oldest": None})
        day, submitted = _as_date(day), _as_datetime(submitted)
        if status == "approved" and kind in ("service", "supervision"):
            row[kind] += minutes
            if kind == "supervision":
                row["last"] = max(filter(None, (row["last"], day)))
        if status == "pending":
            row["pending"] += 1
            row["oldest"] = min(filter(None, (row["oldest"], submitted)))
    stored = {trainee: {"service": service, "supervision": supervision, "last": _as_date(last),
                        "pending": pending, "oldest": _as_datetime(oldest)}
              for trainee, service, supervision, last, pending, oldest in db.connection.execute(sa.text(
                  "SELECT trainee_id, service_minutes, supervision_minutes, last_supervision, pending_count, "
                  "oldest_pending_at FROM hour_summary"))}
    assert expected and stored == expected
    assert any(row["pending"] for row in stored.values()) and any(row["last"] for row in stored.values())


def _as_date(value):
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _as_datetime(value):
    return datetime.fromisoformat(value) if isinstance(value, str) else value


@seed("0020")
def totals_of_a_trainee_without_entries(db):
    db.insert("hour_summary", trainee_id=9, service_minutes=0, supervision_minutes=0, pending_count=0)


@after_downgrade("0020")
def the_entries_stay_without_their_totals(db):
    assert "hour_summary" not in sa.inspect(db.connection).get_table_names()
    assert db.scalar("SELECT count(*) FROM hour_entry") > 0


# --- 0021: each trainee's stored burnout level ---------------------------------------------------------

@after_upgrade("0021")
def no_level_is_stored_until_a_list_works_it_out(db):
    assert db.scalar("SELECT count(*) FROM risk_assessment") == 0
    assert db.scalar("SELECT count(*) FROM hour_summary") > 0


@seed("0021")
def a_level_worked_out_and_one_cleared_since(db):
    db.insert("risk_assessment", trainee_id=9, revision=2, assessed_on=date(2026, 11, 30), settings="0" * 16,
              level=1, weight=1, level_without_wellbeing=0)
    db.insert("risk_assessment", trainee_id=2, revision=5)


@after_downgrade("0021")
def the_totals_stay_without_the_levels(db):
    assert "risk_assessment" not in sa.inspect(db.connection).get_table_names()
    assert db.scalar("SELECT count(*) FROM hour_summary") > 0


# --- 0022: names as lists search and sort them ---------------------------------------------------------

@after_upgrade("0022")
def every_name_is_kept_without_accents_or_case(db):
    keys = dict(db.connection.execute(sa.text('SELECT full_name, name_key FROM "user"')).all())
    assert keys["Lucía Pérez"] == "lucia perez" and keys["Ana Trainee"] == "ana trainee"
    assert all(key == name.lower() for name, key in keys.items() if name.isascii())
    assert not _name_index_exists(db)


@seed("0022")
def a_name_with_accents(db):
    db.insert("user", id=10, email="oscar@example.org", full_name="Óscar Álvarez", name_key="oscar alvarez",
              active=True, session_token="tok-oscar", created_at=datetime(2026, 12, 1))


@after_downgrade("0022")
def the_names_stay_and_their_index_is_back(db):
    assert "name_key" not in {c["name"] for c in sa.inspect(db.connection).get_columns("user")}
    assert db.scalar('SELECT full_name FROM "user" WHERE id = 8') == "Lucía Pérez"
    assert _name_index_exists(db)


# --- 0023: notifications in every language ------------------------------------------------------------

@after_upgrade("0023")
def each_message_is_kept_in_its_readers_language(db):
    messages = {event: json_value(texts) for event, texts in db.connection.execute(sa.text(
        "SELECT event_key, messages FROM notification WHERE event_key IN ('audit-1', 'audit-2')"))}
    assert messages == {"audit-1": {"en": "Sue returned your 2 h of peer support work for changes: add the "
                                          "organisation."},
                        "audit-2": {"en": "Ana is yours."}}
    assert "message" not in {c["name"] for c in sa.inspect(db.connection).get_columns("notification")}


@seed("0023")
def a_notification_in_two_languages_for_a_reader_of_spanish(db):
    db.insert("notification", user_id=8, kind="entry_approved", event_key="audit-3",
              messages={"en": "Sue approved your 1 h.", "es": "Sue aprobó su 1 h."}, endpoint="supervision.hours",
              link_args={}, created_at=datetime(2026, 12, 1))


@after_downgrade("0023")
def each_message_goes_back_to_its_readers_language(db):
    assert db.scalar("SELECT message FROM notification WHERE event_key = 'audit-3'") == "Sue aprobó su 1 h."
    assert db.scalar("SELECT message FROM notification WHERE event_key = 'audit-2'") == "Ana is yours."
    assert "messages" not in {c["name"] for c in sa.inspect(db.connection).get_columns("notification")}


# --- 0024: more attempts allowed to one trainee ---------------------------------------------------------

@after_upgrade("0024")
def an_allowance_of_no_attempt_is_refused(db):
    assert db.refuses("INSERT INTO attempt_allowance (user_id, quiz_id, after_attempts, extra, reason, granted_at) "
                      "VALUES (1, 1, 3, 0, 'none', '2026-12-02 09:00:00')")


@seed("0024")
def one_more_attempt_allowed_and_addresses_in_capitals(db):
    db.insert("attempt_allowance", user_id=1, quiz_id=1, after_attempts=3, extra=1,
              reason="Studied module 1 again with a mentor.", granted_by_id=2, granted_at=datetime(2026, 12, 2, 9))
    # For 0025. Two accounts whose addresses differ only in case: the second keeps its capitals.
    db.insert("user", id=11, email="Mixed.Case@Example.org", full_name="Mixed Case", name_key="mixed case",
              active=True, session_token="tok-mixed", created_at=datetime(2026, 12, 2), changed_later={"email"})
    db.insert("user", id=12, email="twin@example.org", full_name="Twin One", name_key="twin one",
              active=True, session_token="tok-twin-1", created_at=datetime(2026, 12, 2))
    db.insert("user", id=13, email="TWIN@example.org", full_name="Twin Two", name_key="twin two",
              active=True, session_token="tok-twin-2", created_at=datetime(2026, 12, 2))


@after_downgrade("0024")
def the_allowances_are_gone(db):
    assert "attempt_allowance" not in sa.inspect(db.connection).get_table_names()


# --- 0025: e-mail addresses in lower case ---------------------------------------------------------------

@after_upgrade("0025")
def every_address_is_in_lower_case_unless_its_twin_has_it(db):
    emails = dict(db.connection.execute(sa.text('SELECT id, email FROM "user" WHERE id IN (11, 12, 13)')).all())
    assert emails == {11: "mixed.case@example.org", 12: "twin@example.org", 13: "TWIN@example.org"}


@seed("0025")
def an_account_made_after_the_change(db):
    db.insert("user", id=14, email="after@example.org", full_name="After Change", name_key="after change",
              active=True, session_token="tok-after", created_at=datetime(2026, 12, 2))


# --- 0026: certificates by expiry date, documents waiting for review ---------------------------------

@after_upgrade("0026")
def expiring_certificates_and_waiting_documents_have_their_indexes(db):
    assert "ix_certificate_expires_on" in _index_names(db, "certificate")
    assert "ix_evidence_submitted" in _index_names(db, "evidence")
    assert db.scalar("SELECT count(*) FROM certificate WHERE expires_on >= '2026-01-01'") >= 1
    assert db.scalar("SELECT count(*) FROM evidence WHERE status = 'submitted'") >= 1


@seed("0026")
def a_certificate_near_expiry_and_a_document_waiting(db):
    db.insert("certificate", id=4, user_id=2, credential_id=1, cycle=1, number="PRS-2026-000104", code="T" * 20,
              holder_name="Ben Trainee", credential_slug="peer-recovery-specialist", credential_title="PRS",
              credential_description="", hours={"service": 30000}, issued_on=date(2024, 12, 20),
              expires_on=date(2026, 12, 20), issuer_name="Programme", signatory_name="", signatory_title="",
              verify_url="https://x.example/verify/t", design="classic", pdf=b"%PDF", pdf_sha256="t" * 64,
              status="valid", revoked_reason="", revoked_note="", pdf_public=False, issued_as="award",
              locale="en", translations={})
    db.insert("evidence", user_id=2, key="background-check", title="Background check", status="submitted",
              signed_name="", text_sha256="", signed_language="en", note="", review_reason="",
              created_at=datetime(2026, 12, 2, 15))


@after_downgrade("0026")
def the_indexes_are_gone_and_the_rows_stay(db):
    assert "ix_certificate_expires_on" not in _index_names(db, "certificate")
    assert "ix_evidence_submitted" not in _index_names(db, "evidence")
    assert db.scalar("SELECT count(*) FROM certificate") >= 1
