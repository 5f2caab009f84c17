"""Hours: logging with honest refusals, signed per-entry approval, sessions, progress, exports."""
import csv
import io
import re
from datetime import date, timedelta

import pytest

from training.audit import AuditEvent
from training.auth.models import SupervisorAssignment
from training.credentials.evaluation import evaluate_one
from training.extensions import db
from training.supervision.models import HourEntry, SupervisionSession
from training.supervision.services import EntryInput, log_entry, review_entries
from training.templating import format_date

TODAY = date.today()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


def entry_form(**overrides):
    data = {"kind": "service", "occurred_on": (TODAY - timedelta(days=1)).isoformat(), "hours": "3",
            "domain": "Advocacy", "organisation": "Riverside Centre", "note": "", "supervision_format": "individual"}
    data.update(overrides)
    return data


def hours_done(trainee, credential=None):
    """Minutes counted toward each hour requirement of the trainee's credential, by item key."""
    return {item.key: item.minutes_done for item in evaluate_one(trainee, credential).hour_items}


def count_entries():
    return db.session.scalar(db.select(db.func.count()).select_from(HourEntry))


def test_a_trainee_logs_three_hours_which_go_to_their_supervisor(team, login_as):
    client = login_as(team["trainee"])
    response = client.post("/hours/new", data=entry_form())
    assert response.status_code == 302
    entry = db.session.scalar(db.select(HourEntry))
    assert (entry.minutes, entry.status, entry.supervisor_id) == (180, "pending", team["supervisor"].id)
    assert "Waiting for approval" in client.get("/hours").text
    assert "hours.submitted" in set(db.session.scalars(db.select(AuditEvent.action)))


def test_a_form_sent_twice_makes_one_entry(team, login_as):
    client = login_as(team["trainee"])
    page = client.get("/hours/new").text
    key = re.search(r'name="submission_key" type="hidden" value="([0-9a-f]{32})"', page).group(1)
    assert key not in client.get("/hours/new").text  # each opening of the form has its own key
    first = client.post("/hours/new", data=entry_form(submission_key=key))
    again = client.post("/hours/new", data=entry_form(submission_key=key), follow_redirects=True)
    assert first.status_code == 302 and again.status_code == 200
    assert count_entries() == 1
    assert "These hours were already sent for approval; they are listed once." in again.text
    # Another opening of the form, or a form sent without a usable key, logs its own entry.
    assert client.post("/hours/new", data=entry_form(submission_key="0" * 32)).status_code == 302
    assert client.post("/hours/new", data=entry_form(submission_key="<script>")).status_code == 302
    assert client.post("/hours/new", data=entry_form()).status_code == 302
    assert count_entries() == 4
    # The key belongs to its trainee: another trainee's form with the same key is theirs alone.
    other = login_as(team["other_trainee"])
    assert other.post("/hours/new", data=entry_form(submission_key=key)).status_code == 302
    assert count_entries() == 5


def test_two_requests_racing_with_one_forms_key_make_one_entry(team):
    """The second request finds no entry yet, then meets the unique index as it writes."""
    from training.supervision import services

    trainee = team["trainee"]
    data = EntryInput("service", TODAY - timedelta(days=1), 60, "Advocacy")
    first = log_entry(trainee, data, submission_key="a" * 32)
    real = services.sent_before
    calls = []

    def not_yet_then_real(who, key):
        calls.append(key)
        return None if len(calls) == 1 else real(who, key)

    services.sent_before = not_yet_then_real
    try:
        with pytest.raises(services.AlreadySent) as raised:
            log_entry(trainee, data, submission_key="a" * 32)
    finally:
        services.sent_before = real
    assert raised.value.entry.id == first.id and count_entries() == 1


@pytest.mark.parametrize("overrides, field_message", [
    ({"occurred_on": (TODAY + timedelta(days=1)).isoformat()}, "The date cannot be in the future."),
    ({"occurred_on": (TODAY - timedelta(days=400)).isoformat()}, "Hours can be logged up to 120 days back."),
    ({"occurred_on": "yesterday"}, "Enter a date like 2026-03-31."),
    ({"hours": "0"}, "Enter between 0.25 and 24 hours."),
    ({"hours": "-2"}, "Enter between 0.25 and 24 hours."),
    ({"hours": "25"}, "Enter between 0.25 and 24 hours."),
    ({"hours": "1.1"}, "Enter the duration in quarter hours"),
    ({"hours": "lots"}, "Enter hours as a number, such as 1.5."),
    ({"domain": "Astrology"}, "Not a valid choice") ,
    ({"note": "Called her on 555-123-4567 after the group."}, "a phone number"),
    ({"note": "Follow up at jo.client@example.com"}, "an e-mail address"),
    ({"note": "Client DOB 04/05/1988, very anxious"}, "a date of birth"),
    ({"note": "See MRN 4412345 for history"}, "a record or case number"),
    ({"organisation": "Ward 4, patient ID: 99812"}, "a record or case number"),
    ({"kind": "training", "provider": ""}, "Enter who provided the training, and upload its certificate"),
    ({"kind": "training", "provider": "Academy"}, "Upload the training certificate"),
    ({"kind": "holiday"}, "Not a valid choice"),
])
def test_bad_entries_are_refused_with_a_message_and_nothing_saved(team, login_as, overrides, field_message):
    response = login_as(team["trainee"]).post("/hours/new", data=entry_form(**overrides))
    assert response.status_code == 400
    assert field_message in response.text.replace("&#39;", "'")
    assert count_entries() == 0


def test_a_date_in_the_future_and_hours_not_in_quarters_are_both_said_at_once(team, login_as):
    """Both mistakes in one sending: both are shown beside their fields, not the second after the first is mended."""
    page = login_as(team["trainee"]).post("/hours/new", data=entry_form(
        occurred_on=(TODAY + timedelta(days=3)).isoformat(), hours="2.3")).text
    assert re.search(r'<p class="error" id="occurred_on-error">The date cannot be in the future.</p>', page)
    assert re.search(r'<p class="error" id="hours-error">Enter the duration in quarter hours', page)
    assert count_entries() == 0


def test_hours_that_are_not_a_number_are_said_once(team, login_as):
    for typed in ("abc", "2.5h"):
        page = login_as(team["trainee"]).post("/hours/new", data=entry_form(hours=typed)).text
        error = re.search(r'<p class="error" id="hours-error">([^<]*)</p>', page).group(1)
        assert error == "Enter hours as a number, such as 1.5.", typed


