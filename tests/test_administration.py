"""Administration: invitation links without a mail server, invited is not joined, revoking asks
first, the import page names the quizzes of a category, and the programme overview."""
import csv
import io
import re
from datetime import date, timedelta

import pytest

from training.auth.models import User, user_by_email
from training.certificates.models import Certificate
from training.credentials.evaluation import refresh_all
from training.extensions import db

from .conftest import count_statements, mailed_links
from .test_certificates import certificate, credential, ready  # noqa: F401  (fixtures)

TODAY = date.today()


# --- Invitations -----------------------------------------------------------------------------------

def test_without_a_mail_server_the_invitation_page_shows_the_link_to_copy(app, people, login_as, caplog):
    caplog.set_level("INFO", logger="training.mail")
    admin = login_as(people["admin"])
    page = admin.post("/admin/people/invite", data={"full_name": "Nora New", "email": "nora@example.org",
                                                    "roles": ["trainee"]})
    assert page.status_code == 200
    assert "No mail server is set up on this site, so no e-mail was sent." in page.text
    assert page.headers["Cache-Control"] == "no-store"
    link = re.search(r'id="invitation-link" value="([^"]+)"', page.text).group(1)
    assert link == mailed_links(caplog)[-1] and link.startswith("http://localhost/invitation/")
    # The link works for the person it was made for.
    form = app.test_client().get(link.replace("http://localhost", ""))
    assert form.status_code == 200 and "Nora New" in form.text
    # A new link from the person's page is shown the same way.
    nora = user_by_email("nora@example.org")
    again = admin.post(f"/admin/people/{nora.id}/resend-invitation")
    assert again.status_code == 200 and 'id="invitation-link"' in again.text
    assert re.search(r'id="invitation-link" value="([^"]+)"', again.text).group(1) != link


@pytest.mark.config(MAIL_SERVER="smtp.example.org")
def test_with_a_mail_server_the_invitation_is_sent_and_no_link_is_shown(app, people, login_as, monkeypatch):
    sent = []
    monkeypatch.setattr("training.mail.send_mail", lambda to, subject, body: sent.append((to, body)))
    page = login_as(people["admin"]).post("/admin/people/invite", data={
        "full_name": "Nora New", "email": "nora@example.org", "roles": ["trainee"]}, follow_redirects=True)
    assert "Invitation sent to nora@example.org." in page.text and 'id="invitation-link"' not in page.text
    assert [to for to, _ in sent] == ["nora@example.org"]


def test_a_person_who_has_not_accepted_shows_as_invited_not_joined(app, people, make_user, login_as):
    invited = make_user("nora@example.org", name="Nora New", accepted=False)
    admin = login_as(people["admin"])
    page = admin.get(f"/admin/people/{invited.id}").text
    assert "<dt>Invited</dt>" in page and "has not accepted yet" in page and "Account opened" not in page
    assert "Invited</span>" in admin.get("/admin/people?status=invited").text
    page = admin.get(f"/admin/people/{people['trainee'].id}").text
    assert "<dt>Account opened</dt>" in page and "has not accepted yet" not in page


# --- Revoking asks first ---------------------------------------------------------------------------

def test_revoking_shows_a_confirmation_page_first_and_works_without_javascript(certificate, people,  # noqa: F811
                                                                               login_as):
    admin = login_as(people["admin"])
    url = f"/admin/certificates/{certificate.id}/revoke"
    page = admin.post(url, data={"reason": "Issued in error", "note": "Wrong person"})
    assert page.status_code == 200
    assert f"Revoke certificate {certificate.number}?" in page.text and "Issued in error" in page.text
    assert 'name="confirmed" type="hidden" value="yes"' in page.text
    assert f'href="/admin/certificates/{certificate.id}">No, keep it valid' in page.text
    assert db.session.get(Certificate, certificate.id).status == "valid"
    assert "<script" not in page.text.split("<main")[1].split("</main>")[0]

    done = admin.post(url, data={"reason": "Issued in error", "note": "Wrong person", "confirmed": "yes"})
    assert done.status_code == 302
    revoked = db.session.get(Certificate, certificate.id)
    assert (revoked.status, revoked.revoked_reason, revoked.revoked_note) == ("revoked", "Issued in error",
                                                                              "Wrong person")


def test_the_confirmation_needs_a_reason_too(certificate, people, login_as):  # noqa: F811
    page = login_as(people["admin"]).post(f"/admin/certificates/{certificate.id}/revoke", data={"reason": " "})
    assert page.status_code == 400 and "Give the reason the verification page will show." in page.text
    assert db.session.get(Certificate, certificate.id).status == "valid"


