"""Demonstration accounts and believable activity, for trying the platform locally.

Never available in a production configuration. Safe to run repeatedly: what exists is
left alone.
"""
import random
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from training import audit
from training.auth.models import SupervisorAssignment, User, user_by_email
from training.auth.services import hash_password
from training.courses.models import Course, CourseCompletion, ModuleCompletion, TrainingCredit
from training.courses.services import complete_course, final_exam
from training.credentials.models import Credential, Enrolment
from training.extensions import db

FIRST_COURSE = "foundations-of-peer-recovery-support"

PEOPLE = [
    # email, name, roles, months in the programme
    ("admin@example.org", "Alex Morgan", {"admin"}, None),
    ("supervisor@example.org", "Sam Rivera", {"supervisor"}, None),
    ("trainer@example.org", "Taylor Brooks", {"trainer"}, None),
    ("trainee@example.org", "Jordan Lee", {"trainee"}, 3),
    ("ready@example.org", "Casey Taylor", {"trainee"}, 14),
    ("new.trainee@example.org", "Robin Okafor", {"trainee"}, 1),
    ("overdue.trainee@example.org", "Priya Shah", {"trainee"}, 4),
    ("busy.trainee@example.org", "Marcus Bell", {"trainee"}, 9),
    ("certified@example.org", "Dana Cruz", {"trainee"}, 38),
]
SUPERVISEES = ["trainee@example.org", "ready@example.org", "new.trainee@example.org",
               "overdue.trainee@example.org", "busy.trainee@example.org"]
ORGANISATIONS = ["Riverside Recovery Community Centre", "Harbour Street Drop-in", "Northgate Peer Support Line"]


class DemoRefused(Exception):
    pass


def _at(day, hour=10):
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _person(email, name, roles, months, password_hash):
    user = user_by_email(email)
    if user is not None:
        return user, False
    started = date.today() - timedelta(days=30 * months) if months is not None else None
    user = User(email=email, full_name=name, password_hash=password_hash,
                programme_started_on=started)
    user.set_roles(roles)
    db.session.add(user)
    audit.record("user.created", subject=user, roles=sorted(roles), demo=True)
    return user, True


def _pass_quiz(user, quiz, when, rng, wrong=1):
    """A believable passed attempt: every answer right but ``wrong`` of them."""
    from training.quizzes.services import attempts_of, start_attempt, submit_attempt
    from training.quizzes.types import model_answer

    if attempts_of(user, quiz):
        return
    attempt = start_attempt(user, quiz, now=when, rng=rng)
    responses = {slot.id: model_answer(slot.qtype, slot.data) for slot in attempt.slots[wrong:]}
    submit_attempt(attempt, responses, now=when + timedelta(minutes=14))


def _complete_modules(user, modules, first_day, rng):
    from training.courses.services import active_quiz, record_module_completion

    for offset, module in enumerate(modules):
        day = _at(first_day + timedelta(days=4 * offset))
        quiz = active_quiz(module)
        if quiz is not None:
            _pass_quiz(user, quiz, day, rng)
        else:
            record_module_completion(user, module)
        completion = db.session.scalar(select(ModuleCompletion).where(
            ModuleCompletion.user_id == user.id, ModuleCompletion.module_id == module.id))
        if completion is not None:
            completion.completed_at = day + timedelta(minutes=15)
    db.session.commit()


def _backdate_completion(user, course, when):
    """Demo trainees finished in the past; their records should say so."""
    completion = db.session.scalar(select(CourseCompletion).where(
        CourseCompletion.user_id == user.id, CourseCompletion.course_id == course.id))
    if completion is not None:
        completion.completed_at = when
        for credit in db.session.scalars(select(TrainingCredit).where(
                TrainingCredit.user_id == user.id, TrainingCredit.course_id == course.id)):
            credit.credited_at = when
        for event in db.session.scalars(select(audit.AuditEvent).where(
                audit.AuditEvent.action == "course.completed", audit.AuditEvent.subject_id == user.id)):
            event.created_at = when
    db.session.commit()


def _entry(trainee, supervisor, day, kind, minutes, domain, status="approved", **extra):
    from training.supervision.models import HourEntry
    from training.supervision.services import entry_digest

    entry = HourEntry(trainee_id=trainee.id, supervisor_id=supervisor.id, kind=kind, occurred_on=day,
                      minutes=minutes, domain=domain, status=status,
                      organisation=extra.pop("organisation", ORGANISATIONS[day.toordinal() % 3]),
                      submitted_at=_at(day, 18), **extra)
    db.session.add(entry)
    if status == "approved":
        db.session.flush()
        entry.reviewed_at, entry.signed_name = _at(day + timedelta(days=3), 9), supervisor.full_name
        entry.signature_hash = entry_digest(entry, entry.signed_name, entry.reviewed_at)
    return entry


