"""The supervision verification report a certification board accepts, and the profile details it prints."""
import io
from datetime import date, timedelta

import pytest
from babel.dates import format_date
from pypdf import PdfReader

from training.auth.models import SupervisorAssignment, User
from training.extensions import db
from training.supervision.models import HourEntry

TODAY = date.today()
PROFILE = {"job_title": "Clinical supervisor", "professional_credential": "Licensed Clinical Social Worker",
           "credential_number": "LCSW-0481726", "phone": "+1 555 010 0142",
           "organisation_name": "Riverside Centre", "organisation_address": "12 Mill Lane\nRiverside, OR 97000"}


@pytest.fixture
def team(app, people, make_user, credentials):
    """The trainee, with a legal name, supervised by Sue (profile complete) and earlier by Vic (no profile)."""
    people["trainee"].legal_name = "Tina Maria Trainee-Lopez"
    for field, value in PROFILE.items():
        setattr(people["supervisor"], field, value)
    people["earlier"] = make_user("vic@example.org", roles=("supervisor",), name="Vic Earlier")
    db.session.add(SupervisorAssignment(supervisor=people["supervisor"], trainee=people["trainee"],
                                        starts_on=TODAY - timedelta(days=200)))
    db.session.commit()
    return people


def approved(trainee, supervisor, kind, minutes, days_ago, organisation="", **extra):
    entry = HourEntry(trainee_id=trainee.id, supervisor_id=supervisor.id, kind=kind, minutes=minutes,
                      occurred_on=TODAY - timedelta(days=days_ago), domain=extra.pop("domain", "Advocacy"),
                      organisation=organisation, status="approved", signed_name=supervisor.full_name,
                      signature_hash=f"{days_ago:04d}" * 16, **extra)
    db.session.add(entry)
    return entry


def pages(response):
    assert response.status_code == 200 and response.data.startswith(b"%PDF"), response.status_code
    return [page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages]


def report(client, trainee, key=None, **params):
    query = {"report": key, **params} if key else params
    return client.get(f"/supervisees/{trainee.id}/report.pdf", query_string=query)


def test_one_report_per_supervisor_and_organisation_with_the_supervisors_details(team, login_as):
    trainee, sue, vic = team["trainee"], team["supervisor"], team["earlier"]
    approved(trainee, sue, "service", 600, 10, "Riverside Centre", domain="Mentoring/Education")
    approved(trainee, sue, "supervision", 60, 9, supervision_format="individual")  # logged without a setting
    approved(trainee, sue, "service", 240, 8, "Harbour Drop-in")
    approved(trainee, vic, "service", 180, 150, "Northgate Line")
    db.session.commit()

    client = login_as(sue)
    page = client.get(f"/supervisees/{trainee.id}")
    for label in ("Sue Supervisor at Harbour Drop-in", "Sue Supervisor at Riverside Centre",
                  "Vic Earlier at Northgate Line"):
        assert label in page.text
    assert "Complete your professional details" not in page.text  # Sue's profile is complete

    text = " ".join(pages(report(client, trainee, f"{sue.id}:Riverside Centre")))
    for expected in ("Supervision verification report", "Tina Maria Trainee-Lopez", "Sue Supervisor",
                     "Clinical supervisor", "Licensed Clinical Social Worker", "LCSW-0481726", "+1 555 010 0142",
                     "12 Mill Lane", "Riverside, OR 97000", "Riverside Centre", "Mentoring/Education",
                     "Supervision frequency", "Supervisor signature"):
        assert expected in text, expected
    # This report's own totals: 10 h of work here and the 1 h of supervision without a setting; Harbour is elsewhere.
    assert "Total 10 h 1 h 0 h 1 h" in text
    assert "Harbour Drop-in" not in text and "Northgate" not in text

    harbour = " ".join(pages(report(client, trainee, f"{sue.id}:Harbour Drop-in")))
    assert "Total 4 h 0 h 0 h 0 h" in harbour and "Harbour Drop-in" in harbour

    # The earlier supervisor filled in no details: the report says so rather than leaving gaps.
    earlier = " ".join(pages(report(client, trainee, f"{vic.id}:Northgate Line")))
    assert "Vic Earlier" in earlier and "not given" in earlier and "Total 3 h" in earlier