def test_the_domain_is_always_chosen_never_taken_from_the_top_of_the_list(team, login_as):
    client = login_as(team["trainee"])
    select = re.search(r'<select[^>]*name="domain"[^>]*>(.*?)</select>', client.get("/hours/new").text, re.S).group(1)
    first = re.search(r"<option[^>]*>([^<]*)</option>", select)
    assert first.group(1) == "Choose a domain" and 'value=""' in first.group(0)
    response = client.post("/hours/new", data=entry_form(domain=""))
    assert response.status_code == 400 and "Choose a domain." in response.text and count_entries() == 0


def test_an_entry_is_shown_for_editing_with_its_hours_as_written(team, login_as):
    client = login_as(team["trainee"])
    client.post("/hours/new", data=entry_form(hours="1,25"))
    entry = db.session.scalar(db.select(HourEntry))
    assert re.search(r'name="hours"[^>]*value="1.25"', client.get(f"/hours/{entry.id}/edit").text)
    team["trainee"].locale = "es"
    db.session.commit()
    assert re.search(r'name="hours"[^>]*value="1,25"', client.get(f"/hours/{entry.id}/edit").text)


def test_a_returned_entry_sent_again_shows_the_comment_as_what_was_said_then(team, login_as):
    client = login_as(team["trainee"])
    client.post("/hours/new", data=entry_form())
    entry = db.session.scalar(db.select(HourEntry))
    review_entries(team["supervisor"], [entry], "return", "Add the organisation's full name.")
    assert "“Add the organisation's full name.”" in client.get("/hours").text.replace("&#39;", "'")
    client.post(f"/hours/{entry.id}/edit", data=entry_form(organisation="Riverside Recovery Centre"))
    page = client.get("/hours").text.replace("&#39;", "'")
    assert "Waiting" in page and "When it was returned: “Add the organisation's full name.”" in page
    team["trainee"].locale = "es"  # quoted as Spanish quotes
    db.session.commit()
    page = client.get("/hours").text.replace("&#39;", "'")
    assert "Cuando se le devolvió: «Add the organisation's full name.»" in page


def test_the_identifier_message_says_why(team, login_as):
    page = login_as(team["trainee"]).post("/hours/new", data=entry_form(note="ring 07700 900123")).text
    assert "Notes must never identify the people you support" in page


def test_more_than_24_hours_in_a_day_is_refused(team, login_as):
    client = login_as(team["trainee"])
    assert client.post("/hours/new", data=entry_form(hours="20")).status_code == 302
    page = client.post("/hours/new", data=entry_form(hours="4.25"))
    assert page.status_code == 400
    assert "You already have 20 hours on that day; at most 4 more fit in 24 hours." in page.text  # said to them
    assert client.post("/hours/new", data=entry_form(hours="4")).status_code == 302
    assert count_entries() == 2


def _upload(client, content, name="certificate.pdf", **extra):
    data = entry_form(kind="training", provider="Regional Academy", **extra)
    data["certificate"] = (io.BytesIO(content), name)
    return client.post("/hours/new", data=data, content_type="multipart/form-data")


def test_external_training_with_a_certificate(team, login_as):
    client = login_as(team["trainee"])
    assert _upload(client, PDF).status_code == 302
    entry = db.session.scalar(db.select(HourEntry))
    assert entry.attachment.content_type == "application/pdf" and entry.provider == "Regional Academy"
    download = client.get(f"/hours/{entry.id}/certificate")
    assert download.data == PDF and download.headers["X-Content-Type-Options"] == "nosniff"
    assert login_as(team["other_trainee"]).get(f"/hours/{entry.id}/certificate").status_code == 404


def test_a_certificate_on_two_entries_is_accepted_and_shown_to_the_trainee_and_the_reviewer(team, login_as):
    """One certificate may cover days logged apart; the reviewer sees it is the same file, so that the
    same training is not counted twice by mistake. Another file, or another trainee's, says nothing."""
    client = login_as(team["trainee"])
    first_day, second_day = TODAY - timedelta(days=3), TODAY - timedelta(days=2)
    assert _upload(client, PDF, occurred_on=first_day.isoformat()).status_code == 302
    assert _upload(client, PDF + b"\n", occurred_on=(TODAY - timedelta(days=4)).isoformat()).status_code == 302
    other = login_as(team["other_trainee"])
    assert _upload(other, PDF, occurred_on=first_day.isoformat()).status_code == 302
    assert "same file" not in other.get("/hours").text
    sent = _upload(client, PDF, name="again.pdf", occurred_on=second_day.isoformat(), hours="2")
    told = client.get(sent.headers["Location"]).text
    assert f"This certificate is the same file as on your entry of {format_date(first_day)}." in told
    assert count_entries() == 4
    queue = login_as(team["supervisor"]).get("/supervision/review").text
    assert queue.count("The same certificate file is on another entry") == 2
    assert f"The same certificate file is on another entry: {format_date(second_day)}, 2 h, waiting for approval." \
        in queue
    assert f"The same certificate file is on another entry: {format_date(first_day)}, 3 h, waiting for approval." \
        in queue


def test_a_certificate_chosen_with_another_mistake_is_asked_for_again(team, login_as):
    """A browser never fills a file field in again: the page says so rather than drop it silently."""
    client = login_as(team["trainee"])
    refused = _upload(client, PDF, hours="25")
    assert refused.status_code == 400 and "Enter between 0.25 and 24 hours." in refused.text
    assert "The file you chose was not kept: attach it again." in refused.text
    missing = client.post("/hours/new", data=entry_form(kind="training", provider="Regional Academy", hours="25"))
    assert "attach it again" not in missing.text  # no file was chosen
    assert count_entries() == 0


@pytest.mark.parametrize("content, name, message", [
    (b"MZ\x90\x00 not a pdf at all", "certificate.pdf", "Upload the certificate as a PDF, PNG or JPEG file."),
    (b"<html><script>alert(1)</script></html>", "certificate.png", "as a PDF, PNG or JPEG file"),
])
def test_uploads_are_checked_by_content_not_by_name(team, login_as, content, name, message):
    response = _upload(login_as(team["trainee"]), content, name)
    assert response.status_code == 400 and message in response.text and count_entries() == 0


@pytest.mark.config(ATTACHMENT_MAX_BYTES=2048)
def test_oversized_uploads_are_refused(team, login_as):
    response = _upload(login_as(team["trainee"]), PDF + b"0" * 2048, "big.pdf")
    assert response.status_code == 400 and "larger than 2 KB" in response.text and count_entries() == 0


# --- Approval ------------------------------------------------------------------------------------

def _log(trainee, days_ago=1, minutes=120, kind="service", **extra):
    return log_entry(trainee, EntryInput(kind=kind, occurred_on=TODAY - timedelta(days=days_ago), minutes=minutes,
                                         domain="Advocacy", **extra))


