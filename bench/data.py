"""A programme's worth of data, written set-based (INSERT ... SELECT generate_series) on PostgreSQL.

Rows written outside the ORM skip what the application keeps derived from them, so the
credentials' stored results are refreshed at the end, as the daily job would.
"""
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Integer, bindparam, text

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-1"
FIRST_COURSE = "foundations-of-peer-recovery-support"
CASELOAD = 50
LEAD_CASELOAD = 300
# One trainee in READY_EVERY has done everything the shipped credential asks, so the eligibility
# page lists hundreds of people waiting for a certificate, as a programme's does before a ceremony.
READY_EVERY = 20
# What those trainees have on top of the year of ordinary entries: long shifts of peer-support
# work (500 hours in all), two days of training in each domain and 26 hours of supervision.
READY_SHIFTS, READY_SHIFT_MINUTES = 42, 720
READY_TRAINING = ["Advocacy", "Mentoring/Education", "Recovery/Wellness Support", "Ethical Responsibility"] * 2
READY_SUPERVISIONS = 13  # of two hours each


@dataclass
class Size:
    label: str
    trainees: int
    entries: int
    attempts: int
    certificates: int
    audit_events: int

    @property
    def supervisors(self):
        return self.trainees // CASELOAD

    @property
    def ready(self):
        return self.trainees // READY_EVERY

    @property
    def ready_entries(self):
        """The entries of the trainees who are ready, counted in ``entries``."""
        return self.ready * (READY_SHIFTS + len(READY_TRAINING) + READY_SUPERVISIONS)


FULL = Size("10,000 trainees, 1,000,000 entries", 10_000, 1_000_000, 200_000, 1_000, 200_000)
SMALL = Size("1,000 trainees, 100,000 entries", 1_000, 100_000, 20_000, 100, 20_000)


def _run(sql, **params):
    from training.extensions import db

    # Numbers are bound as integers: psycopg would send small ones as smallint, and products overflow.
    statement = text(sql).bindparams(*(bindparam(k, type_=Integer) for k, v in params.items()
                                       if isinstance(v, int)))
    return db.session.execute(statement, params)


def _people(size, password_hash):
    _run("""
        INSERT INTO "user" (email, full_name, name_key, password_hash, active, session_token, programme_started_on,
                            wellbeing_shared, created_at)
        SELECT 'trainee' || n || '@bench.example', 'Bench Trainee ' || lpad(n::text, 5, '0'),
               'bench trainee ' || lpad(n::text, 5, '0'), :hash, true,
               md5('bench-trainee-' || n), current_date - 30 - (n % 500), n % 3 = 0, now()
        FROM generate_series(1, :trainees) AS n""", hash=password_hash, trainees=size.trainees)
    _run("""
        INSERT INTO "user" (email, full_name, name_key, password_hash, active, session_token, wellbeing_shared,
                            created_at)
        SELECT 'supervisor' || n || '@bench.example', 'Bench Supervisor ' || lpad(n::text, 3, '0'),
               'bench supervisor ' || lpad(n::text, 3, '0'), :hash, true, md5('bench-supervisor-' || n), false, now()
        FROM generate_series(1, :supervisors) AS n
        UNION ALL
        SELECT 'lead@bench.example', 'Bench Lead Supervisor', 'bench lead supervisor', :hash, true, md5('bench-lead'),
               false, now()""",
         hash=password_hash, supervisors=size.supervisors)
    _run("""
        INSERT INTO user_role (user_id, role)
        SELECT id, CASE WHEN email LIKE 'trainee%' THEN 'trainee' ELSE 'supervisor' END
        FROM "user" WHERE email LIKE '%@bench.example'""")
    # Each supervisor has 50 supervisees; the lead also supervises the first 300 (an older
    # assignment, so their entries go to their own supervisor for approval).
    # Working tables are ordinary (unlogged) ones, not temporary: issuing a certificate through the
    # app between the steps may hand the session another pooled connection, which would not see them.
    _run("""
        CREATE UNLOGGED TABLE bench_trainee AS
        SELECT u.id, substr(split_part(u.email, '@', 1), 8)::int AS n,
               s.id AS supervisor_id
        FROM "user" u
        JOIN "user" s ON s.email = 'supervisor' || ((substr(split_part(u.email, '@', 1), 8)::int - 1) / :caseload + 1)
                                  || '@bench.example'
        WHERE u.email LIKE 'trainee%@bench.example'""", caseload=CASELOAD)
    _run("CREATE UNIQUE INDEX ON bench_trainee (n)")
    _run("ANALYZE bench_trainee")
    _run("""
        INSERT INTO supervisor_assignment (supervisor_id, trainee_id, starts_on, created_at)
        SELECT supervisor_id, id, current_date - 400, now() FROM bench_trainee
        UNION ALL
        SELECT (SELECT id FROM "user" WHERE email = 'lead@bench.example'), id, current_date - 500, now()
        FROM bench_trainee WHERE n <= :lead""", lead=LEAD_CASELOAD)


