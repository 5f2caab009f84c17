"""Every route, for every role: who may see or do what. And CSRF on every form.

A new route fails ``test_every_route_is_in_the_matrix`` until it is added here, so access
rules are decided, never forgotten.
"""
from datetime import date

import pytest

from training.auth.models import SupervisorAssignment
from training.badges.models import BadgeHolder, IssuerKey
from training.certificates.jobs import start_zip
from training.certificates.services import issue
from training.courses.models import ModuleCompletion
from training.credentials.models import Credential, Enrolment, Evidence
from training.credentials.schema import parse
from training.extensions import db
from training.quizzes.services import start_attempt, submit_attempt
from training.supervision.models import Attachment, HourEntry

from .conftest import login

ROLES = ["anonymous", "trainee", "other_trainee", "supervisor", "trainer", "admin"]
SIGNED_IN = {"anonymous": "login", "trainee": 200, "other_trainee": 200, "supervisor": 200, "trainer": 200, "admin": 200}
ADMIN_ONLY = {"anonymous": "login", "trainee": 403, "other_trainee": 403, "supervisor": 403, "trainer": 403,
              "admin": 200}
ADMIN_ACTION = {**ADMIN_ONLY, "admin": 302}
TRAINEE_ONLY = {"anonymous": "login", "trainee": 200, "other_trainee": 200, "supervisor": 403, "trainer": 403,
                "admin": 403}
SUPERVISOR_ONLY = {"anonymous": "login", "trainee": 403, "other_trainee": 403, "supervisor": 200, "trainer": 403,
                   "admin": 403}
# A job started by admin: nobody else learns that it exists.
STARTER_ONLY = {"anonymous": "login", "trainee": 404, "other_trainee": 404, "supervisor": 404, "trainer": 404,
                "admin": 200}
# Routes about one supervisee: the supervisee here is other_trainee, supervised by supervisor.
ABOUT_SUPERVISEE = {"anonymous": "login", "trainee": 403, "other_trainee": 403, "supervisor": 200, "trainer": 403,
                    "admin": 200}
# An hour entry of other_trainee's: only its owner may change it.
OWN_ENTRY = {"anonymous": "login", "trainee": 404, "other_trainee": 200, "supervisor": 403, "trainer": 403,
             "admin": 403}
# A cohort trained by trainer, with other_trainee enrolled and trainee not: its trainers and
# administrators run it; its trainees see their own part.
COHORT_MANAGERS = {"anonymous": "login", "trainee": 403, "other_trainee": 403, "supervisor": 403, "trainer": 200,
                   "admin": 200}
COHORT_ACTION = {**COHORT_MANAGERS, "trainer": 302, "admin": 302}
COHORT_PEOPLE = {"anonymous": "login", "trainee": 200, "other_trainee": 200, "supervisor": 403, "trainer": 200,
                 "admin": 200}
LEARNER_ACTION = {"anonymous": "login", "trainee": 302, "other_trainee": 302, "supervisor": 403, "trainer": 403,
                  "admin": 403}