def test_the_supervisor_approves_one_entry_and_progress_moves(team, login_as):
    entry = _log(team["trainee"], minutes=180)
    client = login_as(team["supervisor"])
    assert "Tina Trainee" in client.get("/supervision/review").text
    before = hours_done(team["trainee"])
    response = client.post("/supervision/review", data={"entry": [entry.id], "decision": "approve",
                                                        "signed_name": "  sue   SUPERVISOR "})
    assert response.status_code == 302
    entry = db.session.get(HourEntry, entry.id)
    assert entry.status == "approved" and entry.signed_name == "Sue Supervisor" and len(entry.signature_hash) == 64
    assert hours_done(team["trainee"])["work"] == before["work"] + 180
    assert "3 h of 500 h" in login_as(team["trainee"]).get("/dashboard").text


def test_approving_needs_the_supervisors_own_name(team, login_as):
    entry = _log(team["trainee"])
    page = login_as(team["supervisor"]).post("/supervision/review", data={
        "entry": [entry.id], "decision": "approve", "signed_name": "Someone Else"})
    assert page.status_code == 400 and "Type your full name exactly" in page.text
    assert db.session.get(HourEntry, entry.id).status == "pending"


def test_returning_needs_a_comment_and_reaches_the_trainee(team, login_as):
    entry = _log(team["trainee"])
    client = login_as(team["supervisor"])
    page = client.post("/supervision/review", data={"entry": [entry.id], "decision": "return"})
    assert "Say what needs to change" in page.text
    client.post("/supervision/review", data={"entry": [entry.id], "decision": "return",
                                             "comment": "Please split this into two days."})
    assert db.session.get(HourEntry, entry.id).status == "returned"
    assert "Please split this into two days." in login_as(team["trainee"]).get("/hours").text


def test_bulk_approval_signs_each_entry_on_its_own(team, login_as):
    entries = [_log(team["trainee"], days_ago=d) for d in (1, 2, 3)]
    login_as(team["supervisor"]).post("/supervision/review", data={
        "entry": [e.id for e in entries[:2]], "decision": "approve", "signed_name": "Sue Supervisor"})
    statuses = [db.session.get(HourEntry, e.id).status for e in entries]
    assert statuses == ["approved", "approved", "pending"]
    hashes = {db.session.get(HourEntry, e.id).signature_hash for e in entries[:2]}
    assert len(hashes) == 2
    assert len(list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "hours.approved")))) == 2


def test_a_supervisor_cannot_review_someone_elses_supervisee(team, login_as, make_user):
    stranger = _log(team["other_trainee"])
    review_entries(team["supervisor"], [stranger], "approve", signed_name="Sue Supervisor")
    assert db.session.get(HourEntry, stranger.id).status == "pending"
    page = login_as(team["supervisor"]).get("/supervision/review").text
    assert "Otto Other" not in page


def test_approved_entries_are_locked_and_pending_ones_editable(team, login_as):
    approved, pending = _log(team["trainee"], days_ago=2), _log(team["trainee"], days_ago=1)
    review_entries(team["supervisor"], [approved], "approve", signed_name="Sue Supervisor")
    client = login_as(team["trainee"])
    response = client.post(f"/hours/{approved.id}/edit", data=entry_form(hours="9"), follow_redirects=True)
    assert "cannot be changed" in response.text
    assert db.session.get(HourEntry, approved.id).minutes == 120
    client.post(f"/hours/{approved.id}/withdraw")
    assert db.session.get(HourEntry, approved.id).status == "approved"
    assert client.post(f"/hours/{pending.id}/edit", data=entry_form(hours="2.5")).status_code == 302
    assert db.session.get(HourEntry, pending.id).minutes == 150
    assert client.get(f"/hours/{approved.id}/withdraw").location == "/hours"  # nothing to withdraw
    assert "Approved hours cannot be withdrawn." in client.get("/hours").text  # and it says why
    confirm = client.get(f"/hours/{pending.id}/withdraw").text  # the list links here, not to the action
    assert f'href="/hours/{pending.id}/withdraw"' in client.get("/hours").text
    assert "Withdraw these hours?" in confirm and "2.5 h" in confirm and "cannot be changed or sent again" in confirm
    assert db.session.get(HourEntry, pending.id).status == "pending"  # looking withdraws nothing
    done = client.post(f"/hours/{pending.id}/withdraw", follow_redirects=True).text
    assert db.session.get(HourEntry, pending.id).status == "withdrawn"
    assert f"Withdrawn: 2.5 h of peer support work on {format_date(pending.occurred_on)}." in done
    client.get(f"/hours/{pending.id}/withdraw")
    assert "These hours were already withdrawn." in client.get("/hours").text


def test_an_edited_entry_leaves_what_changed_in_the_audit_log(team, login_as):
    """The trainee changes the domain and the hours of an entry waiting: the audit log keeps both values of
    each, in the reader's words; the note's words stay out of it, only that it changed."""
    from training.audit import AuditEvent

    entry = _log(team["trainee"], days_ago=2)
    response = login_as(team["trainee"]).post(f"/hours/{entry.id}/edit", data=entry_form(
        occurred_on=entry.occurred_on.isoformat(), hours="2.5", domain="Ethical Responsibility", organisation="",
        note="Group at the drop-in."))
    assert response.status_code == 302
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "hours.edited"))
    assert event.details["before"] == {"minutes": 120, "domain": "Advocacy"}
    assert event.details["after"] == {"minutes": 150, "domain": "Ethical Responsibility"}
    assert event.details["note_changed"] is True and "drop-in" not in str(event.details)
    admin = login_as(team["admin"])
    page = admin.get("/admin/audit").text
    row = re.search(r"<tr>(?:(?!</tr>).)*Hours edited(?:(?!</tr>).)*</tr>", page, re.S).group(0)
    assert "<strong>before</strong>: minutes: 120; domain: Advocacy" in row
    assert "<strong>after</strong>: minutes: 150; domain: Ethical Responsibility" in row
    assert "<strong>note changed</strong>: yes" in row
    submitted = re.search(r"<tr>(?:(?!</tr>).)*Hours submitted(?:(?!</tr>).)*</tr>", page, re.S).group(0)
    assert "<strong>kind</strong>: Peer support work" in submitted


