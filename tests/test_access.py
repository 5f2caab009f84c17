"""Every route, for every role: who may see or do what. And CSRF on every form.

A new route fails ``test_every_route_is_in_the_matrix`` until it is added here, so access
rules are decided, never forgotten.
"""
from datetime import date

import pytest

from training.auth.models import SupervisorAssignment
from training.badges.models import BadgeHolder, IssuerKey
from training.certificates.models import BulkIssueJob
from training.certificates.services import issue
from training.credentials.models import Credential, Enrolment, Evidence
from training.credentials.schema import parse
from training.extensions import db
from training.quizzes.services import start_attempt, submit_attempt
from training.supervision.models import Attachment, HourEntry

from .conftest import login

ROLES = ["anonymous", "trainee", "other_trainee", "supervisor", "admin"]
SIGNED_IN = {"anonymous": "login", "trainee": 200, "other_trainee": 200, "supervisor": 200, "admin": 200}
ADMIN_ONLY = {"anonymous": "login", "trainee": 403, "other_trainee": 403, "supervisor": 403, "admin": 200}
ADMIN_ACTION = {**ADMIN_ONLY, "admin": 302}
TRAINEE_ONLY = {"anonymous": "login", "trainee": 200, "other_trainee": 200, "supervisor": 403, "admin": 403}
SUPERVISOR_ONLY = {"anonymous": "login", "trainee": 403, "other_trainee": 403, "supervisor": 200, "admin": 403}
# Routes about one supervisee: the supervisee here is other_trainee, supervised by supervisor.
ABOUT_SUPERVISEE = {"anonymous": "login", "trainee": 403, "other_trainee": 403, "supervisor": 200, "admin": 200}
# An hour entry of other_trainee's: only its owner may change it.
OWN_ENTRY = {"anonymous": "login", "trainee": 404, "other_trainee": 200, "supervisor": 403, "admin": 403}

# endpoint: (method, expected status per role; "login" means a redirect to the sign-in page)
MATRIX = {
    "core.index": ("GET", {r: 302 for r in ROLES}),
    "core.dashboard": ("GET", SIGNED_IN),
    "auth.login": ("GET", {"anonymous": 200, "trainee": 302, "other_trainee": 302, "supervisor": 302, "admin": 302}),
    "auth.logout": ("POST", {**{r: 302 for r in ROLES}, "anonymous": "login"}),
    "auth.account": ("GET", SIGNED_IN),
    "auth.register": ("GET", {r: 404 for r in ROLES}),
    "auth.forgot_password": ("GET", {r: 200 for r in ROLES}),
    "auth.accept_invitation": ("GET", {r: 404 for r in ROLES}),
    "auth.reset_password": ("GET", {r: 404 for r in ROLES}),
    "courses.catalogue": ("GET", SIGNED_IN),
    "courses.course": ("GET", SIGNED_IN),
    "courses.module": ("GET", SIGNED_IN),
    "courses.complete": ("POST", {"anonymous": "login", "trainee": 302, "other_trainee": 302,
                                  "supervisor": 403, "admin": 403}),
    "admin.people": ("GET", ADMIN_ONLY),
    "admin.invite_person": ("GET", ADMIN_ONLY),
    "admin.person": ("GET", ADMIN_ONLY),
    "admin.person_roles": ("POST", ADMIN_ACTION),
    "admin.person_deactivate": ("POST", ADMIN_ACTION),
    "admin.person_reactivate": ("POST", ADMIN_ACTION),
    "admin.person_resend_invitation": ("POST", ADMIN_ACTION),
    "admin.person_assign": ("POST", ADMIN_ACTION),
    "admin.assignment_end": ("POST", ADMIN_ACTION),
    "admin.courses": ("GET", ADMIN_ONLY),
    "admin.courses_sync": ("POST", ADMIN_ACTION),
    "admin.audit_log": ("GET", ADMIN_ONLY),
    "quizzes.overview": ("GET", SIGNED_IN),
    "quizzes.start": ("POST", {"anonymous": "login", "trainee": 302, "other_trainee": 302,
                               "supervisor": 403, "admin": 403}),
    # The trainee's own finished attempt: the owner is sent on to its review; anyone else's
    # answers as a missing page.
    "quizzes.attempt": ("GET", {"anonymous": "login", "trainee": 302, "other_trainee": 404,
                                "supervisor": 403, "admin": 403}),
    "quizzes.review": ("GET", {"anonymous": "login", "trainee": 200, "other_trainee": 404,
                               "supervisor": 403, "admin": 403}),
    "quizzes.bank": ("GET", ADMIN_ONLY),
    "quizzes.import_bank": ("GET", ADMIN_ONLY),
    "quizzes.import_confirm": ("POST", ADMIN_ACTION),
    "quizzes.export_bank": ("GET", ADMIN_ONLY),
    "quizzes.statistics": ("GET", ADMIN_ONLY),
    "supervision.hours": ("GET", TRAINEE_ONLY),
    "supervision.new_entry": ("GET", TRAINEE_ONLY),
    "supervision.edit": ("GET", OWN_ENTRY),
    "supervision.certificate": ("GET", {**OWN_ENTRY, "supervisor": 200, "admin": 200}),
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
    "certificates.admin_zip": ("GET", ADMIN_ONLY),
    "certificates.eligible": ("GET", ADMIN_ONLY),
    "certificates.admin_issue": ("POST", ADMIN_ACTION),
    "certificates.admin_job": ("GET", ADMIN_ONLY),
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
}