def test_the_report_sets_totals_against_the_credential_frequency_and_training(team, login_as):
    trainee, sue = team["trainee"], team["supervisor"]
    approved(trainee, sue, "service", 600, 40, "Riverside Centre")
    for days_ago in (40, 30, 2):
        approved(trainee, sue, "supervision", 60, days_ago, supervision_format="group")
    approved(trainee, sue, "training", 480, 20, provider="Regional Peer Workforce Academy",
             domain="Ethical Responsibility")
    db.session.commit()
    text = " ".join(pages(report(login_as(sue), trainee)))
    # Against the default credential's requirements, read from its rules: required, this report, to date.
    assert "Supervised peer support work 500 h 10 h 10 h Not yet" in text
    assert "Supervision received 25 h 3 h 3 h Not yet" in text
    # How often supervision happened: 3 sessions, the longest gap 28 days.
    assert "3 sessions" in text.replace("\n", " ") and "28 days: the longest" in text.replace("\n", " ")
    assert "2.3 days a month on average" in text.replace("\n", " ")  # 3 days over 39 days, not over "1 month"
    # Training is listed with where it came from, not as attested work.
    assert "Regional Peer Workforce Academy" in text and "External training" in text
    assert "the supervisor does not attest it" in text.replace("\n", " ")


def test_days_a_month_are_averaged_over_the_period_not_a_rounded_number_of_months():
    from types import SimpleNamespace

    from training.supervision.exports import supervision_frequency

    sessions = [SimpleNamespace(kind="supervision", occurred_on=day)
                for day in (date(2026, 10, 8), date(2026, 10, 29), date(2026, 11, 19))]
    # Six weeks from the first session to the last: two a month (three, when the span was rounded to one month).
    assert supervision_frequency(sessions)["per_month"] == 2.1
    # Over the report's period when it has one: six months with three sessions.
    assert supervision_frequency(sessions, (date(2026, 6, 1), date(2026, 11, 30)))["per_month"] == 0.5
    # A single session, or sessions within a month, count over a whole month.
    assert supervision_frequency(sessions[:1])["per_month"] == 1.0
    assert supervision_frequency([])["per_month"] == 0


def test_every_page_has_the_header_the_table_headings_and_whole_rows(team, login_as, app):
    trainee, sue = team["trainee"], team["supervisor"]
    entries = [approved(trainee, sue, "service", 195, days_ago, "Riverside Centre",
                        domain="Recovery/Wellness Support") for days_ago in range(1, 121)]
    db.session.commit()
    texts = pages(report(login_as(sue), trainee))
    assert len(texts) >= 4
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {len(texts)}" in text
        assert "Supervision verification report · Tina Maria Trainee-Lopez" in text, number
        assert "Supervisor: Sue Supervisor · Riverside Centre" in text, number
    first = next(i for i, text in enumerate(texts) if "Signed entries" in text)
    assert len(texts) - first >= 3
    for text in texts[first + 1:]:
        assert "Fingerprint" in text or "Peer support" not in text  # the entries table's headings repeat on each page it spans
    # A row is never split: each entry's date, hours and fingerprint are on one page.
    for entry in entries:
        holding = [t for t in texts if format_date(entry.occurred_on, "d MMM y", locale="en") in t]
        assert holding and any(entry.signature_hash[:16] in t for t in holding), entry.occurred_on