def test_an_administrator_corrects_an_approved_entry_with_a_reason(team, login_as):
    entry = _log(team["trainee"])
    review_entries(team["supervisor"], [entry], "approve", signed_name="Sue Supervisor")
    client = login_as(team["admin"])
    form = {"occurred_on": entry.occurred_on.isoformat(), "hours": "1.5", "domain": "Advocacy"}
    page = client.post(f"/admin/hours/{entry.id}/correct", data=form)
    assert page.status_code == 400 and "Give the reason for the correction." in page.text
    assert client.post(f"/admin/hours/{entry.id}/correct", data=form | {"reason": "Typo in hours"}).status_code == 302
    entry = db.session.get(HourEntry, entry.id)
    assert entry.minutes == 90 and entry.correction_reason == "Typo in hours"
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "hours.corrected"))
    assert event.details["before"]["minutes"] == 120 and event.details["after"]["minutes"] == 90


# --- Supervision sessions --------------------------------------------------------------------------

def test_a_group_session_records_time_for_each_supervisee_present(team, login_as):
    db.session.add(SupervisorAssignment(supervisor=team["supervisor"], trainee=team["other_trainee"],
                                        starts_on=TODAY - timedelta(days=10)))
    db.session.commit()
    client = login_as(team["supervisor"])
    response = client.post("/supervision/sessions/new", data={
        "format": "group", "occurred_on": TODAY.isoformat(), "hours": "1.5", "domain": "Ethical Responsibility",
        "topics": "Boundaries when supporting friends", "signed_name": "Sue Supervisor",
        "trainees": [team["trainee"].id, team["other_trainee"].id]})
    assert response.status_code == 302
    session = db.session.scalar(db.select(SupervisionSession))
    entries = list(db.session.scalars(db.select(HourEntry)))
    assert {e.trainee_id for e in entries} == {team["trainee"].id, team["other_trainee"].id}
    assert all(e.minutes == 90 and e.status == "approved" and e.session_id == session.id and
               e.supervision_format == "group" for e in entries)


def test_a_session_form_sent_twice_logs_the_session_once(team, login_as):
    """A double click or a resend of the same opening of the form logs and signs one session."""
    client = login_as(team["supervisor"])
    page = client.get(f"/supervision/sessions/new?trainee={team['trainee'].id}").text
    key = re.search(r'name="submission_key" type="hidden" value="([0-9a-f]{32})"', page).group(1)
    assert key not in client.get("/supervision/sessions/new").text  # each opening has its own key
    form = {"format": "individual", "occurred_on": TODAY.isoformat(), "hours": "1", "domain": "Advocacy",
            "signed_name": "Sue Supervisor", "trainees": [team["trainee"].id], "submission_key": key}
    first = client.post("/supervision/sessions/new", data=form)
    again = client.post("/supervision/sessions/new", data=form, follow_redirects=True)
    assert first.status_code == 302 and again.status_code == 200
    assert "This session was already logged and signed; it is listed once." in again.text
    assert db.session.scalar(db.select(db.func.count()).select_from(SupervisionSession)) == 1
    assert count_entries() == 1
    # Another opening of the form logs its own session.
    assert client.post("/supervision/sessions/new", data=form | {"submission_key": "b" * 32,
                                                                 "occurred_on": (TODAY - timedelta(days=1)).isoformat()}
                       ).status_code == 302
    assert count_entries() == 2


def test_two_requests_racing_with_one_session_forms_key_log_one_session(team):
    """The second request finds no session yet, then meets the entries' unique index as it writes."""
    from training.supervision import services

    args = (team["supervisor"], "individual", TODAY, 60, "Advocacy", "", [team["trainee"].id], "Sue Supervisor")
    first = services.log_session(*args, submission_key="c" * 32)
    real = services.session_sent_before
    calls = []

    def not_yet_then_real(who, key):
        calls.append(key)
        return None if len(calls) == 1 else real(who, key)

    services.session_sent_before = not_yet_then_real
    try:
        with pytest.raises(services.AlreadySent) as raised:
            services.log_session(*args, submission_key="c" * 32)
    finally:
        services.session_sent_before = real
    assert raised.value.made.id == first.id and count_entries() == 1


@pytest.mark.parametrize("data, message", [
    ({"format": "individual", "trainees": []}, "Choose who was present."),
    ({"format": "group", "trainees": ["TRAINEE"]}, "A group session needs at least two supervisees"),
    ({"format": "individual", "trainees": ["OTHER"]}, "only for your own supervisees"),
    ({"format": "individual", "trainees": ["TRAINEE"], "topics": "Rang her at 555 123 4567"}, "a phone number"),
    ({"format": "individual", "trainees": ["TRAINEE"], "signed_name": "Nobody"}, "Type your full name exactly"),
])
def test_bad_sessions_are_refused(team, login_as, data, message):
    ids = {"TRAINEE": team["trainee"].id, "OTHER": team["other_trainee"].id}
    form = {"occurred_on": TODAY.isoformat(), "hours": "1", "domain": "Advocacy", "signed_name": "Sue Supervisor",
            **data, "trainees": [ids[t] for t in data["trainees"]]}
    page = login_as(team["supervisor"]).post("/supervision/sessions/new", data=form)
    assert page.status_code == 400 and message in page.text
    assert count_entries() == 0


def test_a_session_form_shows_every_problem_at_once_beside_its_field(team, login_as, make_user):
    from training.auth.models import SupervisorAssignment

    second = make_user("sam@example.org", name="Sam Second")
    db.session.add(SupervisorAssignment(supervisor=team["supervisor"], trainee=second, starts_on=TODAY))
    db.session.commit()
    page = login_as(team["supervisor"]).post("/supervision/sessions/new", data={
        "format": "individual", "trainees": [team["trainee"].id, second.id], "occurred_on": TODAY.isoformat(),
        "hours": "1", "domain": "Advocacy", "signed_name": ""})
    assert page.status_code == 400
    summary = page.text.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "Individual supervision is with one supervisee" in summary and "Type your full name to sign." in summary
    assert re.search(r'<p class="error" id="trainees-error">Individual supervision is with one supervisee', page.text)
    assert 'id="signed_name-error"' in page.text
    # What was ticked stays ticked.
    assert re.search(rf'<input checked id="trainees-\d" name="trainees" type="checkbox" value="{second.id}"', page.text)
    assert count_entries() == 0


def test_a_session_form_shows_the_services_problems_with_the_forms_in_one_round(team, login_as):
    """A missing length, topics that identify someone and a signature that is not the supervisor's
    name are all said at once, each beside its field, instead of one per sending."""
    page = login_as(team["supervisor"]).post("/supervision/sessions/new", data={
        "format": "individual", "trainees": [team["trainee"].id], "occurred_on": TODAY.isoformat(),
        "hours": "", "domain": "Advocacy", "topics": "Rang her at 555 123 4567", "signed_name": "Nobody"})
    assert page.status_code == 400
    summary = page.text.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    for message in ("Enter how many hours.", "a phone number", "Type your full name exactly as it appears"):
        assert message in summary, message
    for field in ("hours", "topics", "signed_name"):
        assert f'id="{field}-error"' in page.text, field
    assert count_entries() == 0