# endpoint: (method, expected status per role; "login" means a redirect to the sign-in page)
MATRIX = {
    "core.index": ("GET", {r: 302 for r in ROLES}),
    "operations.healthz": ("GET", {r: 200 for r in ROLES}),
    "operations.readyz": ("GET", {r: 200 for r in ROLES}),
    "core.dashboard": ("GET", SIGNED_IN),
    # Anyone may choose the language of the pages; the answer goes back to the page they were on.
    "core.set_language": ("POST", {r: 302 for r in ROLES}),
    "auth.login": ("GET", {"anonymous": 200, **{r: 302 for r in ROLES if r != "anonymous"}}),
    "auth.logout": ("POST", {**{r: 302 for r in ROLES}, "anonymous": "login"}),
    "auth.account": ("GET", SIGNED_IN),
    "auth.register": ("GET", {r: 404 for r in ROLES}),
    "auth.forgot_password": ("GET", {r: 200 for r in ROLES}),
    "auth.accept_invitation": ("GET", {r: 404 for r in ROLES}),
    "auth.reset_password": ("GET", {r: 404 for r in ROLES}),
    "courses.catalogue": ("GET", SIGNED_IN),
    "courses.course": ("GET", SIGNED_IN),
    "courses.module": ("GET", SIGNED_IN),
    "courses.complete": ("POST", LEARNER_ACTION),
    # The first module asks for no written reflection: the form answers with that message.
    "courses.reflection": ("POST", {**LEARNER_ACTION, "trainee": 400, "other_trainee": 400}),
    "admin.people": ("GET", ADMIN_ONLY),
    "admin.invite_person": ("GET", ADMIN_ONLY),
    "admin.invite_from_file": ("GET", ADMIN_ONLY),
    # Sent with no file content, the confirmation invites nobody and says the file is empty.
    "admin.invite_from_file_confirm": ("POST", {**ADMIN_ONLY, "admin": 400}),
    "admin.invite_template": ("GET", ADMIN_ONLY),
    "admin.people_csv": ("GET", ADMIN_ONLY),
    "admin.person": ("GET", ADMIN_ONLY),
    "admin.person_roles": ("POST", ADMIN_ACTION),
    "admin.person_deactivate": ("POST", ADMIN_ACTION),
    "admin.person_reactivate": ("POST", ADMIN_ACTION),
    "admin.person_resend_invitation": ("POST", ADMIN_ACTION),
    "admin.person_assign": ("POST", ADMIN_ACTION),
    "admin.person_allow_attempt": ("POST", ADMIN_ACTION),
    "admin.assignment_end": ("POST", ADMIN_ACTION),
    "admin.courses": ("GET", ADMIN_ONLY),
    "admin.courses_sync": ("POST", ADMIN_ACTION),
    "admin.audit_log": ("GET", ADMIN_ONLY),
    "admin.programme": ("GET", ADMIN_ONLY),
    "admin.programme_csv": ("GET", ADMIN_ONLY),
    "quizzes.overview": ("GET", SIGNED_IN),
    "quizzes.start": ("POST", LEARNER_ACTION),
    # The trainee's own finished attempt: the owner is sent on to its review; anyone else's
    # answers as a missing page.
    "quizzes.attempt": ("GET", {**LEARNER_ACTION, "other_trainee": 404}),
    "quizzes.review": ("GET", {**TRAINEE_ONLY, "other_trainee": 404}),
    "quizzes.bank": ("GET", ADMIN_ONLY),
    "quizzes.import_bank": ("GET", ADMIN_ONLY),
    "quizzes.import_confirm": ("POST", ADMIN_ACTION),
    "quizzes.export_bank": ("GET", ADMIN_ONLY),
    "quizzes.statistics": ("GET", ADMIN_ONLY),
    "supervision.hours": ("GET", TRAINEE_ONLY),
    "supervision.new_entry": ("GET", TRAINEE_ONLY),
    "supervision.edit": ("GET", OWN_ENTRY),
    "supervision.certificate": ("GET", {**OWN_ENTRY, "supervisor": 200, "admin": 200}),
    "supervision.withdraw_confirm": ("GET", OWN_ENTRY),
    "supervision.withdraw": ("POST", {**OWN_ENTRY, "other_trainee": 302}),
    "supervision.progress": ("GET", TRAINEE_ONLY),
    "supervision.export_own": ("GET", TRAINEE_ONLY),
    "supervision.wellbeing": ("GET", TRAINEE_ONLY),
    "supervision.wellbeing_sharing": ("POST", {**TRAINEE_ONLY, "trainee": 302, "other_trainee": 302}),
    "supervision.supervisees": ("GET", SUPERVISOR_ONLY),
    # Administrators review the entries of trainees nobody supervises.
    "supervision.review": ("GET", {**SUPERVISOR_ONLY, "admin": 200}),
    "supervision.new_session": ("GET", SUPERVISOR_ONLY),
    "supervision.supervisee": ("GET", ABOUT_SUPERVISEE),
    "supervision.export_supervisee": ("GET", ABOUT_SUPERVISEE),
    "supervision.report": ("GET", ABOUT_SUPERVISEE),
    "supervision.correct": ("GET", ADMIN_ONLY),
    "certificates.verify_form": ("GET", {r: 200 for r in ROLES}),
    "certificates.verify": ("GET", {r: 200 for r in ROLES}),
    "certificates.verify_json": ("GET", {r: 200 for r in ROLES}),
    "certificates.verify_pdf": ("GET", {r: 200 for r in ROLES}),
    "certificates.verify_jwt": ("GET", {r: 200 for r in ROLES}),
    "certificates.verify_image": ("GET", {r: 200 for r in ROLES}),
    "badges.issuer": ("GET", {r: 200 for r in ROLES}),
    "badges.jwks": ("GET", {r: 200 for r in ROLES}),
    "badges.key": ("GET", {r: 200 for r in ROLES}),
    "badges.status_list": ("GET", {r: 200 for r in ROLES}),
    "badges.revocations": ("GET", {r: 410 for r in ROLES}),
    "badges.achievement_page": ("GET", {r: 200 for r in ROLES}),
    "badges.holder": ("GET", {r: 200 for r in ROLES}),
    "certificates.mine": ("GET", TRAINEE_ONLY),
    "certificates.download": ("GET", {**OWN_ENTRY, "admin": 200}),
    "certificates.wallet": ("GET", OWN_ENTRY),
    "certificates.sharing": ("POST", {**OWN_ENTRY, "other_trainee": 302}),
    "certificates.transcript": ("GET", TRAINEE_ONLY),
    "certificates.admin_list": ("GET", ADMIN_ONLY),
    "certificates.admin_zip": ("POST", ADMIN_ACTION),
    "jobs.index": ("GET", SIGNED_IN),
    "jobs.show": ("GET", STARTER_ONLY),
    "jobs.download": ("GET", STARTER_ONLY),
    "jobs.retry": ("POST", {**STARTER_ONLY, "admin": 302}),
    "supervision.reports": ("POST", {**SUPERVISOR_ONLY, "supervisor": 302}),
    "certificates.eligible": ("GET", ADMIN_ONLY),
    "certificates.admin_issue": ("POST", ADMIN_ACTION),
    "certificates.admin_detail": ("GET", ADMIN_ONLY),
    "certificates.admin_revoke": ("POST", ADMIN_ACTION),
    "certificates.admin_reinstate": ("POST", ADMIN_ACTION),
    "certificates.admin_renew": ("POST", ADMIN_ACTION),
    "certificates.admin_extend": ("POST", ADMIN_ACTION),
    "certificates.admin_eligibility": ("GET", ADMIN_ONLY),
    "certificates.admin_preview": ("GET", ADMIN_ONLY),
    "credentials.evidence": ("GET", TRAINEE_ONLY),
    "credentials.evidence_file": ("GET", {**OWN_ENTRY, "admin": 200}),
    "credentials.admin_list": ("GET", ADMIN_ONLY),
    "credentials.admin_evidence": ("GET", ADMIN_ONLY),
    "credentials.admin_review": ("POST", ADMIN_ACTION),
    "credentials.admin_person": ("GET", ADMIN_ONLY),
    "credentials.admin_end": ("POST", ADMIN_ACTION),
    "cohorts.index": ("GET", COHORT_PEOPLE),
    "cohorts.new": ("GET", ADMIN_ONLY),
    "cohorts.edit": ("GET", ADMIN_ONLY),
    "cohorts.detail": ("GET", {**COHORT_PEOPLE, "trainee": 404}),
    "cohorts.trainers": ("POST", ADMIN_ACTION),
    "cohorts.add_member": ("POST", ADMIN_ACTION),
    "cohorts.withdraw_member": ("POST", ADMIN_ACTION),
    "cohorts.join_cohort": ("POST", LEARNER_ACTION),
    "cohorts.leave_confirm": ("GET", OWN_ENTRY),  # other_trainee is enrolled, trainee is not
    "cohorts.new_session": ("GET", COHORT_MANAGERS),
    "cohorts.edit_session": ("GET", COHORT_MANAGERS),
    "cohorts.remove_confirm": ("GET", COHORT_MANAGERS),
    "cohorts.remove": ("POST", COHORT_ACTION),
    "cohorts.attendance": ("GET", COHORT_MANAGERS),
    "cohorts.code": ("GET", COHORT_MANAGERS),
    "cohorts.code_json": ("GET", COHORT_MANAGERS),
    "cohorts.check_in_page": ("GET", {**COHORT_MANAGERS, "trainee": 404, "other_trainee": 200, "trainer": 403,
                                      "admin": 403}),
    "cohorts.sign_in_sheet": ("GET", COHORT_MANAGERS),
    "cohorts.sign_in_sheet_csv": ("GET", COHORT_MANAGERS),
    "cohorts.report_pdf": ("GET", COHORT_MANAGERS),
    "cohorts.report_csv": ("GET", COHORT_MANAGERS),
    "cohorts.issue_certificates": ("POST", ADMIN_ACTION),
    "cohorts.certificate_pdf": ("GET", {**COHORT_PEOPLE, "trainee": 404}),
    "cohorts.reflections": ("GET", COHORT_MANAGERS),
    "cohorts.review": ("POST", COHORT_ACTION),
    "cohorts.feed": ("GET", {r: 200 for r in ROLES}),  # before the address is reset below
    "cohorts.calendar": ("GET", {**COHORT_PEOPLE, "admin": 403}),
    "cohorts.calendar_reset": ("POST", {**LEARNER_ACTION, "trainer": 302}),
    "cohorts.sync_trainings": ("POST", ADMIN_ACTION),
    "cohorts.confirm_attendance": ("POST", COHORT_ACTION),
    "notifications.index": ("GET", SIGNED_IN),
    "notifications.open_one": ("GET", {**{r: 302 for r in ROLES}, "anonymous": "login"}),
    "notifications.read": ("POST", {**{r: 302 for r in ROLES}, "anonymous": "login"}),
    "notifications.read_all": ("POST", {**{r: 302 for r in ROLES}, "anonymous": "login"}),
    "notifications.delivery": ("POST", {**{r: 302 for r in ROLES}, "anonymous": "login"}),
    # Last: it takes other_trainee out of the cohort.
    "cohorts.leave": ("POST", {**LEARNER_ACTION, "trainee": 404}),
}