def _hour_entries(size):
    # Spread over the last year; the latest month has entries waiting for approval.
    _run("""
        INSERT INTO hour_entry (trainee_id, kind, occurred_on, minutes, domain, organisation, note, provider,
                                supervision_format, attributes, category, status, supervisor_id, review_comment,
                                signed_name, signature_hash, correction_reason, submitted_at, created_at,
                                reviewed_at)
        SELECT t.id, e.kind, e.day, e.minutes,
               (ARRAY['Advocacy', 'Mentoring/Education', 'Recovery/Wellness Support',
                      'Ethical Responsibility'])[1 + e.i % 4],
               'Bench Recovery Centre', '', CASE WHEN e.kind = 'training' THEN 'Bench Provider' ELSE '' END,
               CASE WHEN e.kind = 'supervision' THEN (ARRAY['individual', 'group'])[1 + e.i % 2] END, '', '',
               e.status, t.supervisor_id, '', CASE WHEN e.status = 'approved' THEN 'Bench Supervisor' ELSE '' END,
               '', '', e.day + time '17:00', e.day + time '17:00',
               CASE WHEN e.status <> 'pending' THEN e.day + time '18:00' END
        FROM (SELECT i, 1 + i % :trainees AS n,
                     (ARRAY['service', 'service', 'service', 'service', 'supervision', 'training'])[1 + (i / 7) % 6]
                         AS kind,
                     (ARRAY[60, 90, 120, 180, 240])[1 + (i / 3) % 5] AS minutes,
                     current_date - ((i::bigint * 7919) % 365)::int AS day,
                     CASE WHEN (i::bigint * 7919) % 365 < 30 AND i % 3 = 0 THEN 'pending'
                          WHEN i % 41 = 0 THEN 'returned' WHEN i % 43 = 0 THEN 'withdrawn'
                          ELSE 'approved' END AS status
              FROM generate_series(1, :entries) AS i) AS e
        JOIN bench_trainee t ON t.n = e.n""", trainees=size.trainees, entries=size.entries - size.ready_entries)


def _ready_trainees(size):
    """Every READY_EVERY-th trainee meets the shipped credential: the hours it asks for beyond a
    year of ordinary entries, the course completed and its final exam passed."""
    _run("""
        INSERT INTO hour_entry (trainee_id, kind, occurred_on, minutes, domain, organisation, note, provider,
                                supervision_format, attributes, category, status, supervisor_id, review_comment,
                                signed_name, signature_hash, correction_reason, submitted_at, created_at,
                                reviewed_at)
        SELECT t.id, w.kind, current_date - 60 - w.i, w.minutes, w.domain, 'Bench Recovery Centre', '',
               CASE WHEN w.kind = 'training' THEN 'Bench Provider' ELSE '' END,
               CASE WHEN w.kind = 'supervision' THEN 'individual' END, '', '', 'approved',
               t.supervisor_id, '', 'Bench Supervisor', '', '', now(), now(), now()
        FROM bench_trainee t
        CROSS JOIN (SELECT i, 'service' AS kind, :shift AS minutes, 'Advocacy' AS domain
                    FROM generate_series(1, :shifts) AS i
                    UNION ALL
                    SELECT CAST(:shifts + d.i AS integer), 'training', 480, d.domain
                    FROM unnest(CAST(:training AS text[])) WITH ORDINALITY AS d(domain, i)
                    UNION ALL
                    SELECT 100 + i, 'supervision', 120, 'Advocacy'
                    FROM generate_series(1, :supervisions) AS i) AS w
        WHERE t.n % :every = 0""", shift=READY_SHIFT_MINUTES, shifts=READY_SHIFTS, training=READY_TRAINING,
         supervisions=READY_SUPERVISIONS, every=READY_EVERY)
    _run("""
        INSERT INTO course_completion (user_id, course_id, completed_at)
        SELECT t.id, q.course_id, now() - interval '30 days'
        FROM bench_trainee t CROSS JOIN quiz q JOIN course c ON c.id = q.course_id
        WHERE t.n % :every = 0 AND q.module_id IS NULL AND q.active AND c.slug = :course""",
         every=READY_EVERY, course=FIRST_COURSE)
    _run("""
        INSERT INTO quiz_attempt (quiz_id, user_id, number, started_at, submitted_at, score, passed, pass_mark)
        SELECT q.id, t.id, 1, now() - interval '31 days', now() - interval '31 days' + interval '40 minutes',
               0.9, true, q.pass_mark
        FROM bench_trainee t CROSS JOIN quiz q JOIN course c ON c.id = q.course_id
        WHERE t.n % :every = 0 AND q.module_id IS NULL AND q.active AND c.slug = :course""",
         every=READY_EVERY, course=FIRST_COURSE)