SETTING_CREDENTIAL = """slug: setting-aware
title: Setting-Aware Peer Specialist
certificate_prefix: SAP
domains: [Advocacy, Crisis Support]
hour_attributes:
  - key: in_person
    label: Supervised in person
    help: The supervisor and supervisee were in the same room.
    kinds: [supervision]
requirements:
  - kind: supervision_hours
    total: 10
validity_months: 24
"""


@pytest.fixture
def mixed_team(team, tmp_path):
    """The trainee works toward the shipped credential; another supervisee toward one whose domains
    and statements about supervision differ."""
    from training.credentials.loader import sync_credentials
    from training.credentials.models import Credential
    from training.credentials.services import enrol

    (tmp_path / "setting-aware.yaml").write_text(SETTING_CREDENTIAL, encoding="utf-8")
    sync_credentials(tmp_path)
    other = team["other_trainee"]
    db.session.add(SupervisorAssignment(supervisor=team["supervisor"], trainee=other,
                                        starts_on=TODAY - timedelta(days=10)))
    db.session.commit()
    enrol(team["admin"], other, db.session.scalar(db.select(Credential).where(Credential.slug == "setting-aware")),
          TODAY - timedelta(days=10))
    return team


def test_a_supervisors_signature_in_another_case_records_their_name_as_written(team, login_as):
    entry = log_entry(team["trainee"], EntryInput("service", TODAY - timedelta(days=1), 120, "Advocacy"))
    review_entries(team["supervisor"], [entry], "approve", signed_name="sue supervisor")
    login_as(team["supervisor"]).post("/supervision/sessions/new", data={
        "format": "individual", "occurred_on": TODAY.isoformat(), "hours": "1", "domain": "Advocacy",
        "signed_name": "SUE  SUPERVISOR", "trainees": [team["trainee"].id]})
    assert {e.signed_name for e in db.session.scalars(db.select(HourEntry))} == {"Sue Supervisor"}
    assert db.session.scalar(db.select(SupervisionSession.signed_name)) == "Sue Supervisor"


def test_the_session_form_offers_every_supervisees_domains_and_statements(mixed_team, login_as):
    page = login_as(mixed_team["supervisor"]).get("/supervision/sessions/new").text
    for offered in ("Advocacy", "Ethical Responsibility", "Crisis Support", "Supervised in person",
                    "The supervisor and supervisee were in the same room.", "Organisation or setting"):
        assert offered in page, offered
    # Where a session left without a setting counts: nowhere, until the supervisor names their organisation.
    assert "they would say the organisation was not recorded" in page and 'href="/account#profile-heading"' in page
    mixed_team["supervisor"].organisation_name = "Riverside Centre"
    db.session.commit()
    page = login_as(mixed_team["supervisor"]).get("/supervision/sessions/new").text
    assert "left empty, at Riverside Centre." in page and "not recorded" not in page


def test_a_session_records_its_setting_and_each_supervisees_own_statements(mixed_team, login_as):
    from training.supervision.exports import report_scopes

    trainee, other = mixed_team["trainee"], mixed_team["other_trainee"]
    response = login_as(mixed_team["supervisor"]).post("/supervision/sessions/new", data={
        "format": "group", "occurred_on": TODAY.isoformat(), "hours": "1", "domain": "Advocacy",
        "organisation": "  Harbour Drop-in ", "attributes": ["in_person"], "signed_name": "Sue Supervisor",
        "trainees": [trainee.id, other.id]})
    assert response.status_code == 302
    entries = {e.trainee_id: e for e in db.session.scalars(db.select(HourEntry))}
    assert {e.organisation for e in entries.values()} == {"Harbour Drop-in"}
    # Only the credential that asks about supervision in person gets the statement.
    assert entries[other.id].attribute_keys == ["in_person"] and entries[trainee.id].attribute_keys == []
    # The verification report for that setting counts the session.
    scopes = {scope.organisation: scope for scope in report_scopes(other)}
    assert scopes["Harbour Drop-in"].minutes == 60


@pytest.mark.parametrize("data, message", [
    ({"domain": "Crisis Support"}, "Crisis Support is not a domain of Tina Trainee&#39;s credential"),
    ({"attributes": ["made_up"]}, "is not a valid choice for this field"),
    ({"organisation": "Met Ana Lopez at 555 123 4567"}, "a phone number"),
])
def test_a_session_that_does_not_fit_everyone_present_is_refused(mixed_team, login_as, data, message):
    form = {"format": "group", "occurred_on": TODAY.isoformat(), "hours": "1", "domain": "Advocacy",
            "signed_name": "Sue Supervisor", "trainees": [mixed_team["trainee"].id, mixed_team["other_trainee"].id],
            **data}
    page = login_as(mixed_team["supervisor"]).post("/supervision/sessions/new", data=form)
    assert page.status_code == 400 and message in page.text, page.text[:3000]
    assert count_entries() == 0


def test_a_session_that_fits_nobody_says_every_problem_at_once(mixed_team, login_as):
    """Problems only the service can see (a domain of one credential, a wrong signature, topics that
    identify someone) come back together."""
    page = login_as(mixed_team["supervisor"]).post("/supervision/sessions/new", data={
        "format": "group", "occurred_on": TODAY.isoformat(), "hours": "1", "domain": "Crisis Support",
        "topics": "Met client John Smith", "signed_name": "Someone Else",
        "trainees": [mixed_team["trainee"].id, mixed_team["other_trainee"].id]})
    assert page.status_code == 400
    for message in ("Crisis Support is not a domain of Tina Trainee&#39;s credential", "a name",
                    "Type your full name exactly as it appears"):
        assert message in page.text, message
    assert count_entries() == 0


def test_a_statement_no_supervisee_present_is_asked_about_is_refused(mixed_team, login_as):
    """Offered for the other supervisee, the statement cannot be recorded for the trainee alone."""
    page = login_as(mixed_team["supervisor"]).post("/supervision/sessions/new", data={
        "format": "individual", "occurred_on": TODAY.isoformat(), "hours": "1", "domain": "Advocacy",
        "attributes": ["in_person"], "signed_name": "Sue Supervisor", "trainees": [mixed_team["trainee"].id]})
    assert page.status_code == 400 and "Tick only the statements listed for the supervisees present." in page.text
    assert count_entries() == 0


# --- Progress and the state-style credential ---------------------------------------------------------

