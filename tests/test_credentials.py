"""Credentials through the database and the pages: files checked whole, enrolments, evidence,
stored results, the eligibility list at a fixed number of statements, snapshots and extensions."""
import io
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, update

from training.audit import AuditEvent
from training.auth.models import SupervisorAssignment, User, UserRole
from training.credentials.eligibility import eligibility_page, eligible_count
from training.credentials.evaluation import evaluate_one, refresh_all
from training.credentials.loader import sync_credentials
from training.credentials.models import Credential, Enrolment, Evidence
from training.extensions import db
from training.supervision.models import HourEntry
from training.templating import format_date

from .conftest import ROOT, count_statements

TODAY = date.today()
CREDENTIALS_DIR = ROOT / "certificates" / "credentials"

LIVED = """# Written by an administrator: 500 work hours, 250 of them with people who share a similar
# lived experience, a signed code of ethics, and weekly supervision in the first six months.
slug: lived-experience
title: Lived Experience Peer Specialist
certificate_prefix: LEP
domains: [Advocacy, Mentoring/Education, Recovery/Wellness Support, Ethical Responsibility]
hour_attributes:
  - key: similar_lived_experience
    label: With people who share a similar lived experience
    kinds: [service]
requirements:
  - kind: work_hours
    total: 500
    at_least:
      similar_lived_experience: 250
  - kind: signature
    key: code_of_ethics
    title: Code of ethics
    text: I will respect the choices of the people I support and keep clear boundaries.
  - kind: supervision_frequency
    initial_months: 6
    initial_every_days: 7
validity_months: 24
"""


def write(folder, name, text):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def credential(slug):
    return db.session.scalar(db.select(Credential).where(Credential.slug == slug))


# --- Files ------------------------------------------------------------------------------------------

def test_check_prints_the_parsed_rules_of_every_shipped_and_example_file(runner):
    files = sorted(str(p) for p in CREDENTIALS_DIR.glob("*.yaml")) + \
        sorted(str(p) for p in (CREDENTIALS_DIR / "examples").glob("*.yaml"))
    result = runner.invoke(args=["credentials", "check", *files])
    assert result.exit_code == 0, result.output
    parsed = {c["slug"]: c for c in json.loads(result.output)}
    kinds = {r["kind"] for c in parsed.values() for r in c["requirements"]}
    assert kinds == {"course", "training_hours", "work_hours", "supervision_hours", "supervision_frequency", "exam",
                     "external_exam", "document", "signature", "credential", "any_of"}
    assert parsed["florida-shaped"]["requirements"][1]["at_least"] == {"similar_lived_experience": 250.0}


def test_check_lists_every_error_with_file_line_and_path(runner, tmp_path):
    path = write(tmp_path, "broken.yaml", """slug: broken
title: Broken
certificate_prefix: BR
domains: [Advocacy]
validity_months: "24"
colour: blue
requirements:
  - kind: course
    course: [a, b]
  - kind: supervision_hours
    total: 10
    group_at_most: six
""")
    result = runner.invoke(args=["credentials", "check", str(path)])
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert f"error: {path}:5: validity_months: must be a whole number" in lines
    assert f"error: {path}:6: colour: unknown key" in lines
    assert f"error: {path}:9: requirements[0].course: must be text" in lines
    assert f"error: {path}:12: requirements[1].group_at_most: must be a number" in lines
    assert "4 problems found" in result.output


def test_check_refuses_unknown_domains_courses_and_attributes(runner, tmp_path):
    path = write(tmp_path, "refs.yaml", """slug: refs
title: References
certificate_prefix: RF
domains: [Advocacy]
validity_months: 12
requirements:
  - kind: course
    course: no-such-course
  - kind: training_hours
    domains: {Advocacy: 5, Harm Reduction: 5}
  - kind: work_hours
    total: 10
    at_least: {similar: 5}
""")
    result = runner.invoke(args=["credentials", "check", str(path)])
    assert result.exit_code != 0
    assert f"{path}:8: requirements[0].course: there is no course 'no-such-course'" in result.output
    assert f"{path}:10: requirements[1].domains.Harm Reduction: 'Harm Reduction' is not one of this credential's " \
           "domains" in result.output
    assert f"{path}:13: requirements[2].at_least.similar: 'similar' is not one of this credential's " \
           "hour_attributes" in result.output


def test_sync_refuses_the_whole_set_on_any_error_and_changes_nothing(app, runner, tmp_path):
    write(tmp_path, "lived-experience.yaml", LIVED)
    write(tmp_path, "bad.yaml", LIVED.replace("slug: lived-experience", "slug: bad").replace("total: 500",
                                                                                          "total: lots"))
    result = runner.invoke(args=["credentials", "sync", "--path", str(tmp_path)])
    assert result.exit_code != 0 and "bad.yaml:" in result.output and "nothing was changed" in result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(Credential)) == 0


# --- A credential written by an administrator, end to end ------------------------------------------------

@pytest.fixture
def lived(app, people, credentials, tmp_path):
    folder = tmp_path / "credentials"
    for path in CREDENTIALS_DIR.glob("*.yaml"):
        write(folder, path.name, path.read_text())
    write(folder, "lived-experience.yaml", LIVED)
    sync_credentials(folder)
    db.session.add(SupervisorAssignment(supervisor=people["supervisor"], trainee=people["trainee"],
                                        starts_on=TODAY - timedelta(days=200)))
    db.session.commit()
    return credential("lived-experience")