def _weekly_work(trainee, supervisor, first, last, hours_per_week, domains, status="approved"):
    """Peer support shifts, three a week, spread across the domains."""
    day, index = first, 0
    while day <= last:
        if day.weekday() in (0, 2, 4):
            _entry(trainee, supervisor, day, "service", int(hours_per_week * 60 / 3), domains[index % len(domains)],
                   status=status)
            index += 1
        day += timedelta(days=1)


def _monthly_supervision(trainee, supervisor, first, last, minutes, domains, every_days=14):
    day, index = last, 0
    while day >= first:
        _entry(trainee, supervisor, day, "supervision", minutes, domains[index % len(domains)],
               supervision_format="group" if index % 3 == 2 else "individual",
               note="Reflective supervision: boundaries, self-care and recent conversations.")
        day -= timedelta(days=every_days)
        index += 1


def _demo_certificate_pdf():
    from weasyprint import HTML

    return HTML(string="<h1 style='font-family:DejaVu Sans'>Certificate of attendance</h1>"
                       "<p style='font-family:DejaVu Sans'>Demonstration training certificate.</p>").write_pdf()


def _demo_hours(people, supervisor):
    """A supervisee in each state: all fine, supervision overdue, over the weekly cap, entries pending."""
    import hashlib

    from training.supervision.models import Attachment, HourEntry, WellbeingCheckIn

    today = date.today()
    domains = db.session.scalar(select(Credential).where(Credential.slug == "peer-recovery-specialist")).domains
    if db.session.scalar(select(HourEntry).limit(1)) is not None:
        return
    ready = people["ready@example.org"]
    # Casey: every hour of the default credential approved, supervised regularly: all fine.
    _weekly_work(ready, supervisor, today - timedelta(days=7 * 52), today - timedelta(days=3), 9.75, domains)
    _monthly_supervision(ready, supervisor, today - timedelta(days=7 * 52), today - timedelta(days=10), 60,
                         domains, every_days=14)
    pdf = _demo_certificate_pdf()
    for domain, hours in (("Advocacy", 8), ("Mentoring/Education", 7), ("Recovery/Wellness Support", 7),
                          ("Ethical Responsibility", 14)):
        attachment = Attachment(owner_id=ready.id, filename="certificate.pdf", content_type="application/pdf",
                                size=len(pdf), sha256=hashlib.sha256(pdf).hexdigest(), data=pdf)
        _entry(ready, supervisor, today - timedelta(days=200 + hours), "training", hours * 60, domain,
               provider="Regional Peer Workforce Academy", attachment=attachment)
    # Robin: a month in, since before the demo cohort began; supervised weekly, nothing else logged yet.
    robin = people["new.trainee@example.org"]
    _monthly_supervision(robin, supervisor, robin.programme_started_on, today - timedelta(days=4), 60, domains,
                         every_days=7)
    # Jordan: supervised last week, but three entries waiting, the oldest for 17 days.
    jordan = people["trainee@example.org"]
    _weekly_work(jordan, supervisor, today - timedelta(days=70), today - timedelta(days=20), 15, domains)
    _monthly_supervision(jordan, supervisor, today - timedelta(days=70), today - timedelta(days=5), 60, domains,
                         every_days=7)
    for offset in (17, 9, 4):
        _entry(jordan, supervisor, today - timedelta(days=offset), "service", 180, domains[offset % 4],
               status="pending", note="Shift at the drop-in: welcome desk and one-to-one conversations.")
    # Priya: no supervision for 23 days in her first months: at risk, at the top of the list.
    priya = people["overdue.trainee@example.org"]
    _weekly_work(priya, supervisor, today - timedelta(days=110), today - timedelta(days=2), 18, domains)
    _monthly_supervision(priya, supervisor, today - timedelta(days=110), today - timedelta(days=23), 60, domains,
                         every_days=7)
    # Marcus: supervised, but 48 hours of peer support work last week, over the 40-hour cap.
    marcus = people["busy.trainee@example.org"]
    _weekly_work(marcus, supervisor, today - timedelta(days=250), today - timedelta(days=14), 24, domains)
    last_monday = today - timedelta(days=today.weekday() + 7)
    for offset in range(6):
        _entry(marcus, supervisor, last_monday + timedelta(days=offset), "service", 8 * 60, domains[offset % 4])
    _monthly_supervision(marcus, supervisor, today - timedelta(days=250), today - timedelta(days=12), 90, domains,
                         every_days=7)
    # Marcus shares his wellbeing flag, and his check-ins have been falling.
    marcus.wellbeing_shared = True
    for offset, (energy, stress) in enumerate([(3, 3), (3, 4), (3, 3), (4, 3), (4, 2), (4, 3)]):
        db.session.add(WellbeingCheckIn(user_id=marcus.id, day=today - timedelta(days=offset * 2), energy=energy,
                                        stress=stress, workload=stress, supported=3, rest=energy))
    db.session.commit()