# Valid form data for each POST, so that only access decides the answer.
POST_DATA = {
    "admin.person_roles": lambda ctx: {"roles": ["trainee"]},
    "admin.person_deactivate": lambda ctx: {"reason": "test", "confirmed": "yes"},
    "admin.person_allow_attempt": lambda ctx: {f"quiz{ctx['quiz'].id}-reason": "Studied the module again."},
    "admin.person_assign": lambda ctx: {"supervisor_id": ctx["supervisor"].id, "starts_on": "2026-02-01"},
    "admin.assignment_end": lambda ctx: {"ends_on": date.today().isoformat(), "confirmed": "yes"},
    "supervision.wellbeing_sharing": lambda ctx: {"shared": "y"},
    "core.set_language": lambda ctx: {"locale": "en", "next": "/dashboard"},
    "certificates.sharing": lambda ctx: {"pdf_public": "y"},
    "certificates.admin_issue": lambda ctx: {"credential": "peer-recovery-specialist", "user": ctx["trainee"].id},
    "certificates.admin_revoke": lambda ctx: {"reason": "Issued in error", "confirmed": "yes"},
    "credentials.admin_review": lambda ctx: {f"e{ctx['evidence'].id}-decision": "accept"},
    "credentials.admin_end": lambda ctx: {f"end{ctx['enrolment'].id}-ended_on": date.today().isoformat()},
    "quizzes.import_confirm": lambda ctx: {"course": ctx["course"].slug, "format": "gift",
                                           "content": "::Access check:: Is this true? {T}", "filename": "a.gift"},
    "cohorts.trainers": lambda ctx: {"trainers": [ctx["trainer"].id]},
    "cohorts.add_member": lambda ctx: {"email": ctx["trainee"].email, "action": "enrol"},
    "cohorts.review": lambda ctx: {"decision": "accept"},
    "cohorts.confirm_attendance": lambda ctx: {"signed_name": ctx["trainer"].full_name},
    "notifications.delivery": lambda ctx: {"delivery": "digest"},
    "courses.reflection": lambda ctx: {"text": "A reflection long enough to be accepted by the form and the service."},
}


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    assert endpoints == set(MATRIX), "decide who may use each route: add it to MATRIX"