def test_an_administrator_enrols_a_trainee_who_then_sees_each_item_with_its_next_step(lived, people, login_as):
    admin, trainee = login_as(people["admin"]), people["trainee"]
    started = (TODAY - timedelta(days=30)).isoformat()
    response = admin.post(f"/admin/people/{trainee.id}/credentials", data={
        "action": "enrol", "enrol-credential": "lived-experience", "enrol-started_on": started})
    assert response.status_code == 302
    enrolment = db.session.scalar(db.select(Enrolment).where(Enrolment.user_id == trainee.id,
                                                             Enrolment.credential_id == lived.id))
    assert enrolment.started_on.isoformat() == started
    page = login_as(trainee).get("/certificates").text
    assert "Toward Lived Experience Peer Specialist" in page
    assert "Log 500 more hours of supervised peer support work." in page
    assert "Log 250 more hours of work marked “With people who share a similar lived experience”." in page
    assert "Read and sign “Code of ethics”." in page
    assert "Toward Peer Recovery Specialist" in page  # enrolled in the default credential as well
    assert "credential.enrolled" in set(db.session.scalars(db.select(AuditEvent.action)))
    # The next steps speak to the trainee: elsewhere they are shown as the trainee reads them.
    assert "as the trainee reads it" not in page
    admin_page = admin.get(f"/admin/people/{trainee.id}/credentials").text
    assert "Next step, as the trainee reads it:</span> Read and sign “Code of ethics”." in admin_page


@pytest.mark.parametrize("started, message", [("30/11/2026", "Enter a date like 2026-03-31."),
                                               ("0001-01-01", "Enter a date between 1900 and 2199.")])
def test_an_enrolment_date_nobody_means_is_refused_with_a_message(lived, people, login_as, started, message):
    trainee = people["trainee"]
    response = login_as(people["admin"]).post(f"/admin/people/{trainee.id}/credentials", data={
        "action": "enrol", "enrol-credential": "lived-experience", "enrol-started_on": started})
    assert response.status_code == 400 and message in response.text
    assert db.session.scalar(db.select(Enrolment).where(Enrolment.user_id == trainee.id,
                                                        Enrolment.credential_id == lived.id)) is None


def test_an_enrolment_date_implausibly_far_back_is_refused(lived, people, login_as):
    trainee = people["trainee"]
    response = login_as(people["admin"]).post(f"/admin/people/{trainee.id}/credentials", data={
        "action": "enrol", "enrol-credential": "lived-experience", "enrol-started_on": "1900-01-01"})
    assert response.status_code == 400
    assert "The enrolment date cannot be more than 10 years ago." in response.text
    assert 'id="enrol-started_on-error"' in response.text
    assert db.session.scalar(db.select(Enrolment).where(Enrolment.user_id == trainee.id,
                                                        Enrolment.credential_id == lived.id)) is None


def test_enrolling_someone_already_enrolled_says_so_and_what_to_do(lived, people, login_as):
    trainee, admin = people["trainee"], login_as(people["admin"])
    started = TODAY - timedelta(days=30)
    form = {"action": "enrol", "enrol-credential": "lived-experience", "enrol-started_on": started.isoformat()}
    assert admin.post(f"/admin/people/{trainee.id}/credentials", data=form).status_code == 302
    again = admin.post(f"/admin/people/{trainee.id}/credentials", data=form)
    assert again.status_code == 400
    message = again.text.split('id="enrol-credential-error">', 1)[1].split("</p>", 1)[0]
    assert message.startswith("Tina Trainee is already enrolled in Lived Experience Peer Specialist, since ")
    assert "To move the start of their windows, enter another date and enrol again" in message
    assert [e.action for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))
            if e.action.startswith("credential.")] == ["credential.enrolled"]
    # Another date moves the start, and says so.
    moved = admin.post(f"/admin/people/{trainee.id}/credentials", data=form | {
        "enrol-started_on": (started - timedelta(days=5)).isoformat()}, follow_redirects=True)
    assert "Enrolment date in Lived Experience Peer Specialist changed from" in moved.text


def test_the_hour_form_asks_for_the_credentials_attributes_and_stores_them(lived, people, login_as):
    trainee = people["trainee"]
    db.session.add(Enrolment(user_id=trainee.id, credential_id=lived.id, started_on=TODAY - timedelta(days=30)))
    db.session.commit()
    client = login_as(trainee)
    assert "With people who share a similar lived experience" in client.get("/hours/new").text
    response = client.post("/hours/new", data={
        "kind": "service", "occurred_on": (TODAY - timedelta(days=1)).isoformat(), "hours": "2",
        "domain": "Advocacy", "attributes": ["similar_lived_experience"]})
    assert response.status_code == 302
    entry = db.session.scalar(db.select(HourEntry).where(HourEntry.trainee_id == trainee.id))
    assert entry.attribute_keys == ["similar_lived_experience"]
    bad = client.post("/hours/new", data={"kind": "service", "occurred_on": TODAY.isoformat(), "hours": "1",
                                          "domain": "Advocacy", "attributes": ["made_up"]})
    assert bad.status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(HourEntry)) == 1