def _quiz_attempts(size):
    _run("""
        CREATE UNLOGGED TABLE bench_quiz AS
        SELECT row_number() OVER (ORDER BY id) - 1 AS k, id, pass_mark FROM quiz WHERE module_id IS NOT NULL""")
    quizzes = _run("SELECT count(*) FROM bench_quiz").scalar()
    if not quizzes:
        return
    _run("""
        INSERT INTO quiz_attempt (quiz_id, user_id, number, started_at, submitted_at, score, passed, pass_mark)
        SELECT q.id, t.id, a.i / (:trainees * :quizzes) + 1, a.at, a.at + interval '20 minutes', a.score,
               a.score * 100 >= q.pass_mark, q.pass_mark
        FROM (SELECT i, 1 + i % :trainees AS n, (i / :trainees) % :quizzes AS k,
                     now() - ((i::bigint * 7919) % 365) * interval '1 day' AS at, ((i::bigint * 37) % 101) / 100.0 AS score
              FROM generate_series(0, :attempts - 1) AS i) AS a
        JOIN bench_trainee t ON t.n = a.n JOIN bench_quiz q ON q.k = a.k""",
         trainees=size.trainees, quizzes=quizzes, attempts=size.attempts)


def _certificates(size, model_id):
    """Copies of one certificate issued through the application, for the first trainees."""
    _run("""
        INSERT INTO certificate (user_id, credential_id, cycle, number, code, holder_name, credential_slug,
                                 credential_title, credential_description, hours, issued_on, expires_on,
                                 issuer_name, signatory_name, signatory_title, verify_url, design, pdf, pdf_sha256,
                                 status, revoked_reason, revoked_note, pdf_public, issued_as, issued_by_id,
                                 created_at)
        SELECT t.id, c.credential_id, 1, 'BENCH-' || lpad(t.n::text, 6, '0'),
               upper(substr(md5('bench-code-' || t.n), 1, 20)), 'Bench Trainee ' || lpad(t.n::text, 5, '0'),
               c.credential_slug, c.credential_title, c.credential_description, c.hours,
               current_date - (t.n % 300), current_date - (t.n % 300) + 730, c.issuer_name, c.signatory_name,
               c.signatory_title, c.verify_url, c.design, c.pdf, c.pdf_sha256,
               CASE WHEN t.n % 25 = 0 THEN 'revoked' ELSE 'valid' END, '', '', t.n % 2 = 0, c.issued_as,
               c.issued_by_id, now()
        FROM bench_trainee t CROSS JOIN (SELECT * FROM certificate WHERE id = :model) c
        WHERE t.n > :trainees - :certificates""",
         model=model_id, trainees=size.trainees, certificates=size.certificates)


def _audit_events(size):
    _run("""
        INSERT INTO audit_event (created_at, actor_id, action, subject_id, details)
        SELECT now() - (i::bigint * 7919 % 365) * interval '1 day', t.supervisor_id, 'hours.approved', t.id,
               json_build_object('entry', i, 'minutes', 60, 'comment', '')
        FROM generate_series(1, :events) AS i JOIN bench_trainee t ON t.n = 1 + i % :trainees""",
         events=size.audit_events, trainees=size.trainees)


def _vacuum():
    """Statistics and the visibility map as autovacuum keeps them on a live database (a fresh bulk
    load has neither, and index-only scans would look worse than they are)."""
    from training.extensions import db

    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def build(size, log=print):
    """Fill an empty, migrated database: the shipped courses and credentials, the demo people, then
    ``size``'s trainees, supervisors, hours, quiz attempts, certificates and audit events."""
    from training.auth.models import user_by_email
    from training.auth.services import hash_password
    from training.certificates.services import issue
    from training.cohorts.loader import sync_trainings
    from training.courses.services import sync_courses
    from training.credentials.evaluation import refresh_all
    from training.credentials.loader import sync_credentials
    from training.credentials.models import Credential
    from training.demo import load_demo
    from training.extensions import db
    from training.supervision.summary import rebuild as rebuild_hour_summaries

    def step(label, fn, *args):
        started = time.perf_counter()
        result = fn(*args)
        db.session.commit()
        log(f"  {label:40} {time.perf_counter() - started:6.1f} s")
        return result

    step("courses, credentials, demo people", lambda: (
        sync_courses(ROOT / "courses"), sync_credentials(ROOT / "certificates" / "credentials"),
        sync_trainings(ROOT / "trainings"), load_demo()))
    step("trainees and supervisors", _people, size, hash_password(PASSWORD))
    step(f"{size.entries - size.ready_entries:,} hour entries", _hour_entries, size)
    step(f"{size.ready:,} trainees ready for a certificate", _ready_trainees, size)
    step("each trainee's hour totals", rebuild_hour_summaries)
    step(f"{size.attempts:,} quiz attempts", _quiz_attempts, size)
    credential = db.session.scalar(db.select(Credential).where(Credential.slug == "peer-recovery-specialist"))
    model = step("one certificate issued by the app", lambda: issue(user_by_email("ready@example.org"),
                                                                      credential)[0])
    step(f"{size.certificates:,} certificates", _certificates, size, model.id)
    step(f"{size.audit_events:,} audit events", _audit_events, size)
    step("working tables dropped", _run, "DROP TABLE bench_trainee, bench_quiz")
    # Credentials keep each enrolment's result; rows written above went around that, so refresh.
    step("credential results refreshed", refresh_all)
    # Last, so that the planner's statistics count the eligible enrolments the refresh marked.
    step("VACUUM ANALYZE", _vacuum)
    return model