@pytest.mark.parametrize("paper, size", [("letter", (612, 792)), ("a4", (595, 842))])
def test_the_paper_size_is_a_setting(team, login_as, app, paper, size):
    approved(team["trainee"], team["supervisor"], "service", 60, 3, "Riverside Centre")
    db.session.commit()
    app.config["PAPER_SIZE"] = paper
    response = report(login_as(team["supervisor"]), team["trainee"])
    box = PdfReader(io.BytesIO(response.data)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == size


def test_a_report_that_no_longer_exists_gets_a_message(team, login_as):
    approved(team["trainee"], team["supervisor"], "service", 60, 3, "Riverside Centre")
    db.session.commit()
    response = report(login_as(team["supervisor"]), team["trainee"], "999:Nowhere")
    assert response.status_code == 302
    page = login_as(team["supervisor"]).get(response.headers["Location"])
    assert response.headers["Location"].endswith(f"/supervisees/{team['trainee'].id}")
    assert page.status_code == 200


def test_a_supervisor_with_missing_details_is_asked_to_complete_them(team, login_as):
    approved(team["trainee"], team["supervisor"], "service", 60, 3, "Riverside Centre")
    team["supervisor"].phone = ""
    db.session.commit()
    page = login_as(team["supervisor"]).get(f"/supervisees/{team['trainee'].id}")
    assert "Complete your professional details" in page.text


def test_people_edit_their_professional_details_on_their_account_page(team, login_as):
    sue = team["earlier"]
    client = login_as(sue)
    assert "Professional details" in client.get("/account").text
    response = client.post("/account", data={**PROFILE, "save_profile": "1"})
    assert response.status_code == 302
    assert "Your details are saved." in client.get("/account").text
    stored = db.session.get(User, sue.id)
    db.session.refresh(stored)
    assert stored.credential_number == "LCSW-0481726" and stored.organisation_address.startswith("12 Mill Lane")


def test_a_bad_phone_number_gets_a_message_and_saves_nothing(team, login_as):
    sue = team["earlier"]
    response = login_as(sue).post("/account", data={**PROFILE, "phone": "call me", "save_profile": "1"})
    assert response.status_code == 400
    assert "Enter a phone number with its area code" in response.text
    db.session.refresh(sue)
    assert sue.phone == "" and sue.job_title == ""


def test_trainees_have_no_professional_details_to_fill_in(team, login_as):
    client = login_as(team["trainee"])
    assert "Professional details" not in client.get("/account").text
    client.post("/account", data={**PROFILE, "save_profile": "1"})
    db.session.refresh(team["trainee"])
    assert team["trainee"].phone == ""


def test_each_credential_the_candidate_works_toward_has_its_totals_and_frequency(team, login_as):
    from sqlalchemy import select

    from training.credentials.models import Credential, Enrolment

    trainee, sue = team["trainee"], team["supervisor"]
    state = db.session.scalar(select(Credential).where(Credential.slug == "state-peer-support-specialist"))
    db.session.add(Enrolment(user_id=trainee.id, credential_id=state.id, started_on=TODAY - timedelta(days=60)))
    approved(trainee, sue, "service", 600, 40, "Riverside Centre")
    approved(trainee, sue, "supervision", 60, 30, supervision_format="individual")
    db.session.commit()
    text = " ".join(pages(report(login_as(sue), trainee))).replace("\n", " ")
    assert "Toward Peer Recovery Specialist" in text and "Toward State Peer Support Specialist (example)" in text
    assert "Peer Recovery Specialist: the credential sets no supervision frequency." in text
    # The state credential asks for weekly supervision at first: the report shows the gap it found.
    assert "State Peer Support Specialist (example): across all supervisors, Supervision at least every 7 days" in text
    assert "Supervised peer support work 250 h 10 h 10 h Not yet" in text


def test_a_report_with_nothing_approved_yet_says_so(team, login_as):
    page = login_as(team["supervisor"]).get(f"/supervisees/{team['trainee'].id}")
    assert "No approved work or supervision yet" in page.text
    text = " ".join(" ".join(pages(report(login_as(team["supervisor"]), team["trainee"]))).split())
    assert "No supervisor has approved work or supervision for this candidate yet." in text
    assert "No approved entries in this period." in text


def test_a_wrong_password_keeps_the_professional_details_shown(team, login_as):
    sue = team["supervisor"]
    response = login_as(sue).post("/account", data={"current_password": "wrong", "password": "another long one",
                                                    "confirm": "another long one"})
    assert "That is not your current password." in response.text
    assert 'value="LCSW-0481726"' in response.text