def approve_work(trainee, supervisor, minutes, similar=False, days_ago=5):
    db.session.add(HourEntry(trainee_id=trainee.id, kind="service", minutes=minutes, domain="Advocacy",
                             status="approved", occurred_on=TODAY - timedelta(days=days_ago),
                             supervisor_id=supervisor.id, attributes="similar_lived_experience" if similar else ""))


def weekly_supervision(trainee, start):
    day = start + timedelta(days=6)
    while day <= TODAY:
        db.session.add(HourEntry(trainee_id=trainee.id, kind="supervision", minutes=60, domain="Advocacy",
                                 status="approved", occurred_on=day, supervision_format="individual"))
        day += timedelta(days=6)


def test_all_but_the_lived_experience_hours_is_not_eligible_and_is_told_so(lived, people, login_as):
    trainee, supervisor = people["trainee"], people["supervisor"]
    start = TODAY - timedelta(days=40)
    db.session.add(Enrolment(user_id=trainee.id, credential_id=lived.id, started_on=start))
    for similar, last_hours in ((False, 12.5), (True, 7.5)):  # 252.5 h, and 247.5 h with similar experience
        for n in range(10):
            approve_work(trainee, supervisor, 24 * 60, similar=similar, days_ago=n + 1)
        approve_work(trainee, supervisor, int(last_hours * 60), similar=similar, days_ago=12)
    weekly_supervision(trainee, start)
    db.session.commit()
    client = login_as(trainee)
    client.post("/credentials/lived-experience/evidence/code_of_ethics", data={"sign-signed_name": "Tina Trainee"})
    result = evaluate_one(trainee, lived)
    unmet = [item.label for item in result.unmet]
    assert unmet == ["Work: With people who share a similar lived experience"]
    assert "Log 2.5 more hours of work marked" in client.get("/progress").text
    enrolment = db.session.scalar(db.select(Enrolment).where(Enrolment.user_id == trainee.id,
                                                             Enrolment.credential_id == lived.id))
    assert not enrolment.eligible
    approve_work(trainee, supervisor, 150, similar=True)
    db.session.commit()  # the stored result follows in the same transaction
    db.session.refresh(enrolment)
    assert enrolment.eligible and eligible_count(lived) == 1


def test_signing_needs_the_trainees_own_name_and_is_audited(lived, people, login_as):
    trainee = people["trainee"]
    client = login_as(trainee)
    assert client.get("/credentials/lived-experience/evidence/code_of_ethics").status_code == 404  # not enrolled
    db.session.add(Enrolment(user_id=trainee.id, credential_id=lived.id, started_on=TODAY))
    db.session.commit()
    page = client.get("/credentials/lived-experience/evidence/code_of_ethics")
    assert "keep clear boundaries" in page.text
    wrong = client.post("/credentials/lived-experience/evidence/code_of_ethics", data={"sign-signed_name": "Someone"})
    assert wrong.status_code == 400 and "Type your name exactly" in wrong.text
    assert db.session.scalar(db.select(db.func.count()).select_from(Evidence)) == 0
    client.post("/credentials/lived-experience/evidence/code_of_ethics", data={"sign-signed_name": "tina  trainee"})
    signed = db.session.scalar(db.select(Evidence))
    assert signed.status == "accepted" and signed.signed_at is not None and len(signed.text_sha256) == 64
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "evidence.signed"))
    assert event.details["key"] == "code_of_ethics"


DOCS = """slug: documents
title: Documents
certificate_prefix: DOC
domains: [Advocacy]
validity_months: 12
requirements:
  - kind: document
    key: diploma
    title: High school diploma
  - kind: external_exam
    key: board_exam
    title: The board exam
    pass_score: 70
  - kind: document
    key: transcript
    title: College transcript
    quantity_label: college credits
    quantity_at_least: 24
"""


@pytest.fixture
def documents(app, people, credentials, tmp_path):
    folder = tmp_path / "docs"
    for path in CREDENTIALS_DIR.glob("*.yaml"):
        write(folder, path.name, path.read_text())
    write(folder, "documents.yaml", DOCS)
    sync_credentials(folder)
    doc = credential("documents")
    db.session.add(Enrolment(user_id=people["trainee"].id, credential_id=doc.id, started_on=TODAY))
    db.session.commit()
    return doc