def cohort_context(people, course, make_user):
    """A running cohort trained by trainer, other_trainee enrolled, with a reflection and a certificate."""
    from datetime import timedelta

    from training.cohorts.calendar import feed_url
    from training.cohorts.models import Cohort, CohortMember, CohortSession, CohortTrainer, LiveTraining, TrainingCertificate
    from training.courses.models import Reflection
    from training.db_types import utcnow

    trainer = make_user("trainer@example.org", roles=("trainer",), name="Tia Trainer")
    extra = make_user("extra@example.org", name="Ezra Extra")
    live = LiveTraining(slug="live", title="Live", sessions=[])
    credential = db.session.scalar(db.select(Credential).where(Credential.slug == "peer-recovery-specialist"))
    cohort = Cohort(title="Evening cohort", live_training=live, credential=credential, starts_on=date.today(),
                    ends_on=date.today(), delivery="online", meeting_url="https://meet.example.org/x", capacity=5)
    db.session.add(cohort)
    db.session.flush()
    db.session.add(CohortTrainer(cohort_id=cohort.id, user_id=trainer.id))
    member = CohortMember(cohort_id=cohort.id, user_id=people["other_trainee"].id, status="enrolled")
    spare_member = CohortMember(cohort_id=cohort.id, user_id=extra.id, status="enrolled")
    now = utcnow()
    session = CohortSession(cohort=cohort, topic="Advocacy", starts_at=now - timedelta(minutes=30),
                            ends_at=now + timedelta(hours=2), credits={"Advocacy": 120}, checkin_secret="s" * 64)
    spare = CohortSession(cohort=cohort, topic="Spare", starts_at=now + timedelta(days=3),
                          ends_at=now + timedelta(days=3, hours=2), credits={"Advocacy": 120}, checkin_secret="t" * 64)
    db.session.add_all([member, spare_member, session, spare])
    module = course.active_modules[-1]
    module.reflection_required = True
    reflection = Reflection(user_id=people["other_trainee"].id, module_id=module.id, text="x" * 60)
    db.session.add(reflection)
    db.session.flush()
    certificate = TrainingCertificate(
        cohort_id=cohort.id, user_id=people["other_trainee"].id, number="TRN-2026-000001", code="A" * 20,
        holder_name="Otto Other", training_title="Live", cohort_title=cohort.title, hours={"Advocacy": 120},
        sessions_attended=1, sessions_total=1, first_day=date.today(), last_day=date.today(), issued_on=date.today(),
        issuer_name="Org", verify_url="http://localhost/verify/x", pdf=b"%PDF-1.4", pdf_sha256="0" * 64)
    db.session.add(certificate)
    db.session.commit()
    token = feed_url(people["other_trainee"]).rsplit("/", 1)[1].removesuffix(".ics")
    return {"trainer": trainer, "cohort": cohort, "member": spare_member, "session": session, "spare": spare,
            "reflection": reflection, "training_certificate": certificate, "token": token}