# --- Import page -------------------------------------------------------------------------------------

def test_the_import_preview_says_which_quizzes_draw_from_the_chosen_category(app, people, course, login_as):
    from training.quizzes.models import Quiz

    quiz = next(q for q in db.session.scalars(db.select(Quiz).where(Quiz.course_id == course.id)) if q.categories)
    chosen = next(iter(quiz.categories))
    admin = login_as(people["admin"])
    page = admin.get(f"/admin/questions/import?course={course.slug}").text
    assert quiz.title in page and chosen in page
    for category, expected in ((chosen, quiz.title),
                               ("nowhere-yet", "These questions will appear in no quiz")):
        upload = (io.BytesIO(b"::Q1:: Peer support is mutual. {T}\n"), "bank.gift")
        preview = admin.post("/admin/questions/import", data={"course": course.slug, "format": "gift",
                                                              "category": category, "file": upload},
                             content_type="multipart/form-data").text
        listed = preview.split("<code>" + category + "</code>")[1].split("</li>")[0]
        assert expected in listed


# --- Programme overview --------------------------------------------------------------------------------

def _overview(client, **args):
    return client.get("/admin/programme", query_string=args).text


def test_an_eligible_trainees_next_step_on_the_overview_leads_to_their_checklist(ready, people, login_as):  # noqa: F811
    admin = login_as(people["admin"])
    row = _overview(admin).split("Tina Trainee</a>")[1].split("</tr>")[0]
    assert "Eligible, certificate not yet issued" in row
    link = re.search(r'<a href="([^"]+)">Issue the certificate<span class="visually-hidden"> Tina Trainee</span></a>', row)
    assert link and link.group(1) == f"/admin/people/{ready.id}/eligibility"
    assert "Issue the certificate" in admin.get(link.group(1)).text


def test_the_overview_shows_each_trainees_stage_and_the_at_risk_count(certificate, people, make_user,  # noqa: F811
                                                                      login_as):
    make_user("late@example.org", name="Lara Late", programme_started_on=TODAY - timedelta(days=200))
    refresh_all()
    db.session.commit()
    admin = login_as(people["admin"])
    page = _overview(admin)
    rows = {m.group(1): m.group(2) for m in re.finditer(
        r'<a href="/admin/people/\d+">([^<]+)</a></td>.*?<span class="badge [^"]+">([^<]+)</span>', page, re.S)}
    assert rows["Tina Trainee"] == "Certified"
    assert rows["Lara Late"] in ("No requirement met yet", "In progress")
    assert "Ada Admin" not in rows and "Sue Supervisor" not in rows
    assert re.search(r'<span class="stat">1</span> Certified', page)
    at_risk = int(re.search(r'<span class="stat">(\d+)</span> trainees? at risk of burnout', page).group(1))
    assert at_risk >= 1

    only_risk = _overview(admin, risk="at_risk")
    assert "Lara Late" in only_risk and "Tina Trainee" not in only_risk.split("<tbody>")[1]
    certified = _overview(admin, stage="certified")
    assert "Tina Trainee" in certified and "Lara Late" not in certified.split("<tbody>")[1]
    assert "Otto Other" in _overview(admin, q="otto") and "Tina Trainee" not in _overview(admin, q="otto").split(
        "<tbody>")[1]
    none = _overview(admin, credential="no-such-credential")
    assert "Nobody matches these filters." in none
    past_the_end = _overview(admin, page=5)
    assert "Nobody matches these filters." not in past_the_end and "Lara Late" in past_the_end