def test_a_document_is_uploaded_returned_with_a_reason_then_accepted(documents, people, login_as):
    trainee, admin = login_as(people["trainee"]), login_as(people["admin"])
    url = "/credentials/documents/evidence/diploma"
    not_a_pdf = trainee.post(url, data={"upload-file": (io.BytesIO(b"hello"), "d.pdf")},
                             content_type="multipart/form-data")
    assert not_a_pdf.status_code == 400 and "Upload the document as a PDF, PNG or JPEG file." in not_a_pdf.text
    trainee.post(url, data={"upload-file": (io.BytesIO(b"%PDF-1.4 diploma"), "diploma.pdf")},
                 content_type="multipart/form-data")
    item = db.session.scalar(db.select(Evidence))
    assert item.status == "submitted"
    assert "Wait for your programme administrator to review what you sent." in trainee.get("/certificates").text
    no_reason = admin.post(f"/admin/evidence/{item.id}", data={f"e{item.id}-decision": "return"})
    assert no_reason.status_code == 400 and "Say why it is returned" in no_reason.text
    admin.post(f"/admin/evidence/{item.id}", data={f"e{item.id}-decision": "return",
                                                   f"e{item.id}-reason": "The scan is unreadable."})
    assert db.session.get(Evidence, item.id).status == "returned"
    assert "The scan is unreadable." in trainee.get(url).text
    trainee.post(url, data={"upload-file": (io.BytesIO(b"%PDF-1.4 clearer"), "diploma.pdf")},
                 content_type="multipart/form-data")
    second = db.session.scalar(db.select(Evidence).where(Evidence.status == "submitted"))
    admin.post(f"/admin/evidence/{second.id}", data={f"e{second.id}-decision": "accept"})
    found = {i.key: i for i in evaluate_one(people["trainee"], documents).items}
    assert found["evidence:diploma"].met
    assert login_as(people["other_trainee"]).get(f"/evidence/{second.id}/file").status_code == 404
    assert trainee.get(f"/evidence/{second.id}/file").data == b"%PDF-1.4 clearer"


def test_administrators_and_the_trainee_are_told_of_a_document_sent_and_reviewed(documents, people, make_user,
                                                                                 login_as, caplog):
    """A document sent: every administrator is told, with a link to it among those to review, and the
    notice is marked read for all once one reviews it. The trainee is told of the review, with the
    reason of a return, in their language, and led back to where they send it again."""
    from training.notifications.models import Notification

    def told(user, kind):
        return [(n.message_in(user.locale or "en"), n.read_at is not None) for n in db.session.scalars(
            db.select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
            .order_by(Notification.id))]

    caplog.set_level("INFO", logger="training.mail")
    second_admin = make_user("admin2@example.org", roles=("admin",), name="Abe Admin")
    trainee, admin = login_as(people["trainee"]), login_as(people["admin"])
    url = "/credentials/documents/evidence/diploma"
    trainee.post(url, data={"upload-file": (io.BytesIO(b"%PDF-1.4 diploma"), "diploma.pdf")},
                 content_type="multipart/form-data")
    item = db.session.scalar(db.select(Evidence))
    waiting = ("Tina Trainee sent “High school diploma” for review.", False)
    assert told(people["admin"], "evidence_submitted") == [waiting]
    assert told(second_admin, "evidence_submitted") == [waiting]
    assert told(people["supervisor"], "evidence_submitted") == []
    page = admin.get("/notifications").text
    opened = re.search(r'href="(/notifications/\d+/open)">Tina Trainee sent', page).group(1)
    assert admin.get(opened).location == f"/admin/evidence?evidence={item.id}#evidence-{item.id}"
    assert any("A document waiting for your review" in r.getMessage() for r in caplog.records
               if r.name == "training.mail")

    people["trainee"].locale = "es"
    db.session.commit()
    admin.post(f"/admin/evidence/{item.id}", data={f"e{item.id}-decision": "return",
                                                   f"e{item.id}-reason": "The scan is unreadable."})
    db.session.expire_all()
    assert told(people["admin"], "evidence_submitted") == [(waiting[0], True)]
    assert told(second_admin, "evidence_submitted") == [(waiting[0], True)]
    assert told(people["trainee"], "evidence_returned") == [
        ("Ada Admin devolvió su documento «High school diploma»: The scan is unreadable.", False)]
    notice = db.session.scalar(db.select(Notification).where(Notification.kind == "evidence_returned"))
    assert trainee.get(f"/notifications/{notice.id}/open").location == url

    trainee.post(url, data={"upload-file": (io.BytesIO(b"%PDF-1.4 clearer"), "diploma.pdf")},
                 content_type="multipart/form-data")
    second = db.session.scalar(db.select(Evidence).where(Evidence.status == "submitted"))
    login_as(second_admin).post(f"/admin/evidence/{second.id}", data={f"e{second.id}-decision": "accept"})
    assert told(people["trainee"], "evidence_accepted") == [("Abe Admin aceptó su documento «High school diploma».", False)]
    assert all(read for _message, read in told(people["admin"], "evidence_submitted"))


def test_evidence_to_review_comes_a_page_at_a_time_and_a_link_opens_the_page_of_its_document(documents, people,
                                                                                             login_as):
    """Thirty documents wait: the list shows the oldest 25 and says how many wait; the notification's
    link to the 28th opens the second page; a decision made there comes back to the second page."""
    from datetime import timedelta

    from training.db_types import utcnow

    trainee, admin = people["trainee"], login_as(people["admin"])
    sent = utcnow() - timedelta(days=40)
    items = [Evidence(user_id=trainee.id, key="diploma", title="High school diploma", status="submitted",
                      created_at=sent + timedelta(days=n)) for n in range(30)]
    db.session.add_all(items)
    db.session.commit()
    first = admin.get("/admin/evidence").text
    assert "30 documents are waiting, oldest first." in first and "Page 1 of 2" in first
    assert f'id="evidence-{items[0].id}"' in first and f'id="evidence-{items[24].id}"' in first
    assert f'id="evidence-{items[25].id}"' not in first
    linked = admin.get(f"/admin/evidence?evidence={items[27].id}").text
    assert "Page 2 of 2" in linked and f'id="evidence-{items[27].id}"' in linked
    assert f'id="evidence-{items[0].id}"' not in linked
    assert "Page 1 of 2" in admin.get(f"/admin/evidence?evidence={items[3].id}").text
    response = admin.post(f"/admin/evidence/{items[27].id}?page=2", data={f"e{items[27].id}-decision": "accept"})
    assert response.status_code == 302 and response.location == "/admin/evidence?page=2"
    left = admin.get("/admin/evidence?page=2").text
    assert "29 documents are waiting" in left and f'id="evidence-{items[27].id}"' not in left
    assert "Page 9 of" not in admin.get("/admin/evidence?page=9").text  # past the end: the last page
    assert "Page 2 of 2" in admin.get("/admin/evidence?page=9").text