@pytest.fixture
def context(app, course, people, credentials, make_user):
    assignment = SupervisorAssignment(supervisor=people["supervisor"], trainee=people["other_trainee"],
                                      starts_on=date(2026, 1, 1))
    db.session.add(assignment)
    db.session.commit()
    quiz = course.active_modules[0].quiz
    attempt = start_attempt(people["trainee"], quiz)
    submit_attempt(attempt, {})
    entry = HourEntry(trainee_id=people["other_trainee"].id, supervisor_id=people["supervisor"].id, kind="training",
                      occurred_on=date.today(), minutes=60, domain="Advocacy", provider="Academy",
                      attachment=Attachment(owner_id=people["other_trainee"].id, filename="c.pdf",
                                            content_type="application/pdf", size=8, sha256="0" * 64,
                                            data=b"%PDF-1.4"))
    db.session.add(entry)
    db.session.commit()
    credential = db.session.scalar(db.select(Credential).where(Credential.slug == "peer-recovery-specialist"))
    certificate, _ = issue(people["other_trainee"], credential, check=False)
    certificate.pdf_public = True
    job = start_zip(people["admin"], [certificate])  # jobs are seen by whoever started them, here an administrator
    signing = Credential(slug="signature", title="Signature", certificate_prefix="SIG", domains=["Advocacy"],
                         definition=parse(SIGNATURE_CREDENTIAL).model_dump(mode="json"), validity_months=12)
    evidence = Evidence(user_id=people["other_trainee"].id, key="diploma", title="Diploma",
                        attachment=Attachment(owner_id=people["other_trainee"].id, filename="d.pdf",
                                              content_type="application/pdf", size=8, sha256="0" * 64,
                                              data=b"%PDF-1.4"))
    db.session.add_all([signing, evidence])
    db.session.flush()
    db.session.add_all([Enrolment(user_id=people[who].id, credential_id=signing.id, started_on=date.today())
                        for who in ("trainee", "other_trainee")])
    db.session.commit()
    enrolment = db.session.scalar(db.select(Enrolment).where(Enrolment.user_id == people["trainee"].id,
                                                             Enrolment.credential_id == signing.id))
    return {**people, "course": course, "assignment": assignment, "quiz": quiz, "attempt": attempt,
            "entry": entry, "certificate": certificate, "job": job, "evidence": evidence, "enrolment": enrolment,
            "quizless_module": quizless_module(),
            **cohort_context(people, course, make_user)}


def quizless_module():
    """A one-module course without a quiz: marking it complete really completes it."""
    from training.courses.models import Course, Module

    module = Module(slug="reading", position=1, title="Reading", estimated_minutes=5)
    db.session.add(Course(slug="reading-course", title="A reading course", position=9, modules=[module]))
    db.session.commit()
    return module


SIGNATURE_CREDENTIAL = """
slug: signature
title: Signature
certificate_prefix: SIG
domains: [Advocacy]
validity_months: 12
requirements:
  - kind: signature
    key: code_of_ethics
    title: Code of ethics
    text: I will keep clear boundaries.
"""


def route_values(ctx):
    """The ids and slugs the routes take, read once: each read of a record the requests expired
    is a statement, about fifteen a route."""
    return {
        "slug": ctx["course"].slug,
        "module_slug": ctx["course"].active_modules[0].slug,
        "user_id": ctx["trainee"].id,
        "assignment_id": ctx["assignment"].id,
        "token": "not-a-real-token",
        "quiz_id": ctx["quiz"].id,
        "attempt_id": ctx["attempt"].id,
        "entry_id": ctx["entry"].id,
        "code": ctx["certificate"].grouped_code,
        "certificate_id": ctx["certificate"].id,
        "job_id": ctx["job"].id,
        "cohort_id": ctx["cohort"].id,
        "member_id": ctx["member"].id,
        "session_id": ctx["session"].id,
        "reflection_id": ctx["reflection"].id,
        "list_id": 1,
        "credential_slug": "signature",
        "key": "code_of_ethics",
        "evidence_id": ctx["evidence"].id,
        "enrolment_id": ctx["enrolment"].id,
        "notification_id": 1,
    }