def test_the_overview_as_it_opens_counts_stages_and_risk_in_one_pass_with_the_same_numbers(
        certificate, people, make_user, login_as):  # noqa: F811
    from training.credentials.models import Credential, Enrolment
    from training.credentials.overview import STAGES, stage_counts, trainee_ids
    from training.supervision.assessments import at_risk
    from training.supervision.models import RiskAssessment

    late = make_user("late@example.org", name="Lara Late", programme_started_on=TODAY - timedelta(days=200))
    make_user("later@example.org", name="Leo Later", programme_started_on=TODAY - timedelta(days=150))
    state = db.session.scalar(db.select(Credential).where(Credential.slug == "state-peer-support-specialist"))
    db.session.add(Enrolment(user_id=late.id, credential_id=state.id, started_on=TODAY - timedelta(days=20)))
    refresh_all()
    db.session.commit()
    admin = login_as(people["admin"])
    _overview(admin)  # the first view of the day works out and stores the levels

    def shown(page):
        stats = {label: int(n) for n, label in re.findall(r'<span class="stat">(\d+)</span> ([^<]+)</a>', page)}
        risk = next(n for label, n in stats.items() if "at risk of burnout" in label)
        return {key: stats[str(label)] for key, label in STAGES.items()}, risk

    for levels in ("current", "none stored"):
        if levels == "none stored":  # every level is worked out again before the trainees at risk are counted
            db.session.execute(db.delete(RiskAssessment))
            db.session.commit()
        with count_statements() as seen:
            page = _overview(admin)
        expected = stage_counts(), at_risk(trainee_ids())[0]
        assert shown(page) == expected
        counted = [s for s in seen if "count(" in s and "enrolment" in s]
        assert len(counted) == (1 if levels == "current" else 3), counted
    # Lara is enrolled twice and at risk once; the stages count enrolments.
    assert expected[1] >= 2 and sum(expected[0].values()) == db.session.scalar(
        db.select(db.func.count()).select_from(Enrolment).join(User).where(User.email != "admin@example.org"))


def test_the_overview_exports_the_filtered_list_as_csv(certificate, people, login_as):  # noqa: F811
    refresh_all()
    db.session.commit()
    response = login_as(people["admin"]).get("/admin/programme.csv?stage=certified")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "programme-overview.csv" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")  # a spreadsheet reads its accented names as UTF-8
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [(r["Name"], r["Stage"]) for r in rows] == [("Tina Trainee", "Certified")]
    assert rows[0]["Requirements met"] == rows[0]["Requirements"]
    assert rows[0]["Next step"] == ""  # as the page words it: nothing to do


def test_the_overview_csv_gives_the_next_step_the_page_gives(ready, people, login_as):  # noqa: F811
    admin = login_as(people["admin"])
    rows = list(csv.DictReader(io.StringIO(admin.get("/admin/programme.csv?stage=eligible").data.decode("utf-8-sig"))))
    assert [(r["Name"], r["Next step"]) for r in rows] == [("Tina Trainee", "Issue the certificate")]
    row = _overview(admin, stage="eligible").split("Tina Trainee</a>")[1].split("</tr>")[0]
    signal = re.sub(r"<[^>]+>", " ", row.split('data-label="Burnout signal"')[1]).replace("Tina Trainee", "")
    assert "Issue the certificate" in row and " ".join(signal.split()).lstrip("> ") == rows[0]["Burnout signal"]
    assert rows[0]["Burnout signal"] != "All fine"
    spanish = admin.get("/admin/programme.csv", headers={"Accept-Language": "es"})
    assert "resumen-del-programa.csv" in spanish.headers["Content-Disposition"]


def test_a_lapsed_certificates_next_step_on_the_overview_and_its_csv_leads_toward_it(certificate, people,  # noqa: F811
                                                                                  login_as):
    from training.certificates.services import revoke

    revoke(people["admin"], certificate, "Issued in error")
    refresh_all()
    db.session.commit()
    admin = login_as(people["admin"])
    row = _overview(admin, stage="lapsed").split("Tina Trainee</a>")[1].split("</tr>")[0]
    link = re.search(r'<a href="([^"]+)">Renew or reinstate the certificate<span class="visually-hidden"> '
                     r'Tina Trainee</span></a>', row)
    assert link and link.group(1) == f"/admin/people/{certificate.user_id}/eligibility"
    assert f"Certificate {certificate.number} was revoked." in admin.get(link.group(1)).text
    rows = list(csv.DictReader(io.StringIO(admin.get("/admin/programme.csv?stage=lapsed").data.decode("utf-8-sig"))))
    assert [(r["Name"], r["Next step"]) for r in rows] == [("Tina Trainee", "Renew or reinstate the certificate")]


def test_the_overview_reads_a_fixed_number_of_statements_however_many_trainees(app, people, credentials, make_user,
                                                                             login_as):
    admin = login_as(people["admin"])

    def statements():
        refresh_all()
        db.session.commit()
        with count_statements() as seen:
            assert admin.get("/admin/programme").status_code == 200
        return len(seen)

    for n in range(3):
        make_user(f"few{n}@example.org", programme_started_on=TODAY - timedelta(days=30 * n))
    few = statements()
    for n in range(30):
        make_user(f"many{n}@example.org", programme_started_on=TODAY - timedelta(days=10 * n))
    assert statements() == few
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 37