def _approved(trainee, supervisor, kind, minutes, days_ago=5, **extra):
    entry = HourEntry(trainee_id=trainee.id, supervisor_id=supervisor.id, kind=kind, minutes=minutes,
                      occurred_on=TODAY - timedelta(days=days_ago), domain="Advocacy", status="approved", **extra)
    db.session.add(entry)
    db.session.commit()
    return entry


def test_only_approved_hours_count_toward_requirements(team):
    trainee, supervisor = team["trainee"], team["supervisor"]
    _approved(trainee, supervisor, "service", 600)
    _log(trainee, minutes=240)
    _approved(trainee, supervisor, "training", 120)
    done = hours_done(trainee)
    assert done["work"] == 600 and done["training:Advocacy"] == 120


def test_the_state_credential_counts_work_in_its_window_and_caps_group_supervision(team):
    from training.credentials.models import Credential, Enrolment

    trainee, supervisor = team["trainee"], team["supervisor"]
    trainee.programme_started_on = TODAY - timedelta(days=300)
    state = db.session.scalar(db.select(Credential).where(Credential.slug == "state-peer-support-specialist"))
    db.session.add(Enrolment(user_id=trainee.id, credential_id=state.id, started_on=trainee.programme_started_on))
    _approved(trainee, supervisor, "service", 600, days_ago=250)  # inside the first 6 months
    _approved(trainee, supervisor, "service", 900, days_ago=20)   # after them: does not count
    _approved(trainee, supervisor, "supervision", 600, days_ago=200, supervision_format="group")
    _approved(trainee, supervisor, "supervision", 60, days_ago=190, supervision_format="individual")
    done = hours_done(trainee, state)
    assert done["work"] == 600
    assert done["supervision"] == 6 * 60 + 60  # group capped at 6 hours


def test_progress_page_has_charts_with_tables(team, login_as):
    _approved(team["trainee"], team["supervisor"], "service", 300)
    page = login_as(team["trainee"]).get("/progress").text
    # Each chart is drawn for wide screens and for phones; the stylesheet shows one of them.
    assert page.count('class="chart chart-wide"') == 3 and page.count('class="chart chart-narrow"') == 3
    assert page.count('role="img"') == 6 and "<title" in page
    ids = re.findall(r'<title id="([^"]+)"', page)
    assert len(ids) == len(set(ids)) == 6
    assert "Progress over time as a table" in page
    assert "Weekly hours as a table" in page and "Supervised peer support work" in page
    # Training hours from live sessions and from outside are one series: it is not called "External".
    legend = re.search(r'<ul class="legend".*?</ul>', page, re.S).group(0)
    assert "<span class=\"swatch swatch-2\"></span>Training</li>" in legend and "External" not in legend


# --- Exports ---------------------------------------------------------------------------------------