def url_for_endpoint(app, endpoint, ctx, values=None):
    values = dict(values or route_values(ctx))
    if endpoint == "courses.complete":
        values["slug"] = ctx["quizless_module"].course.slug
        values["module_slug"] = ctx["quizless_module"].slug
    if endpoint == "cohorts.feed":
        values["token"] = ctx["token"]
    if endpoint in ("cohorts.remove", "cohorts.remove_confirm"):
        values["session_id"] = ctx["spare"].id
    if endpoint == "cohorts.certificate_pdf":
        values["certificate_id"] = ctx["training_certificate"].id
    if endpoint == "badges.achievement_page":
        values["slug"] = "peer-recovery-specialist"
    if endpoint.startswith("supervision."):
        values["user_id"] = ctx["other_trainee"].id
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    # Looked up only for the routes that take them: two statements for each of 130 routes otherwise.
    if "name" in rule.arguments:
        values["name"] = db.session.scalars(db.select(IssuerKey.name)).first()
    if "public_id" in rule.arguments:
        values["public_id"] = db.session.scalars(db.select(BadgeHolder.public_id)).first()
    from flask import url_for

    query = QUERY.get(endpoint, lambda ctx: {})(ctx)
    with app.test_request_context():
        return url_for(endpoint, **{k: v for k, v in values.items() if k in rule.arguments}, **query)


# Query strings that routes need to answer at all.
QUERY = {
    "certificates.admin_preview": lambda ctx: {"credential": "peer-recovery-specialist", "user": ctx["trainee"].id},
}


# What an action must have done when it is allowed, and must not have done when it is refused,
# so that a route answering with the expected redirect without acting still fails.
EFFECTS = {
    "courses.complete": lambda ctx, user: db.session.scalar(db.select(ModuleCompletion).where(
        ModuleCompletion.user_id == user.id, ModuleCompletion.module_id == ctx["quizless_module"].id)) is not None,
}


class SignIn:
    """One person's sign-in, carried by a fresh client for each route: signing in again for every
    route doubled the matrix's time. A route that ends the session (signing out rotates the
    person's session token) makes the next client sign in anew."""

    def __init__(self, app, user):
        self.app, self.user, self.cookie, self.token = app, user, None, None

    def client(self):
        client = self.app.test_client()
        name = self.app.config["SESSION_COOKIE_NAME"]
        if self.cookie is None or self.user.session_token != self.token:
            login(client, self.user)
            self.cookie, self.token = client.get_cookie(name).value, self.user.session_token
        else:
            client.set_cookie(name, self.cookie)
        return client


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(app, context, role, subtests):
    """Each route is a sub-test of its own: one route's failure never hides another's."""
    sign_in = SignIn(app, context[role]) if role != "anonymous" else None
    values = route_values(context)
    for endpoint, (method, expected_by_role) in MATRIX.items():
        with subtests.test(msg=endpoint):
            client = sign_in.client() if sign_in else app.test_client()
            url = url_for_endpoint(app, endpoint, context, values)
            data = POST_DATA.get(endpoint, lambda ctx: {})(context)
            response = client.open(url, method=method, data=data)
            response.close()  # a file streamed from disk stays open until then
            expected = expected_by_role[role]
            if expected == "login":
                assert response.status_code == 302 and response.location.startswith("/login"), (endpoint, role)
            else:
                assert response.status_code == expected, (endpoint, role, response.status_code)
            if endpoint in EFFECTS and role != "anonymous":
                assert EFFECTS[endpoint](context, context[role]) is (expected == 302), (endpoint, role, "effect")


def test_one_trainee_never_sees_another_trainees_progress(app, context, login_as):
    course = context["course"]
    mine = login_as(context["trainee"])
    for module in course.active_modules[:2]:
        mine.post(f"/courses/{course.slug}/{module.slug}/complete")
    theirs = login_as(context["other_trainee"])
    for url in ("/dashboard", "/courses/", f"/courses/{course.slug}"):
        page = theirs.get(url).text
        assert "2 of" not in page and context["trainee"].full_name not in page
    assert theirs.get(f"/admin/people/{context['trainee'].id}").status_code == 403


def test_supervisors_see_only_their_own_supervisees(app, context, login_as):
    page = login_as(context["supervisor"]).get("/dashboard").text
    assert context["other_trainee"].full_name in page
    assert context["trainee"].full_name not in page