def test_a_review_asks_for_a_number_only_where_the_requirement_counts_one(documents, people, login_as):
    """A diploma counts nothing: its review shows no number and keeps none sent by hand. A transcript
    counts college credits: its review asks how many, and accepting it needs the number."""
    trainee, admin = people["trainee"], login_as(people["admin"])
    diploma = Evidence(user_id=trainee.id, key="diploma", title="High school diploma", status="submitted")
    transcript = Evidence(user_id=trainee.id, key="transcript", title="College transcript", status="submitted")
    db.session.add_all([diploma, transcript])
    db.session.commit()
    page = admin.get("/admin/evidence").text
    assert f'name="e{diploma.id}-quantity"' not in page
    assert f'name="e{transcript.id}-quantity"' in page and "Number of college credits verified" in page
    admin.post(f"/admin/evidence/{diploma.id}", data={f"e{diploma.id}-decision": "accept",
                                                     f"e{diploma.id}-quantity": "12"})
    db.session.expire_all()
    assert db.session.get(Evidence, diploma.id).status == "accepted"
    assert db.session.get(Evidence, diploma.id).quantity is None
    no_number = admin.post(f"/admin/evidence/{transcript.id}", data={f"e{transcript.id}-decision": "accept"})
    assert no_number.status_code == 400 and "Give the number of college credits." in no_number.text
    assert db.session.get(Evidence, transcript.id).status == "submitted"
    admin.post(f"/admin/evidence/{transcript.id}", data={f"e{transcript.id}-decision": "accept",
                                                        f"e{transcript.id}-quantity": "24"})
    db.session.expire_all()
    assert db.session.get(Evidence, transcript.id).quantity == 24
    assert {i.key: i for i in evaluate_one(trainee, documents).items}["evidence:transcript"].met


def test_an_administrator_records_an_external_exam_result(documents, people, login_as):
    admin = login_as(people["admin"])
    url = f"/admin/people/{people['trainee'].id}/credentials"
    future = admin.post(url, data={"action": "record", "record-key": "documents:board_exam",
                                   "record-occurred_on": (TODAY + timedelta(days=3)).isoformat(),
                                   "record-quantity": "80"})
    assert future.status_code == 400 and "cannot be in the future" in future.text
    admin.post(url, data={"action": "record", "record-key": "documents:board_exam",
                          "record-occurred_on": TODAY.isoformat(), "record-quantity": "69.5"})
    found = {i.key: i for i in evaluate_one(people["trainee"], documents).items}
    assert not found["evidence:board_exam"].met
    admin.post(url, data={"action": "record", "record-key": "documents:board_exam",
                          "record-occurred_on": TODAY.isoformat(), "record-quantity": "70"})
    found = {i.key: i for i in evaluate_one(people["trainee"], documents).items}
    assert found["evidence:board_exam"].met
    assert "evidence.recorded" in set(db.session.scalars(db.select(AuditEvent.action)))
    # Another trainee, not enrolled in that credential, is offered nothing of it to record.
    other = admin.get(f"/admin/people/{people['other_trainee'].id}/credentials").text
    assert 'value="documents:board_exam"' not in other
    refused = admin.post(f"/admin/people/{people['other_trainee'].id}/credentials", data={
        "action": "record", "record-key": "documents:board_exam", "record-occurred_on": TODAY.isoformat(),
        "record-quantity": "80"})
    assert refused.status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(Evidence).where(
        Evidence.user_id == people["other_trainee"].id)) == 0


def end_date_error(page, enrolment):
    """The error shown beside an enrolment's end date, and the date the field holds."""
    field = f"end{enrolment.id}-ended_on"
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    value = re.search(rf'<input[^>]*id="{field}"[^>]*value="([^"]*)"', page)
    return error and error.group(1), value and value.group(1)