def test_csv_export_neutralises_formulas(team, login_as):
    _approved(team["trainee"], team["supervisor"], "service", 60, organisation="=HYPERLINK(\"http://x\")",
              note="+1 good day")
    _approved(team["trainee"], team["supervisor"], "service", 60, organisation="@SUM(A1)", note="-minus")
    response = login_as(team["trainee"]).get("/hours/export.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][0] == "Date" and len(rows) == 3
    cells = [cell for row in rows[1:] for cell in row]
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert "'=HYPERLINK(\"http://x\")" in cells and "'-minus" in cells


def test_verification_report_pdf(team, login_as):
    from pypdf import PdfReader

    _approved(team["trainee"], team["supervisor"], "service", 600, organisation="Riverside Centre",
              signed_name="Sue Supervisor", signature_hash="ab" * 32)
    _approved(team["trainee"], team["supervisor"], "supervision", 60, supervision_format="group",
              signed_name="Sue Supervisor", signature_hash="cd" * 32)
    response = login_as(team["supervisor"]).get(f"/supervisees/{team['trainee'].id}/report.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    for expected in ("Supervision verification report", "Tina Trainee", "Riverside Centre", "Sue Supervisor",
                     "supervisor@example.org", "Advocacy", "10 h", "Group", "Supervisor signature"):
        assert expected in text, expected


def test_report_with_a_backwards_period_gets_a_message(team, login_as):
    client = login_as(team["supervisor"])
    response = client.get(f"/supervisees/{team['trainee'].id}/report.pdf?date_from=2026-05-01&date_to=2026-01-01",
                          follow_redirects=True)
    assert "the start must be on or before the end" in response.text


def test_supervised_work_can_be_required_per_domain(team):
    from training.credentials.models import Credential

    credential = db.session.scalar(db.select(Credential).where(Credential.slug == "peer-recovery-specialist"))
    requirements = [dict(r, domains={"Advocacy": 10, "Ethical Responsibility": 5}, total=None)
                    if r["kind"] == "work_hours" else r for r in credential.definition["requirements"]]
    credential.definition = dict(credential.definition, requirements=requirements)
    db.session.commit()
    _approved(team["trainee"], team["supervisor"], "service", 240)
    done = {i.key: (i.minutes_done, i.minutes_required) for i in evaluate_one(team["trainee"]).hour_items}
    assert done["work:Advocacy"] == (240, 600) and done["work:Ethical Responsibility"] == (0, 300)
    assert "work" not in done


# --- The log form and the hours page ---------------------------------------------------------------

def pressed_kind(page):
    """The kind whose button is shown pressed, among the buttons that switch the form's kind."""
    return re.search(r'<button [^>]*name="show_kind" value="(\w+)"[^>]*aria-pressed="true"', page).group(1)


@pytest.mark.parametrize("kind, shown, hidden", [
    ("service", ["Organisation or setting"], ["Training provider", "Training certificate", "Supervision format"]),
    ("training", ["Training provider", "Training certificate"], ["Organisation or setting", "Supervision format"]),
    ("supervision", ["Supervision format", "Organisation or setting"], ["Training provider", "Training certificate"]),
])
def test_the_log_form_asks_only_what_the_chosen_kind_needs(team, login_as, kind, shown, hidden):
    """The kind is chosen in the address (``?kind=``, kept for bookmarks) or by a button that sends the form,
    so the form needs no script to show the right fields."""
    page = login_as(team["trainee"]).get(f"/hours/new?kind={kind}").text

    assert pressed_kind(page) == kind
    assert f'<input type="hidden" name="kind" value="{kind}">' in page
    for label in shown:
        assert f">{label}</" in page, label
    for label in hidden:
        assert f">{label}</" not in page, label


def test_the_log_form_starts_with_work_and_keeps_the_kind_through_errors(team, login_as):
    client = login_as(team["trainee"])
    assert pressed_kind(client.get("/hours/new").text) == "service"

    page = client.post("/hours/new", data=entry_form(kind="training", provider=""))

    assert page.status_code == 400 and "Enter who provided the training, and upload its certificate" in page.text
    assert pressed_kind(page.text) == "training"
    assert ">Supervision format</" not in page.text and count_entries() == 0


def test_changing_an_entry_opens_the_form_of_its_kind(team, login_as):
    client = login_as(team["trainee"])
    client.post("/hours/new", data=entry_form(kind="supervision", supervision_format="group"))
    entry = db.session.scalar(db.select(HourEntry))

    page = client.get(f"/hours/{entry.id}/edit").text

    assert pressed_kind(page) == "supervision"
    assert f'formaction="/hours/{entry.id}/edit?kind=training' in page  # switching stays on this entry
    assert ">Supervision format</" in page and ">Training provider</" not in page


def assert_kept_as_typed(page, typed):
    """The date, hours, domain and note of ``typed`` are in the page's form, as they were typed."""
    assert re.search(rf'name="occurred_on"[^>]*value="{typed["occurred_on"]}"', page)
    assert re.search(rf'name="hours"[^>]*value="{typed["hours"]}"', page)
    assert f'<option selected value="{typed["domain"]}">' in page
    assert re.search(rf'name="note"[^>]*>\s*{re.escape(typed["note"])}</textarea>', page)


def test_switching_the_kind_keeps_what_was_typed_and_saves_nothing(team, login_as):
    """Each kind is a button that sends the form: what was typed comes back in the form of the kind
    chosen, with no error shown, and nothing is saved until the form is sent for approval."""
    client = login_as(team["trainee"])
    typed = entry_form(hours="2.5", domain="Mentoring/Education", note="Walked with a peer to the group.")

    page = client.post("/hours/new", data={**typed, "show_kind": "training"})

    assert page.status_code == 200 and count_entries() == 0
    assert pressed_kind(page.text) == "training" and '<input type="hidden" name="kind" value="training">' in page.text
    assert_kept_as_typed(page.text, typed)
    assert ">Training provider</" in page.text and 'class="error' not in page.text
    assert "attach it again" not in page.text  # no file was chosen

    # The organisation typed for the work is kept for supervision, which asks for it too.
    page = client.post("/hours/new", data={**typed, "show_kind": "supervision"}).text
    assert pressed_kind(page) == "supervision" and 'value="Riverside Centre"' in page
    assert_kept_as_typed(page, typed)
    assert count_entries() == 0


def test_what_one_kind_asks_for_survives_a_visit_to_another_and_is_not_saved_with_it(team, login_as):
    client = login_as(team["trainee"])
    typed = entry_form(hours="2")
    training = client.post("/hours/new", data={**typed, "show_kind": "training"}).text
    assert '<input type="hidden" name="organisation" value="Riverside Centre">' in training
    # The training page sends the organisation back unseen, with the provider typed there.
    back = client.post("/hours/new", data={**typed, "kind": "training", "provider": "Peer Academy",
                                           "show_kind": "service"}).text
    assert pressed_kind(back) == "service" and re.search(r'name="organisation"[^>]*value="Riverside Centre"', back)
    assert '<input type="hidden" name="provider" value="Peer Academy">' in back
    # Sent as supervision, the provider and category chosen for training ride along and are left out.
    client.post("/hours/new", data={**typed, "kind": "supervision", "provider": "Peer Academy", "category": "ethics"})
    entry = db.session.scalar(db.select(HourEntry))
    assert entry.kind == "supervision" and entry.provider == "" and entry.category == ""
    assert entry.organisation == "Riverside Centre"


def test_switching_the_kind_of_an_entry_being_changed_leaves_it_as_stored(team, login_as):
    client = login_as(team["trainee"])
    client.post("/hours/new", data=entry_form())
    entry = db.session.scalar(db.select(HourEntry))
    typed = entry_form(hours="5", note="Two groups, not one.")

    page = client.post(f"/hours/{entry.id}/edit", data={**typed, "show_kind": "supervision"})

    assert page.status_code == 200 and pressed_kind(page.text) == "supervision"
    assert_kept_as_typed(page.text, typed)
    db.session.refresh(entry)
    assert (entry.kind, entry.minutes, entry.note, entry.status) == ("service", 180, "", "pending")


@pytest.mark.parametrize("show_kind", ["holiday", "", "<script>"])
def test_switching_to_a_kind_that_is_none_of_ours_keeps_the_form_as_it_was(team, login_as, show_kind):
    client = login_as(team["trainee"])
    typed = entry_form(kind="supervision", hours="1.5", note="Group on Tuesday.")

    page = client.post("/hours/new", data={**typed, "show_kind": show_kind})

    assert page.status_code == 200 and count_entries() == 0
    assert pressed_kind(page.text) == "supervision" and 'class="error' not in page.text
    assert_kept_as_typed(page.text, typed)


def test_a_certificate_chosen_before_switching_is_asked_for_again(team, login_as):
    """A browser never fills a file field in again, after a switch of kind as after a mistake."""
    data = entry_form(kind="training", provider="Regional Academy", show_kind="training")
    data["certificate"] = (io.BytesIO(PDF), "certificate.pdf")

    page = login_as(team["trainee"]).post("/hours/new", data=data, content_type="multipart/form-data")

    assert page.status_code == 200 and "The file you chose was not kept: attach it again." in page.text
    assert 'value="Regional Academy"' in page.text and count_entries() == 0


def _many(trainee, supervisor, count, kind="service", status="approved", minutes=60, start_days_ago=1):
    db.session.add_all(HourEntry(trainee_id=trainee.id, supervisor_id=supervisor.id, kind=kind, minutes=minutes,
                                 occurred_on=TODAY - timedelta(days=start_days_ago + n % 100), domain="Advocacy",
                                 status=status) for n in range(count))
    db.session.commit()


def test_the_hours_page_pages_through_every_entry_instead_of_stopping_at_200(team, login_as):
    _many(team["trainee"], team["supervisor"], 230)
    client = login_as(team["trainee"])

    first = client.get("/hours").text
    last = client.get("/hours?page=5").text

    assert "230 entries · page 1 of 5" in first and 'rel="next">Older entries</a>' in first
    assert first.count('data-label="Date"') == 50
    assert "page 5 of 5" in last and last.count('data-label="Date"') == 30 and 'rel="next"' not in last


def test_the_hours_page_totals_by_kind_and_state_and_filters_by_kind_and_dates(team, login_as):
    trainee, supervisor = team["trainee"], team["supervisor"]
    _many(trainee, supervisor, 3, kind="service", minutes=120)
    _many(trainee, supervisor, 2, kind="service", status="pending", minutes=30)
    _many(trainee, supervisor, 1, kind="training", minutes=90, start_days_ago=40)
    client = login_as(trainee)

    page = client.get("/hours").text
    totals = page[page.index('id="totals-heading"'):page.index("</table>", page.index('id="totals-heading"'))]
    assert re.search(r"Peer support work</th>.*?>6 h<.*?>1 h<", totals, re.S)
    assert re.search(r">Training</th>.*?>1.5 h<", totals, re.S)

    training = client.get("/hours?kind=training").text
    assert "1 entry" in training and "Peer support work</th>" not in training
    # Logged training and a live training's attendance alike: the filter and the totals say "Training".
    assert re.search(r'<option[^>]*value="training"[^>]*>Training</option>', training)
    recent = client.get(f"/hours?date_from={(TODAY - timedelta(days=10)).isoformat()}").text
    assert "5 entries" in recent and ">Training</th>" not in recent
    waiting = client.get("/hours?status=pending&kind=service").text
    assert "2 entries" in waiting and 'href="/hours?kind=service">All</a>' in waiting  # the tabs keep the filters


def test_a_date_nobody_means_in_the_hours_filter_gets_a_message_not_a_500(team, login_as):
    response = login_as(team["trainee"]).get("/hours?date_from=31/02/2026&kind=nonsense")

    assert response.status_code == 400
    assert "Enter a date like 2026-03-31." in response.text and "Not a valid choice" in response.text


def test_a_date_range_the_wrong_way_round_in_the_hours_filter_says_so(team, login_as):
    client = login_as(team["trainee"])
    client.post("/hours/new", data=entry_form())
    response = client.get(f"/hours?date_from={TODAY.isoformat()}&date_to={(TODAY - timedelta(days=30)).isoformat()}")
    assert response.status_code == 400
    assert "This date is before the “From” date: enter the earlier date first." in response.text


def test_a_trainee_sees_their_supervisor_and_how_to_reach_them(team, people, login_as):
    page = login_as(team["trainee"]).get("/hours").text
    supervisor = team["supervisor"]
    assert "Your supervisor" in page and supervisor.full_name in page
    assert f'href="mailto:{supervisor.email}"' in page

    alone = login_as(people["other_trainee"]).get("/hours").text
    assert "You have no supervisor assigned yet" in alone


def _learned(trainee, course, modules=0, quizzes_passed=0, exam_tries=0):
    """Mark the first ``modules`` modules done and record quiz results straight in the tables."""
    from training.courses.models import ModuleCompletion
    from training.courses.services import active_quiz, final_exam
    from training.db_types import utcnow
    from training.quizzes.models import QuizAttempt

    for index, module in enumerate(course.active_modules[:modules]):
        db.session.add(ModuleCompletion(user_id=trainee.id, module_id=module.id))
        quiz = active_quiz(module)
        if quiz is not None:
            db.session.add(QuizAttempt(quiz_id=quiz.id, user_id=trainee.id, number=1, submitted_at=utcnow(),
                                       score=0.9 if index < quizzes_passed else 0.3,
                                       passed=index < quizzes_passed, pass_mark=80))
    for number in range(1, exam_tries + 1):
        db.session.add(QuizAttempt(quiz_id=final_exam(course).id, user_id=trainee.id, number=number,
                                   submitted_at=utcnow(), score=0.5, passed=False, pass_mark=80))
    db.session.commit()


def test_a_supervisor_is_told_that_the_next_steps_are_worded_for_the_trainee(team, login_as, credentials):
    trainee = team["trainee"]
    theirs = login_as(team["supervisor"]).get(f"/supervisees/{trainee.id}").text
    assert f"Each next step is worded as {trainee.full_name} reads it on their own progress page." in theirs
    assert "Each next step is worded" not in login_as(trainee).get("/progress").text


def test_a_supervisees_page_leads_their_supervisor_to_the_entries_waiting(team, make_user, login_as):
    """Two entries wait: the supervisor's page of the trainee offers to review them, and the link opens
    the review queue on that trainee alone. Another supervisor, who may see the page, is not offered it."""
    trainee = team["trainee"]
    path = f"/supervisees/{trainee.id}"
    assert "/supervision/review?trainee=" not in login_as(team["supervisor"]).get(path).text
    _log(trainee, days_ago=2)
    _log(trainee, days_ago=1)
    db.session.commit()
    page = login_as(team["supervisor"]).get(path).text
    assert f'<a class="button" href="/supervision/review?trainee={trainee.id}">Review 2 entries</a>' in page
    admin = login_as(team["admin"]).get(path).text
    assert "Review 2 entries" not in admin  # the supervisor's to review, not the administrators'


def test_a_supervisor_sees_each_supervisees_course_and_quiz_progress(team, people, course, make_user, login_as):
    from tests.conftest import count_statements

    trainee, supervisor = team["trainee"], team["supervisor"]
    _learned(trainee, course, modules=3, quizzes_passed=2, exam_tries=0)
    total = len(course.active_modules)
    client = login_as(supervisor)

    page = client.get("/supervision").text

    assert f"{course.title}</strong>: 3 of {total} modules" in page
    assert re.search(r"2 of \d+ quizzes passed", page) and "final exam not taken" in page
    dashboard = client.get("/dashboard").text
    assert f"{course.title}</strong>: 3 of {total} modules" in dashboard
    assert "No course started yet." not in page

    # More supervisees, further along, cost no more statements.
    with count_statements() as few:
        client.get("/supervision")
    for number in range(3):
        other = make_user(f"more{number}@example.org", roles=("trainee",))
        db.session.add(SupervisorAssignment(supervisor=supervisor, trainee=other, starts_on=TODAY))
        db.session.commit()
        _learned(other, course, modules=number + 1, quizzes_passed=number, exam_tries=1)
    # The first view after the change works out the new supervisees' levels and stores them (a fixed
    # number of statements too: see test_burnout.py); the view counted is one like the first.
    client.get("/supervision")
    with count_statements() as many:
        page = client.get("/supervision").text
    assert "final exam not passed after 1 attempt" in page
    assert len(many) == len(few), "a query per supervisee"


def test_a_supervisor_pages_through_every_entry_of_a_supervisee(team, login_as):
    _many(team["trainee"], team["supervisor"], 230)
    client = login_as(team["supervisor"])
    path = f"/supervisees/{team['trainee'].id}"

    first, last = client.get(path).text, client.get(f"{path}?page=5").text

    entries = first[first.index('id="entries-heading"'):]
    assert entries.count('data-label="Date"') == 50 and "Page 1 of 5 (230 entries)" in entries
    assert 'rel="next">Older entries</a>' in entries
    assert last[last.index('id="entries-heading"'):].count('data-label="Date"') == 30