# --- CSRF ----------------------------------------------------------------------------------

CSRF_FORMS = {
    "/login": {"email": "trainee@example.org", "password": "x"},
    "/password/forgot": {"email": "trainee@example.org"},
    "/account": {"current_password": "x", "password": "abcdefghijkl", "confirm": "abcdefghijkl"},
    "/logout": {},
    "/language": {"locale": "es", "next": "/login"},
    "complete": {},
    "/admin/people/invite": {"full_name": "X", "email": "x@example.org", "roles": ["trainee"]},
    "/admin/people/invite/file": {},
    "/admin/people/invite/file/confirm": {"content": "email,name\nx@example.org,X\n"},
    "roles": {"roles": ["admin"]},
    "deactivate": {"reason": "x"},
    "allow_attempt": {"reason": "x"},
    "reactivate": {},
    "resend": {},
    "assign": {"starts_on": "2026-01-01"},
    "end": {"ends_on": "2026-12-01"},
    "/admin/courses/sync": {},
    "invitation": {"full_name": "X", "password": "abcdefghijkl", "confirm": "abcdefghijkl"},
    "reset": {"password": "abcdefghijkl", "confirm": "abcdefghijkl"},
    "/register": {"full_name": "X", "email": "y@example.org", "password": "abcdefghijkl",
                  "confirm": "abcdefghijkl"},
    "start": {},
    "attempt": {"action": "submit"},
    "/admin/questions/import": {"format": "gift"},
    "/admin/questions/import/confirm": {"course": "x", "format": "gift", "content": "::A:: B {T}"},
    "/hours/new": {"kind": "service", "occurred_on": "2026-01-01", "hours": "1", "domain": "Advocacy"},
    "edit_entry": {"kind": "service", "occurred_on": "2026-01-01", "hours": "1", "domain": "Advocacy"},
    "withdraw_entry": {},
    "/wellbeing": {"energy": "3", "stress": "3", "workload": "3", "supported": "3", "rest": "3"},
    "/wellbeing/sharing": {"shared": "y"},
    "/supervision/review": {"decision": "approve", "signed_name": "Sue Supervisor", "entry": "1"},
    "/supervision/sessions/new": {"format": "individual", "occurred_on": "2026-01-01", "hours": "1"},
    "correct_entry": {"occurred_on": "2026-01-01", "hours": "1", "domain": "Advocacy", "reason": "x"},
    "cert_sharing": {"pdf_public": "y"},
    "/certificates": {"legal_name": "X"},
    "/admin/certificates/issue": {"credential": "peer-recovery-specialist", "user": "1"},
    "cert_revoke": {"reason": "x"},
    "cert_reinstate": {},
    "cert_renew": {},
    "reflection": {"text": "x" * 60},
    "/cohorts/new": {"title": "X", "training": "live:1", "starts_on": "2026-01-01", "ends_on": "2026-01-02"},
    "cohort_edit": {"title": "X"},
    "cohort_trainers": {"trainers": ["1"]},
    "cohort_members": {"email": "trainee@example.org", "action": "enrol"},
    "cohort_withdraw": {},
    "cohort_join": {},
    "cohort_leave": {},
    "session_new": {"topic": "X"},
    "session_edit": {"topic": "X"},
    "session_remove": {},
    "session_attendance": {},
    "session_confirm": {"signed_name": "Tia Trainer"},
    "session_check_in": {"code": "123456"},
    "cohort_certificates": {},
    "reflection_review": {"decision": "accept"},
    "/cohorts/calendar/reset": {},
    "/cohorts/trainings/sync": {},
    "cert_extend": {},
    "evidence": {"sign-signed_name": "Tina Trainee"},
    "evidence_review": {"decision": "accept"},
    "person_credentials": {"action": "enrol", "enrol-credential": "peer-recovery-specialist",
                           "enrol-started_on": "2026-01-01"},
    "enrolment_end": {"end-ended_on": "2026-11-01"},
    "/admin/certificates/download.zip": {},
    "job_retry": {},
    "/supervision/reports": {},
    "/notifications/1/read": {},
    "/notifications/read-all": {},
    "/notifications/delivery": {"delivery": "digest"},
}