# Valid form data for each POST, so that only access decides the answer.
POST_DATA = {
    "admin.person_roles": lambda ctx: {"roles": ["trainee"]},
    "admin.person_deactivate": lambda ctx: {"reason": "test"},
    "admin.person_assign": lambda ctx: {"supervisor_id": ctx["supervisor"].id, "starts_on": "2026-02-01"},
    "admin.assignment_end": lambda ctx: {"ends_on": date.today().isoformat()},
    "supervision.wellbeing_sharing": lambda ctx: {"shared": "y"},
    "certificates.sharing": lambda ctx: {"pdf_public": "y"},
    "certificates.admin_issue": lambda ctx: {"credential": "peer-recovery-specialist", "user": ctx["trainee"].id},
    "certificates.admin_revoke": lambda ctx: {"reason": "Issued in error"},
    "credentials.admin_review": lambda ctx: {f"e{ctx['evidence'].id}-decision": "accept"},
    "credentials.admin_end": lambda ctx: {"end-ended_on": date.today().isoformat()},
    "quizzes.import_confirm": lambda ctx: {"course": ctx["course"].slug, "format": "gift",
                                           "content": "::Access check:: Is this true? {T}", "filename": "a.gift"},
}


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    assert endpoints == set(MATRIX), "decide who may use each route: add it to MATRIX"


@pytest.fixture
def context(app, course, people, credentials):
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
    job = BulkIssueJob(credential_id=credential.id, user_ids=[], total=0, status="finished")
    db.session.add(job)
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
            "entry": entry, "certificate": certificate, "job": job, "evidence": evidence, "enrolment": enrolment}


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


def url_for_endpoint(app, endpoint, ctx):
    values = {
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
        "name": db.session.scalars(db.select(IssuerKey.name)).first(),
        "list_id": 1,
        "public_id": db.session.scalars(db.select(BadgeHolder.public_id)).first(),
        "credential_slug": "signature",
        "key": "code_of_ethics",
        "evidence_id": ctx["evidence"].id,
        "enrolment_id": ctx["enrolment"].id,
    }
    if endpoint == "badges.achievement_page":
        values["slug"] = "peer-recovery-specialist"
    if endpoint.startswith("supervision."):
        values["user_id"] = ctx["other_trainee"].id
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    from flask import url_for

    query = QUERY.get(endpoint, lambda ctx: {})(ctx)
    with app.test_request_context():
        return url_for(endpoint, **{k: v for k, v in values.items() if k in rule.arguments}, **query)


# Query strings that routes need to answer at all.
QUERY = {
    "certificates.admin_preview": lambda ctx: {"credential": "peer-recovery-specialist", "user": ctx["trainee"].id},
}


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(app, context, role):
    for endpoint, (method, expected_by_role) in MATRIX.items():
        client = app.test_client()
        if role != "anonymous":
            login(client, context[role])
        url = url_for_endpoint(app, endpoint, context)
        data = POST_DATA.get(endpoint, lambda ctx: {})(context)
        response = client.open(url, method=method, data=data)
        expected = expected_by_role[role]
        if expected == "login":
            assert response.status_code == 302 and response.location.startswith("/login"), (endpoint, role)
        else:
            assert response.status_code == expected, (endpoint, role, response.status_code)


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
    "complete": {},
    "/admin/people/invite": {"full_name": "X", "email": "x@example.org", "roles": ["trainee"]},
    "roles": {"roles": ["admin"]},
    "deactivate": {"reason": "x"},
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
    "cert_extend": {},
    "evidence": {"sign-signed_name": "Tina Trainee"},
    "evidence_review": {"decision": "accept"},
    "person_credentials": {"action": "enrol", "enrol-credential": "peer-recovery-specialist",
                           "enrol-started_on": "2026-01-01"},
    "enrolment_end": {"end-ended_on": "2026-11-01"},
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
        "cert_extend": f"/admin/certificates/{context['certificate'].id}/extend",
        "evidence": "/credentials/signature/evidence/code_of_ethics",
        "evidence_review": f"/admin/evidence/{context['evidence'].id}",
        "person_credentials": f"/admin/people/{trainee.id}/credentials",
        "enrolment_end": f"/admin/enrolments/{context['enrolment'].id}/end",
    }
    app.config["WTF_CSRF_ENABLED"] = True
    app.config["ALLOW_SELF_REGISTRATION"] = True
    post_routes = {r.rule for r in app.url_map.iter_rules() if "POST" in r.methods}
    covered = {paths.get(k, k) for k in CSRF_FORMS}
    assert len(covered) == len(post_routes), "every POST route needs a CSRF check here"
    before = db.session.execute(db.text("SELECT count(*) FROM audit_event")).scalar()
    for key, data in CSRF_FORMS.items():
        for who in ("trainee", "admin"):
            client = app.test_client()
            app.config["WTF_CSRF_ENABLED"] = False
            login(client, context[who])
            app.config["WTF_CSRF_ENABLED"] = True
            response = client.post(paths.get(key, key), data=data)
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
