"""Inputs that once slipped through: each must get a clear answer, never a 500 or a leak."""
import io
from datetime import date, timedelta

import pytest

from training.auth.models import SupervisorAssignment
from training.extensions import db
from training.supervision.models import HourEntry
from training.supervision.privacy import find_identifiers

from .conftest import PASSWORD

TODAY = date.today()


@pytest.mark.parametrize("target", ["/%09/evil.example", "/%0A/evil.example", "/%20/evil.example",
                                    "https:/evil.example", "/\\\\evil.example"])
def test_next_never_leads_off_site(client, make_user, target):
    make_user("ana@example.org")
    response = client.post(f"/login?next={target}", data={"email": "ana@example.org", "password": PASSWORD})
    assert response.status_code == 302 and response.location == "/dashboard"


@pytest.mark.parametrize("note", ["(555) 123-4567", "call her on 555-1234", "ring 555.123.4567"])
def test_common_phone_formats_are_identifiers(note):
    assert find_identifiers(note) == ["a phone number"]


@pytest.fixture
def team(app, people, credentials):
    db.session.add(SupervisorAssignment(supervisor=people["supervisor"], trainee=people["trainee"],
                                        starts_on=TODAY - timedelta(days=200)))
    db.session.commit()
    return people


def test_unicode_names_download_cleanly(team, login_as):
    trainee = team["trainee"]
    trainee.full_name = 'Łukasz "Luke" Nowak'
    db.session.commit()
    client = login_as(trainee)
    response = client.get("/hours/export.csv")
    disposition = response.headers["Content-Disposition"]
    assert response.status_code == 200 and "filename*=UTF-8''approved-hours-%C5%82ukasz" in disposition
    disposition.encode("latin-1")  # what a WSGI server needs
    pdf = b"%PDF-1.4\n%%EOF"
    upload = {"kind": "training", "occurred_on": (TODAY - timedelta(days=1)).isoformat(), "hours": "1",
              "domain": "Advocacy", "provider": "Academy", "certificate": (io.BytesIO(pdf), "证书.pdf")}
    assert client.post("/hours/new", data=upload, content_type="multipart/form-data").status_code == 302
    entry = db.session.scalar(db.select(HourEntry))
    download = client.get(f"/hours/{entry.id}/certificate")
    assert download.data == pdf and download.headers["Content-Disposition"].encode("latin-1")


def test_nul_in_an_uploaded_file_name_is_refused(team, login_as):
    upload = {"kind": "training", "occurred_on": TODAY.isoformat(), "hours": "1", "domain": "Advocacy",
              "provider": "Academy", "certificate": (io.BytesIO(b"%PDF-1.4"), "a\x00b.pdf")}
    response = login_as(team["trainee"]).post("/hours/new", data=upload, content_type="multipart/form-data")
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(HourEntry)) == 0


@pytest.mark.parametrize("path", ["/hours/99999999999999999999999/edit", "/attempts/99999999999999999999999",
                                  "/quizzes/99999999999999999999999", "/certificates/99999999999999999999999.pdf"])
def test_huge_ids_are_not_found(team, login_as, path):
    assert login_as(team["trainee"]).get(path).status_code == 404


def test_huge_page_numbers_are_harmless(team, login_as):
    assert login_as(team["admin"]).get("/admin/people?page=99999999999999999999").status_code == 200


@pytest.mark.parametrize("hours, message", [("sNaN", "Enter hours as a number"), ("NaN", "Enter hours as a number"),
                                            ("0.26", "quarter hours"), ("1.251", "quarter hours")])
def test_odd_hour_values_are_refused(team, login_as, hours, message):
    response = login_as(team["trainee"]).post("/hours/new", data={
        "kind": "service", "occurred_on": TODAY.isoformat(), "hours": hours, "domain": "Advocacy"})
    assert response.status_code == 400 and message in response.text
    assert db.session.scalar(db.select(db.func.count()).select_from(HourEntry)) == 0


def test_pending_self_logged_supervision_does_not_clear_the_overdue_sign(team):
    from training.supervision.risk import assess

    trainee = team["trainee"]
    trainee.programme_started_on = TODAY - timedelta(days=60)
    db.session.add(HourEntry(trainee_id=trainee.id, kind="supervision", minutes=60, domain="Advocacy",
                             status="approved", occurred_on=TODAY - timedelta(days=20), supervision_format="individual"))
    db.session.add(HourEntry(trainee_id=trainee.id, kind="supervision", minutes=15, domain="Advocacy",
                             status="pending", occurred_on=TODAY, supervision_format="individual"))
    db.session.commit()
    flags = {f.key: f for f in assess([trainee])[0].flags}
    assert "No supervision logged for 20 days" in flags["supervision_overdue"].reason