def test_an_enrolment_ends_once_and_not_in_the_future(documents, people, login_as):
    """A refused end date is explained beside the field, which keeps the date typed."""
    enrolment = db.session.scalar(db.select(Enrolment).where(Enrolment.credential_id == documents.id))
    admin = login_as(people["admin"])
    url, field = f"/admin/enrolments/{enrolment.id}/end", f"end{enrolment.id}-ended_on"
    later_day = (TODAY + timedelta(days=30)).isoformat()
    later = admin.post(url, data={field: later_day})
    assert later.status_code == 400
    assert end_date_error(later.text, enrolment) == ("The end date cannot be in the future.", later_day)
    assert "flash-error" not in later.text
    assert db.session.get(Enrolment, enrolment.id).ended_on is None
    not_a_date = admin.post(url, data={field: "31/02/2026"})
    assert not_a_date.status_code == 400
    assert end_date_error(not_a_date.text, enrolment) == ("Enter a date like 2026-03-31.", "31/02/2026")
    admin.post(url, data={field: TODAY.isoformat()})
    again = admin.post(url, data={field: TODAY.isoformat()})  # sent twice
    assert again.status_code == 400
    assert end_date_error(again.text, enrolment) == (f"This enrolment already ended on {format_date(TODAY)}.",
                                                     TODAY.isoformat())
    db.session.expire_all()
    assert db.session.get(Enrolment, enrolment.id).ended_on == TODAY
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "credential.enrolment_ended")) == 1


def test_recorded_scores_read_as_the_pages_language_writes_numbers(documents, people, login_as):
    admin = login_as(people["admin"])
    url = f"/admin/people/{people['trainee'].id}/credentials"
    for score in ("69.5", "70"):
        admin.post(url, data={"action": "record", "record-key": "documents:board_exam",
                              "record-occurred_on": TODAY.isoformat(), "record-quantity": score})
    page = admin.get(url).text
    assert "Score or number: 69.5" in page and re.search(r"Score or number: 70(?![.\d])", page)
    assert "70.0" not in page
    people["admin"].locale = "es"
    db.session.commit()
    page = admin.get(url).text
    assert "Puntuación o número: 69,5" in page and "69.5" not in page and "70.0" not in page


# --- The eligibility list at a programme's size ---------------------------------------------------------------



def add_trainees(count, start, credential_id):
    users = [User(email=f"t{start + n}@example.org", full_name=f"Trainee {start + n:03d}",
                  programme_started_on=TODAY - timedelta(days=100)) for n in range(count)]
    db.session.add_all(users)
    db.session.flush()
    db.session.execute(insert(UserRole), [{"user_id": u.id, "role": "trainee"} for u in users])
    db.session.execute(insert(Enrolment), [{"user_id": u.id, "credential_id": credential_id,
                                            "started_on": TODAY - timedelta(days=100)} for u in users])
    db.session.execute(insert(HourEntry), [
        {"trainee_id": u.id, "kind": kind, "occurred_on": TODAY - timedelta(days=d), "minutes": 60,
         "domain": "Advocacy", "status": "approved", "supervision_format": "individual" if kind == "supervision" else None}
        for u in users for d in range(1, 6) for kind in ("service", "training", "supervision")])
    db.session.commit()


def test_the_eligibility_list_evaluates_a_page_in_a_fixed_number_of_statements(app, people, credentials, course,
                                                                              login_as):
    prs = credential("peer-recovery-specialist")
    client = login_as(people["admin"])
    add_trainees(5, 0, prs.id)
    refresh_all()
    measured = []
    for more in (45, 0):
        with count_statements() as page:
            response = client.get("/admin/certificates/eligible?credential=peer-recovery-specialist&status=all")
        assert response.status_code == 200
        measured.append(len(page))
        if more:
            add_trainees(more, 100, prs.id)
            refresh_all()
    assert measured[0] == measured[1], measured  # 7 enrolled, then 52 over two pages of 50
    assert "Page 1 of 2" in response.text and "Trainee 104" in response.text
    db.session.refresh(prs)
    with count_statements() as counting:
        assert eligible_count(prs) == 0
    assert len(counting) == 1


def test_the_eligibility_list_counts_everyone_eligible_once_and_says_the_same_number(app, people, credentials,
                                                                                    course, login_as):
    prs = credential("peer-recovery-specialist")
    add_trainees(3, 0, prs.id)
    db.session.execute(update(Enrolment).where(Enrolment.credential_id == prs.id).values(eligible=True))
    db.session.commit()
    client = login_as(people["admin"])

    def counts_of_enrolled(url):
        with count_statements() as statements:
            text = client.get(url).text
        return sum("count(" in s and "JOIN enrolment" in s for s in statements), " ".join(text.split())

    # The list as it opens (everyone eligible, no search): one count gives the list's total and the lead.
    counted, text = counts_of_enrolled("/admin/certificates/eligible?credential=peer-recovery-specialist")
    assert counted == 1
    assert "5 trainees meet every requirement" in text and "5 trainees shown by this filter." in text
    # Another filter or a search counts its own rows, and the lead still counts everyone eligible.
    counted, text = counts_of_enrolled("/admin/certificates/eligible?credential=peer-recovery-specialist&q=Trainee+001")
    assert counted == 2
    assert "5 trainees meet every requirement" in text and "1 trainee shown by this filter." in text


def test_the_eligibility_list_pages_filters_and_searches(app, people, credentials, course):
    prs = credential("peer-recovery-specialist")
    add_trainees(60, 0, prs.id)
    page = eligibility_page(prs, "all", "", 1, per_page=50)
    assert page.total == 62 and page.pages == 2 and len(page.rows) == 50
    assert eligibility_page(prs, "all", "", 2, per_page=50).rows[-1][0].full_name == "Trainee 059"
    found = eligibility_page(prs, "all", "trainee 01", 1)
    assert {u.full_name for u, _ in found.rows} == {f"Trainee 01{n}" for n in range(10)}
    assert eligibility_page(prs, "eligible", "", 1).total == 0