DEMO_COHORT = "Spring cohort, evenings"
LIVE_TRAINING = "peer-recovery-core-live"


def _demo_cohort(people):
    """A live cohort in progress: three sessions confirmed, one running now, one tomorrow."""
    from training.cohorts.loader import sync_trainings
    from training.cohorts.models import Cohort, LiveTraining
    from training.cohorts.services import CohortInput, confirm, create_cohort, enrol, mark
    from training.credentials.evaluation import default_credential
    from training.db_types import utcnow
    from training.notifications.services import untold

    if db.session.scalar(select(Cohort).where(Cohort.title == DEMO_COHORT)) is not None:
        return
    training = db.session.scalar(select(LiveTraining).where(LiveTraining.slug == LIVE_TRAINING))
    if training is None:
        sync_trainings(current_app.config["TRAININGS_DIR"])
        training = db.session.scalar(select(LiveTraining).where(LiveTraining.slug == LIVE_TRAINING))
    credential = default_credential()
    if training is None or credential is None:
        return
    trainer, admin = people["trainer@example.org"], people["admin@example.org"]
    today = date.today()
    first_event = (db.session.scalar(select(db.func.max(audit.AuditEvent.id))) or 0) + 1
    cohort = create_cohort(admin, CohortInput(
        title=DEMO_COHORT, starts_on=today - timedelta(days=21), ends_on=today + timedelta(days=60),
        delivery="in_person", capacity=12, address="Riverside Recovery Community Centre, 14 Mill Lane, Room 2"),
        training, credential, [trainer], first_start=time(18, 0))
    # Weekly from three weeks ago; the fourth runs now (so check-in can be tried) and the
    # fifth is tomorrow evening (so the day-before reminder has something to send).
    now = utcnow().replace(second=0, microsecond=0)
    running = now - timedelta(minutes=now.minute % 15 + 60)
    for index, session in enumerate(cohort.sessions):
        length = session.ends_at - session.starts_at
        if index == 3:
            session.starts_at = running
        elif index >= 4:
            session.starts_at = datetime.combine(today + timedelta(days=1 + 7 * (index - 4)), time(18), tzinfo=UTC)
        session.ends_at = session.starts_at + length
    db.session.commit()
    trainees = [people[e] for e in ("trainee@example.org", "new.trainee@example.org", "overdue.trainee@example.org")]
    with untold():  # three weeks ago in the demo's story: not news today
        for trainee in trainees:
            member = enrol(admin, cohort, trainee)
            # Dated in the story too: a place given today would not cover the sessions already held.
            member.requested_at = member.enrolled_at = cohort.sessions[0].starts_at - timedelta(days=7)
    for event in db.session.scalars(select(audit.AuditEvent).where(audit.AuditEvent.id >= first_event)):
        event.created_at = member.enrolled_at  # the cohort made and its places given, in the audit log too
    db.session.commit()
    marks = [{}, {"new.trainee@example.org": ("late", 30)},
             {"new.trainee@example.org": ("absent", 0), "overdue.trainee@example.org": ("left_early", 60)}]
    for session, changes in zip(cohort.sessions[:3], marks, strict=True):
        before = db.session.scalar(select(db.func.max(audit.AuditEvent.id))) or 0
        for trainee in trainees:
            status, missed = changes.get(trainee.email, ("present", 0))
            mark(trainer, session, trainee, status, missed)
        with untold():  # weeks ago, in the story the demo tells: not news today
            confirm(trainer, session, trainer.full_name, now=session.ends_at)
        session.confirmed_at = session.ends_at
        for event in db.session.scalars(select(audit.AuditEvent).where(audit.AuditEvent.id > before)):
            event.created_at = session.ends_at  # the audit log tells the same story
    db.session.commit()