def test_every_form_refuses_a_post_without_a_csrf_token(app, context, login_as, caplog):
    """Each POST route answers 400 without the token and changes nothing."""
    from datetime import timedelta

    from training.auth.services import issue_token

    caplog.set_level("INFO", logger="training.mail")
    trainee = context["trainee"]
    invitation = issue_token(context["other_trainee"], "invitation", timedelta(hours=1))
    reset = issue_token(trainee, "password_reset", timedelta(hours=1))
    db.session.commit()
    course, a = context["course"], context["assignment"]
    paths = {
        "complete": f"/courses/{course.slug}/{course.active_modules[0].slug}/complete",
        "roles": f"/admin/people/{trainee.id}/roles",
        "deactivate": f"/admin/people/{trainee.id}/deactivate",
        "allow_attempt": f"/admin/people/{trainee.id}/quizzes/{context['quiz'].id}/allow-attempt",
        "reactivate": f"/admin/people/{trainee.id}/reactivate",
        "resend": f"/admin/people/{trainee.id}/resend-invitation",
        "assign": f"/admin/people/{trainee.id}/assignments",
        "end": f"/admin/assignments/{a.id}/end",
        "invitation": f"/invitation/{invitation}",
        "reset": f"/password/reset/{reset}",
        "start": f"/quizzes/{context['quiz'].id}/start",
        "attempt": f"/attempts/{context['attempt'].id}",
        "edit_entry": f"/hours/{context['entry'].id}/edit",
        "withdraw_entry": f"/hours/{context['entry'].id}/withdraw",
        "correct_entry": f"/admin/hours/{context['entry'].id}/correct",
        "cert_sharing": f"/certificates/{context['certificate'].id}/sharing",
        "cert_revoke": f"/admin/certificates/{context['certificate'].id}/revoke",
        "cert_reinstate": f"/admin/certificates/{context['certificate'].id}/reinstate",
        "cert_renew": f"/admin/certificates/{context['certificate'].id}/renew",
        "reflection": f"/courses/{course.slug}/{course.active_modules[-1].slug}/reflection",
        "cohort_edit": f"/cohorts/{context['cohort'].id}/edit",
        "cohort_trainers": f"/cohorts/{context['cohort'].id}/trainers",
        "cohort_members": f"/cohorts/{context['cohort'].id}/members",
        "cohort_withdraw": f"/cohorts/{context['cohort'].id}/members/{context['member'].id}/withdraw",
        "cohort_join": f"/cohorts/{context['cohort'].id}/join",
        "cohort_leave": f"/cohorts/{context['cohort'].id}/leave",
        "session_new": f"/cohorts/{context['cohort'].id}/sessions/new",
        "session_edit": f"/cohorts/sessions/{context['session'].id}/edit",
        "session_remove": f"/cohorts/sessions/{context['spare'].id}/remove",
        "session_attendance": f"/cohorts/sessions/{context['session'].id}/attendance",
        "session_confirm": f"/cohorts/sessions/{context['session'].id}/confirm",
        "session_check_in": f"/cohorts/sessions/{context['session'].id}/check-in",
        "cohort_certificates": f"/cohorts/{context['cohort'].id}/certificates",
        "reflection_review": f"/cohorts/reflections/{context['reflection'].id}",
        "cert_extend": f"/admin/certificates/{context['certificate'].id}/extend",
        "evidence": "/credentials/signature/evidence/code_of_ethics",
        "evidence_review": f"/admin/evidence/{context['evidence'].id}",
        "person_credentials": f"/admin/people/{trainee.id}/credentials",
        "enrolment_end": f"/admin/enrolments/{context['enrolment'].id}/end",
        "job_retry": f"/jobs/{context['job'].id}/retry",
    }
    sign_ins = {who: SignIn(app, context[who]) for who in ("trainee", "admin")}
    for sign_in in sign_ins.values():
        sign_in.client()  # signed in while the sign-in form takes no token; refused posts keep the session
    app.config["WTF_CSRF_ENABLED"] = True
    app.config["ALLOW_SELF_REGISTRATION"] = True
    post_routes = {r.rule for r in app.url_map.iter_rules() if "POST" in r.methods}
    covered = {paths.get(k, k) for k in CSRF_FORMS}
    assert len(covered) == len(post_routes), "every POST route needs a CSRF check here"
    before = db.session.execute(db.text("SELECT count(*) FROM audit_event")).scalar()
    for key, data in CSRF_FORMS.items():
        for who in ("trainee", "admin"):
            response = sign_ins[who].client().post(paths.get(key, key), data=data)
            assert response.status_code == 400, (key, who, response.status_code)
            assert "This form has expired" in response.text
    after = db.session.execute(db.text("SELECT count(*) FROM audit_event")).scalar()
    assert after == before
    assert context["trainee"].active


def test_a_form_with_its_csrf_token_is_accepted(app, context):
    """The positive case: the token from the page makes the same POST work."""
    import re

    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    response = client.post("/login", data={"email": context["trainee"].email,
                                           "password": "a-long-test-password", "csrf_token": token})
    assert response.status_code == 302