def test_administrators_correct_entries_older_than_the_trainees_window(team, login_as):
    entry = HourEntry(trainee_id=team["trainee"].id, kind="service", minutes=60, domain="Advocacy", status="approved",
                      occurred_on=TODAY - timedelta(days=300))
    db.session.add(entry)
    db.session.commit()
    response = login_as(team["admin"]).post(f"/admin/hours/{entry.id}/correct", data={
        "occurred_on": entry.occurred_on.isoformat(), "hours": "2", "domain": "Advocacy", "reason": "Typo"})
    assert response.status_code == 302 and db.session.get(HourEntry, entry.id).minutes == 120


def test_renewing_early_keeps_the_rest_of_the_term(team, credentials):
    from training.certificates.services import issue, renew
    from training.credentials.models import Credential

    credential = db.session.scalar(db.select(Credential).where(Credential.slug == "peer-recovery-specialist"))
    first, _ = issue(team["trainee"], credential, check=False, today=TODAY - timedelta(days=700))
    for domain, hours, category in (("Advocacy", 14, ""), ("Ethical Responsibility", 6, "ethics")):
        db.session.add(HourEntry(trainee_id=team["trainee"].id, kind="training", minutes=hours * 60, domain=domain,
                                 status="approved", occurred_on=TODAY - timedelta(days=10), provider="Academy",
                                 category=category))
    db.session.commit()
    renewal, _ = renew(team["admin"], first)
    assert renewal.issued_on == TODAY
    assert renewal.expires_on == first.expires_on.replace(year=first.expires_on.year + 2)


@pytest.mark.parametrize("hours", ["1e309", "1e28", "-1e28", "1e5", "99999999999999999999999"])
def test_absurd_hour_values_get_a_message(team, login_as, hours):
    response = login_as(team["trainee"]).post("/hours/new", data={
        "kind": "service", "occurred_on": TODAY.isoformat(), "hours": hours, "domain": "Advocacy"})
    assert response.status_code == 400 and "Enter between 0.25 and 24 hours." in response.text
    assert f'value="{hours}"' in response.text  # shown back as typed
    assert db.session.scalar(db.select(db.func.count()).select_from(HourEntry)) == 0


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_dates_nobody_means_get_a_message_in_filters_and_forms(team, login_as, day):
    admin = login_as(team["admin"])
    response = admin.get(f"/admin/audit?date_from={day}&date_to={day}")
    assert response.status_code == 200 and "Enter a date between 1900 and 2199." in response.text
    assert admin.get(f"/admin/certificates?issued_from={day}&issued_to={day}").status_code == 200
    response = login_as(team["trainee"]).post("/hours/new", data={
        "kind": "service", "occurred_on": day, "hours": "1", "domain": "Advocacy"})
    assert response.status_code == 400 and "Enter a date between 1900 and 2199." in response.text


@pytest.mark.parametrize("huge", ["99999999999999999999999", str(2**63)])
def test_ids_beyond_64_bits_in_forms_and_query_strings_are_harmless(team, login_as, huge):
    admin = login_as(team["admin"])
    assert admin.get(f"/admin/certificates/preview.pdf?credential=peer-recovery-specialist&user={huge}"
                     ).status_code == 404
    response = admin.post("/admin/certificates/issue", data={"credential": "peer-recovery-specialist", "user": huge})
    assert response.status_code == 302
    assert "Select at least one person." in admin.get(response.location).text
    response = admin.post(f"/admin/people/{team['trainee'].id}/assignments",
                          data={"supervisor_id": huge, "starts_on": TODAY.isoformat()})
    assert response.status_code == 400 and "Choose one of the supervisors listed." in response.text
    supervisor = login_as(team["supervisor"])
    assert supervisor.get(f"/supervision/sessions/new?trainee={huge}").status_code == 200
    assert supervisor.post("/supervision/review", data={"entry": [huge], "decision": "return",
                                                        "comment": "x"}).status_code == 400


def test_an_error_page_offers_a_way_on_that_fits_who_is_reading(client, team, login_as):
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert 'href="/login">Sign in</a>' in missing.text and 'href="/verify"' in missing.text
    assert "Go to your dashboard" not in missing.text  # a visitor has none
    signed_in = login_as(team["trainee"]).get("/no-such-page").text
    assert 'href="/dashboard">Go to your dashboard</a>' in signed_in and 'href="/login"' not in signed_in