def _demo_renewal(people):
    """Dana was certified almost two years ago: her certificate expires in three weeks, and she has
    logged part of the continuing education its renewal asks for (two of six hours in ethics)."""
    from training.certificates.models import Certificate
    from training.certificates.services import add_months, issue
    from training.notifications.services import untold
    from training.supervision.models import HourEntry

    dana, admin = people["certified@example.org"], people["admin@example.org"]
    credential = db.session.scalar(select(Credential).where(Credential.slug == "peer-recovery-specialist"))
    if credential is None or db.session.scalar(select(Certificate).where(Certificate.user_id == dana.id)):
        return
    today = date.today()
    issued_on = add_months(today + timedelta(days=21), -credential.validity_months)
    domains = credential.domains
    if db.session.scalar(select(HourEntry).where(HourEntry.trainee_id == dana.id).limit(1)) is None:
        # The year before her certificate, approved by the administrator (she has no supervisor now).
        _weekly_work(dana, admin, issued_on - timedelta(days=7 * 52), issued_on - timedelta(days=7), 9.75, domains)
        _monthly_supervision(dana, admin, issued_on - timedelta(days=7 * 52), issued_on - timedelta(days=14), 60,
                             domains, every_days=14)
        for domain, hours in zip(domains, (10, 8, 8, 16), strict=False):
            _entry(dana, admin, issued_on - timedelta(days=120 + hours), "training", hours * 60, domain,
                   provider="Regional Peer Workforce Academy")
        db.session.commit()
    with untold():  # issued long ago in the demo's story: not news today
        certificate, _created = issue(dana, credential, actor=admin, today=issued_on, check=False)
    for event in db.session.scalars(select(audit.AuditEvent).where(audit.AuditEvent.subject_id == dana.id,
                                                                   audit.AuditEvent.action == "certificate.issued")):
        event.created_at = _at(issued_on)
    # Since then: continuing education toward renewal, some of it in ethics.
    for months_ago, hours, category in ((14, 6, ""), (8, 2, "ethics"), (5, 4, ""), (2, 2, "")):
        _entry(dana, admin, add_months(today, -months_ago), "training", hours * 60, domains[months_ago % 4],
               provider="Regional Peer Workforce Academy", category=category)
    db.session.commit()


def _demo_second_credential(trainee):
    """Jordan also works toward the state-shaped credential, which asks for a signed code of ethics."""
    state = db.session.scalar(select(Credential).where(Credential.slug == "state-peer-support-specialist"))
    if state is None or db.session.scalar(select(Enrolment).where(Enrolment.user_id == trainee.id,
                                                                  Enrolment.credential_id == state.id)):
        return
    db.session.add(Enrolment(user_id=trainee.id, credential_id=state.id,
                             started_on=trainee.programme_started_on + timedelta(days=14)))
    db.session.commit()


def load_demo():
    """Create the demo people, a supervisor assignment and course progress."""
    if not current_app.config["DEMO_DATA_ALLOWED"]:
        raise DemoRefused(_("Demo data is never created in a production configuration."))
    password_hash = hash_password(current_app.config["DEMO_PASSWORD"])
    people, created = {}, 0
    for email, name, roles, months in PEOPLE:
        people[email], is_new = _person(email, name, roles, months, password_hash)
        created += is_new
    db.session.commit()

    supervisor = people["supervisor@example.org"]
    for email in SUPERVISEES:
        trainee = people[email]
        if not db.session.scalar(select(SupervisorAssignment).where(
                SupervisorAssignment.trainee_id == trainee.id)):
            db.session.add(SupervisorAssignment(supervisor=supervisor, trainee=trainee,
                                                starts_on=trainee.programme_started_on))
    db.session.commit()

    course = db.session.scalar(select(Course).where(Course.slug == FIRST_COURSE))
    if course is not None:
        rng = random.Random(2026)
        modules = course.active_modules
        trainee, ready = people["trainee@example.org"], people["ready@example.org"]
        _complete_modules(trainee, modules[:3], trainee.programme_started_on + timedelta(days=10), rng)
        first_day = ready.programme_started_on + timedelta(days=7)
        _complete_modules(ready, modules, first_day, rng)
        finished_on = _at(first_day + timedelta(days=4 * len(modules)))
        exam = final_exam(course)
        if exam is not None:
            _pass_quiz(ready, exam, finished_on, rng, wrong=3)
        complete_course(ready, course)
        _backdate_completion(ready, course, finished_on + timedelta(minutes=65))
    db.session.commit()
    if db.session.scalar(select(Credential)) is not None:
        _demo_hours(people, supervisor)
        _demo_cohort(people)
        _demo_second_credential(people["trainee@example.org"])
        _demo_renewal(people)
    summary = ngettext("Demo data ready: %(num)d account created, %(existing)d already there.",
                       "Demo data ready: %(num)d accounts created, %(existing)d already there.",
                       created, existing=len(PEOPLE) - created)
    if course is None:
        summary += " " + _("The courses are not loaded yet: run `flask --app app courses sync` first.")
    return summary