# --- Certificates read the same evaluation ----------------------------------------------------------------------

def test_a_certificate_freezes_the_hours_its_checklist_counted_without_double_counting(app, people, credentials,
                                                                                      course):
    from training.certificates.services import issue

    prs = credential("peer-recovery-specialist")
    requirements = [dict(r, domains={"Advocacy": 100}) if r["kind"] == "work_hours" else r
                    for r in prs.definition["requirements"]]
    prs.definition = dict(prs.definition, requirements=requirements)
    trainee = people["trainee"]
    for domain in ("Advocacy", "Mentoring/Education"):
        for day in range(25):  # 300 hours in each domain, 12 a day
            db.session.add(HourEntry(trainee_id=trainee.id, kind="service", minutes=12 * 60, domain=domain,
                                     status="approved", occurred_on=TODAY - timedelta(days=day + 1)))
    db.session.commit()
    result = evaluate_one(trainee, prs)
    work = {i.key: i.minutes_done for i in result.items if i.key.startswith("work")}
    assert work == {"work": 600 * 60, "work:Advocacy": 300 * 60}
    certificate, _ = issue(trainee, prs, check=False)
    assert certificate.hours == result.snapshot and certificate.hours["service"] == 600 * 60


EXTENDABLE = """slug: initial-stage
title: Initial Stage
certificate_prefix: INI
domains: [Advocacy]
validity_months: 6
extension:
  months: 3
  count: 1
requirements:
  - kind: training_hours
    total: 1
"""


def test_an_initial_certification_can_be_extended_once(app, people, credentials, tmp_path, login_as):
    from training.certificates.services import CertificateError, extend, issue

    folder = tmp_path / "stages"
    for path in CREDENTIALS_DIR.glob("*.yaml"):
        write(folder, path.name, path.read_text())
    write(folder, "initial-stage.yaml", EXTENDABLE)
    sync_credentials(folder)
    stage = credential("initial-stage")
    first, _ = issue(people["trainee"], stage, check=False)
    admin = login_as(people["admin"])
    assert "This credential allows 1 more extension" in admin.get(f"/admin/certificates/{first.id}").text
    assert admin.post(f"/admin/certificates/{first.id}/extend").status_code == 302
    extended, created = extend(people["admin"], first)
    assert not created and extended.issued_as == "extension" and extended.previous_id == first.id
    assert (extended.expires_on.year * 12 + extended.expires_on.month) - \
        (first.expires_on.year * 12 + first.expires_on.month) == 3
    with pytest.raises(CertificateError, match="cannot be extended"):
        extend(people["admin"], extended)
    assert "certificate.extended" in set(db.session.scalars(db.select(AuditEvent.action)))


@pytest.fixture
def initial_certificate(app, people, credentials, tmp_path):
    """A certificate of a credential whose certificates may be extended once."""
    from training.certificates.services import issue

    folder = tmp_path / "stages"
    for path in CREDENTIALS_DIR.glob("*.yaml"):
        write(folder, path.name, path.read_text())
    write(folder, "initial-stage.yaml", EXTENDABLE)
    sync_credentials(folder)
    return issue(people["trainee"], credential("initial-stage"), check=False)[0]


def test_a_revoked_certificate_is_neither_renewed_nor_extended_and_the_page_says_to_reinstate_it(
        initial_certificate, people, login_as):
    """Refused plainly, not as a rule still to meet, and nothing is issued."""
    from training.certificates.models import Certificate
    from training.certificates.services import revoke

    revoke(people["admin"], initial_certificate, "Issued in error")
    admin = login_as(people["admin"])
    number = initial_certificate.number
    for action, verb in (("renew", "renewed"), ("extend", "extended")):
        page = admin.post(f"/admin/certificates/{initial_certificate.id}/{action}", follow_redirects=True).text
        assert f"Certificate {number} is revoked, so it cannot be {verb}. If the reason for revoking it no longer " \
               "holds, reinstate it first." in page
        assert "good standing" not in page and "renewal rules are not met" not in page
    people["admin"].locale = "es"
    db.session.commit()
    page = admin.post(f"/admin/certificates/{initial_certificate.id}/extend", follow_redirects=True).text
    assert f"El certificado {number} está revocado, así que no se puede prorrogar." in page
    assert db.session.scalar(db.select(db.func.count()).select_from(Certificate)) == 1


def test_the_audit_log_names_an_extension_and_filters_by_it(initial_certificate, people, login_as):
    from training.certificates.services import extend

    extend(people["admin"], initial_certificate)
    admin = login_as(people["admin"])
    page = admin.get("/admin/audit?action=certificate.extended").text
    assert '<option selected value="certificate.extended">Certificate extended</option>' in page
    assert "1 event." in page and "<td data-label=\"What\">Certificate extended</td>" in page
    assert ">certificate.extended<" not in page
    people["admin"].locale = "es"
    db.session.commit()
    assert "<td data-label=\"Qué\">Certificado prorrogado</td>" in admin.get("/admin/audit").text


def test_a_reinstatement_note_too_long_is_refused_beside_the_field_and_the_certificate_stays_revoked(
        initial_certificate, people, login_as):
    from training.certificates.services import revoke

    revoke(people["admin"], initial_certificate, "Issued in error")
    response = login_as(people["admin"]).post(f"/admin/certificates/{initial_certificate.id}/reinstate",
                                              data={"note": "x" * 2001})
    assert response.status_code == 400
    assert "“Note for the audit log” can be at most 2,000 characters long; this one has 2,001." in response.text
    assert "Reinstate certificate</button>" in response.text  # the form, to shorten the note and try again
    db.session.expire_all()
    assert db.session.get(type(initial_certificate), initial_certificate.id).status == "revoked"


def test_a_refused_revocation_shows_the_certificates_page_with_every_action_it_had(initial_certificate, people,
                                                                                   login_as):
    admin = login_as(people["admin"])
    before = admin.get(f"/admin/certificates/{initial_certificate.id}").text
    assert "Extend the certificate" in before
    response = admin.post(f"/admin/certificates/{initial_certificate.id}/revoke", data={"reason": ""})
    assert response.status_code == 400 and "Give the reason the verification page will show." in response.text
    assert "This credential allows 1 more extension" in response.text and "Extend the certificate" in response.text


def test_an_extension_is_called_one_on_both_certificates_pages(initial_certificate, people, login_as, client):
    from training.certificates.services import extend

    extended, _ = extend(people["admin"], initial_certificate)
    admin = login_as(people["admin"])
    first = admin.get(f"/admin/certificates/{initial_certificate.id}").text
    assert "<dt>Extended by</dt>" in first and f"Already extended as <a href=\"/admin/certificates/{extended.id}\">" \
        f"{extended.number}</a>." in first
    assert "Renewed by" not in first and "Already renewed" not in first
    second = admin.get(f"/admin/certificates/{extended.id}").text
    assert "<dt>Extends</dt>" in second and "<dt>Renews</dt>" not in second
    initial_certificate.issued_on, initial_certificate.expires_on = TODAY - timedelta(days=200), TODAY - timedelta(days=1)
    db.session.commit()
    public = client.get(f"/verify/{initial_certificate.grouped_code}").text
    assert "It was extended:" in public and "It was renewed:" not in public


def test_the_burnout_signal_uses_the_credentials_own_supervision_frequency(lived, people, app):
    from training.supervision.risk import assess

    trainee = people["trainee"]
    app.config["BURNOUT_SUPERVISION_DAYS_EARLY"] = 30
    db.session.add(HourEntry(trainee_id=trainee.id, kind="supervision", minutes=60, domain="Advocacy",
                             status="approved", occurred_on=TODAY - timedelta(days=9), supervision_format="group"))
    db.session.commit()
    assert "supervision_overdue" not in {f.key for f in assess([trainee])[0].flags}
    db.session.add(Enrolment(user_id=trainee.id, credential_id=lived.id, started_on=TODAY - timedelta(days=20)))
    db.session.commit()
    flag = next(f for f in assess([trainee])[0].flags if f.key == "supervision_overdue")
    assert "expected weekly" in flag.reason


def test_credentials_page_lists_requirements_in_words(app, people, credentials, course, login_as):
    page = login_as(people["admin"]).get("/admin/credentials").text
    assert "46 h of training with at least: Advocacy 10 h" in page
    assert "250 h of supervised peer support work, within 6 months of enrolment" in page
    assert "Renewal: 20 h of continuing education between issue and renewal, including Ethics 6 h." in page


def test_credentials_page_counts_in_the_readers_language_and_grammar(app, people, credentials, login_as):
    def summary(client):
        page = client.get("/admin/credentials").text
        section = page.split('id="credential-', 2)[1]  # the first credential listed, the default one
        return " ".join(re.sub(r"<[^>]+>", " ", re.search(r'<p class="muted">(.*?)</p>', section, re.S).group(1)).split())

    admin = login_as(people["admin"])
    assert summary(admin).startswith("2 enrolled · 0 eligible and not yet certified · valid 24 months · file ")
    people["admin"].locale = "es"
    ended = db.session.scalar(db.select(Enrolment).where(Enrolment.user_id == people["other_trainee"].id))
    ended.ended_on = date.today()
    db.session.commit()
    assert summary(admin).startswith("1 inscrito · 0 elegibles y aún sin certificar · válida 24 meses · archivo ")


def test_trainees_without_an_enrolment_are_enrolled_in_the_default_credential(app, people, credentials):
    enrolments = {e.user_id: e for e in db.session.scalars(db.select(Enrolment))}
    assert set(enrolments) == {people["trainee"].id, people["other_trainee"].id}
    assert enrolments[people["trainee"].id].credential.slug == "peer-recovery-specialist"


def test_the_examples_readme_lists_every_example_file():
    folder = CREDENTIALS_DIR / "examples"
    readme = (folder / "README.md").read_text()
    for path in folder.glob("*.yaml"):
        assert f"`{path.name}`" in readme, path.name


def test_shipped_credentials_are_what_the_product_describes():
    text = Path(CREDENTIALS_DIR / "peer-recovery-specialist.yaml").read_text()
    assert "not an official credential" in text
