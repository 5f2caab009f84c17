"""Notifications: each person is told, in the app and by e-mail (at once or in a daily digest),
of what concerns them, each event once however often a job runs."""
import re
from datetime import date, timedelta

from training.auth.models import SupervisorAssignment
from training.extensions import db
from training.notifications.models import Notification
from training.notifications.services import deliver_events, send_digests, set_delivery
from training.supervision.models import HourEntry
from training.supervision.services import EntryInput, log_entry, review_entries

from .conftest import count_statements

TODAY = date.today()


def mails(caplog):
    """(recipient, subject, body) of every message written to the mail log."""
    found = []
    for record in caplog.records:
        if record.name != "training.mail":
            continue
        text = record.getMessage()
        head, _, body = text.partition("\n\n")
        to = head.split("To: ")[1].split("\n")[0]
        subject = head.split("Subject: ")[1].split("\n")[0]
        found.append((to, subject, body))
    return found


def logged(trainee, days_ago=1, minutes=120):
    return log_entry(trainee, EntryInput("service", TODAY - timedelta(days=days_ago), minutes, "Advocacy"))


def messages_of(user, language=None):
    """What each of ``user``'s notifications says in ``language`` (default: theirs)."""
    from training.i18n import user_locale

    return [n.message_in(language or user_locale(user)) for n in db.session.scalars(
        db.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))]


def test_a_returned_entry_is_told_in_the_app_and_by_email_and_the_dashboard_asks_for_action(team, login_as,
                                                                                          caplog):
    caplog.set_level("INFO", logger="training.mail")
    entry = logged(team["trainee"])
    review_entries(team["supervisor"], [entry], "return", "Please add the organisation.")

    trainee = login_as(team["trainee"])
    dashboard = trainee.get("/dashboard").text
    assert "All fine" not in dashboard
    assert "1 hour entry was returned to you for changes." in dashboard
    assert 'class="notification-count">1<' in dashboard
    page = trainee.get("/notifications").text
    assert "Sue Supervisor returned your 2 h of peer support work" in page and "Please add the organisation." in page
    # Opening it leads to the entry and marks it read.
    opened = re.search(r'href="(/notifications/\d+/open)">Sue Supervisor returned', page).group(1)
    response = trainee.get(opened)
    assert response.status_code == 302 and response.location == f"/hours/{entry.id}/edit"
    assert "notification-count" not in trainee.get("/dashboard").text
    assert trainee.get(opened).location == f"/hours/{entry.id}/edit"  # again: still leads there
    assert login_as(team["supervisor"]).get(opened).location == "/notifications"  # not theirs

    to, subject, body = next(m for m in mails(caplog) if m[0] == "trainee@example.org")
    assert subject == "Your hours were returned for changes"
    assert f"http://localhost/hours/{entry.id}/edit" in body  # from BASE_URL, never the request


def test_an_approval_is_told_to_the_trainee(team, caplog):
    caplog.set_level("INFO", logger="training.mail")
    entry = logged(team["trainee"])
    review_entries(team["supervisor"], [entry], "approve", signed_name="Sue Supervisor")
    assert messages_of(team["trainee"]) == [
        f"Sue Supervisor approved your 2 h of peer support work on {entry.occurred_on.strftime('%-d %B %Y')}."]
    assert ("trainee@example.org", "Your hours were approved") in [m[:2] for m in mails(caplog)]


def test_new_entries_are_told_to_the_supervisor_with_a_link_to_that_trainees_entries(team, login_as, caplog):
    caplog.set_level("INFO", logger="training.mail")
    logged(team["trainee"])
    supervisor = login_as(team["supervisor"])
    page = supervisor.get("/notifications").text
    assert "Tina Trainee sent 2 h of peer support work" in page
    opened = re.search(r'href="(/notifications/\d+/open)">Tina Trainee sent', page).group(1)
    assert supervisor.get(opened).location == f"/supervision/review?trainee={team['trainee'].id}"
    to, subject, body = next(m for m in mails(caplog) if m[0] == "supervisor@example.org")
    assert subject == "Hours waiting for your review"
    assert f"http://localhost/supervision/review?trainee={team['trainee'].id}" in body


def test_a_supervisor_is_told_of_a_new_supervisee(app, people, login_as):
    admin = login_as(people["admin"])
    response = admin.post(f"/admin/people/{people['other_trainee'].id}/assignments",
                          data={"supervisor_id": people["supervisor"].id, "starts_on": TODAY.isoformat()})
    assert response.status_code == 302
    assert messages_of(people["supervisor"]) == [
        f"Otto Other is now your supervisee, from {TODAY.strftime('%-d %B %Y')}."]


def test_certificate_issued_revoked_and_expiring_are_told_to_the_holder(app, people, credentials, caplog):
    from training.certificates.reminders import send_expiry_reminders
    from training.certificates.services import issue, revoke
    from training.credentials.models import Credential

    caplog.set_level("INFO", logger="training.mail")
    credential = db.session.scalar(db.select(Credential).where(Credential.slug == "peer-recovery-specialist"))
    certificate, _ = issue(people["trainee"], credential, check=False)
    send_expiry_reminders(certificate.expires_on - timedelta(days=30))
    revoke(people["admin"], certificate, "Issued in error")
    messages = messages_of(people["trainee"])
    assert len(messages) == 3
    assert messages[0].startswith(f"Your {credential.title} certificate {certificate.number} has been issued")
    assert "expires in 30 days" in messages[1]
    assert messages[2].endswith("was revoked. The reason given: Issued in error")
    subjects = [subject for to, subject, _ in mails(caplog) if to == "trainee@example.org"]
    assert subjects == ["Your certificate has been issued", "Your certificate expires in 30 days",
                        "Your certificate was revoked"]


def test_each_event_is_told_once_however_often_the_job_runs(team, caplog):
    from training.audit import AuditEvent

    caplog.set_level("INFO", logger="training.mail")
    entry = logged(team["trainee"])
    review_entries(team["supervisor"], [entry], "return", "Add the organisation.")
    event_ids = list(db.session.scalars(db.select(AuditEvent.id)))
    before = len(mails(caplog))
    deliver_events(event_ids)
    deliver_events(event_ids)
    assert len(mails(caplog)) == before
    assert db.session.scalar(db.select(db.func.count()).select_from(Notification)) == 2  # supervisor, trainee


def test_mark_one_and_all_as_read_only_touches_ones_own(team, login_as):
    for days in (1, 2, 3):
        entry = logged(team["trainee"], days_ago=days)
        review_entries(team["supervisor"], [entry], "return", "Add the organisation.")
    logged(team["trainee"], days_ago=4)  # waits for review: the supervisor's one unread notification
    mine = list(db.session.scalars(db.select(Notification).where(Notification.user_id == team["trainee"].id)))
    other = login_as(team["other_trainee"])
    assert other.post(f"/notifications/{mine[0].id}/read").status_code == 302
    assert db.session.get(Notification, mine[0].id).read_at is None  # not theirs: nothing changed

    trainee = login_as(team["trainee"])
    trainee.post(f"/notifications/{mine[0].id}/read")
    assert 'class="notification-count">2<' in trainee.get("/notifications").text
    page = trainee.post("/notifications/read-all", follow_redirects=True).text
    assert "2 notifications marked as read." in page
    assert "notification-count" not in page and "Mark all as read" not in page
    supervisor_unread = db.session.scalar(db.select(db.func.count()).select_from(Notification).where(
        Notification.user_id == team["supervisor"].id, Notification.read_at.is_(None)))
    assert supervisor_unread == 1


def test_a_person_who_chose_the_digest_gets_one_email_a_day_from_the_command(team, login_as, runner, caplog):
    caplog.set_level("INFO", logger="training.mail")
    trainee = login_as(team["trainee"])
    assert re.search(r'<input checked[^>]*value="immediate"', trainee.get("/account").text)
    response = trainee.post("/notifications/delivery", data={"delivery": "digest"}, follow_redirects=True)
    assert "one digest a day" in response.text
    for days in (1, 2):
        entry = logged(team["trainee"], days_ago=days)
        review_entries(team["supervisor"], [entry], "return", f"Fix entry {days}.")
    assert [m for m in mails(caplog) if m[0] == "trainee@example.org"] == []  # nothing at once

    result = runner.invoke(args=["notifications", "digest"])
    assert result.exit_code == 0 and "Daily digests sent: 1." in result.output
    digests = [m for m in mails(caplog) if m[0] == "trainee@example.org"]
    assert len(digests) == 1 and digests[0][1] == "Your daily digest"
    assert "Fix entry 1." in digests[0][2] and "Fix entry 2." in digests[0][2]
    assert "http://localhost/notifications" in digests[0][2]

    again = runner.invoke(args=["notifications", "digest"])
    assert "Daily digests sent: 0." in again.output
    entry = logged(team["trainee"], days_ago=3)
    review_entries(team["supervisor"], [entry], "return", "Fix entry 3.")
    assert send_digests(TODAY) == 0  # one a day: the third waits for tomorrow
    assert send_digests(TODAY + timedelta(days=1)) == 1
    digests = [m for m in mails(caplog) if m[0] == "trainee@example.org"]
    assert len(digests) == 2 and "Fix entry 3." in digests[1][2] and "Fix entry 1." not in digests[1][2]


def test_an_unknown_delivery_choice_is_refused_and_nothing_changes(team, login_as):
    from training.notifications.services import delivery_of

    client = login_as(team["trainee"])
    page = client.post("/notifications/delivery", data={"delivery": "hourly"}, follow_redirects=True).text
    assert "Choose at once or a daily digest." in page
    assert delivery_of(team["trainee"]) == "immediate"


def test_people_who_have_not_accepted_their_invitation_get_no_email(app, people, credentials, make_user, caplog):
    caplog.set_level("INFO", logger="training.mail")
    invited = make_user("new@example.org", accepted=False)
    db.session.add(SupervisorAssignment(supervisor=people["supervisor"], trainee=invited, starts_on=TODAY))
    db.session.commit()
    entry = logged(invited)
    review_entries(people["supervisor"], [entry], "approve", signed_name="Sue Supervisor")
    assert len(messages_of(invited)) == 1
    assert [m for m in mails(caplog) if m[0] == "new@example.org"] == []
    set_delivery(invited, "digest")
    assert send_digests() == 0


def test_the_notification_list_reads_a_fixed_number_of_statements(team, login_as):
    from .conftest import count_statements

    client = login_as(team["trainee"])

    def statements():
        with count_statements() as seen:
            assert client.get("/notifications").status_code == 200
        return len(seen)

    entry = logged(team["trainee"])
    review_entries(team["supervisor"], [entry], "return", "One.")
    few = statements()
    for days in range(2, 12):
        entry = logged(team["trainee"], days_ago=days)
        review_entries(team["supervisor"], [entry], "return", "More.")
    assert statements() == few


def test_the_notifications_migration_keeps_rows_down_and_up(app, people):
    """0010 on a database holding people and notifications: downgrade, upgrade."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect, text

    trainee_id = people["trainee"].id
    set_delivery(people["trainee"], "digest")
    db.session.add(Notification(user_id=trainee_id, kind="entry_returned", event_key="audit-1",
                                messages={"en": "Returned"}, endpoint="supervision.hours",
                                link_args={}))
    db.session.commit()
    db.session.remove()
    downgrade(revision="0009")
    try:
        tables = inspect(db.engine).get_table_names()
        assert "notification" not in tables and "notification_setting" not in tables
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM \"user\"")).scalar() == 4
    finally:
        upgrade()
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO notification (user_id, kind, event_key, messages, endpoint, link_args, "
                          "created_at) VALUES (:u, 'entry_returned', 'audit-2', '{\"en\": \"Again\"}', '', '{}', "
                          "'2026-01-01 00:00:00')"), {"u": trainee_id})
    assert [n.message for n in db.session.scalars(db.select(Notification))] == ["Again"]
    assert db.session.scalar(db.select(db.func.count()).select_from(HourEntry)) == 0


def test_the_people_told_of_many_events_are_read_once_and_each_told_in_their_language(team, make_user,
                                                                                       monkeypatch):
    """A background job tells a chunk's events together: each notification commits on its own,
    yet the events and the people told are read once, however many there are."""
    from training.audit import AuditEvent
    from training.notifications import services

    trainees = [team["trainee"]] + [make_user(f"told{n}@example.org", roles={"trainee"}) for n in range(4)]
    trainees[3].locale = "es"
    for trainee in trainees[1:]:
        db.session.add(SupervisorAssignment(supervisor=team["supervisor"], trainee=trainee,
                                            starts_on=TODAY - timedelta(days=60)))
    db.session.commit()
    waiting = []
    monkeypatch.setattr(services, "deliver_events", waiting.extend)  # held back, told below
    for trainee in trainees:
        review_entries(team["supervisor"], [logged(trainee)], "approve", signed_name=team["supervisor"].full_name)
    monkeypatch.undo()
    approvals = list(db.session.scalars(db.select(AuditEvent.id).where(AuditEvent.action == "hours.approved")
                                        .order_by(AuditEvent.id)))

    def reads(event_ids):
        db.session.expire_all()
        with count_statements() as statements:
            deliver_events(event_ids)
        return {table: sum(bool(re.search(rf'^SELECT\b.*\bFROM "?{table}"?\s', s, re.S)) for s in statements)
                for table in ("audit_event", "user")}

    assert reads(approvals[:2]) == reads(approvals[2:])  # two people told, then three
    for trainee in trainees:
        assert len(messages_of(trainee)) == 1
    assert messages_of(trainees[3])[0].startswith("Sue Supervisor aprobó su registro de 2 h de trabajo")
    assert messages_of(trainees[4])[0].startswith("Sue Supervisor approved your 2 h of")
    # Each is stored in every language: a reader who changes language reads it in the new one.
    assert messages_of(trainees[3], "en")[0].startswith("Sue Supervisor approved your 2 h of")


def test_a_notification_is_read_in_the_language_of_the_page_that_shows_it(team, login_as):
    review_entries(team["supervisor"], [logged(team["trainee"])], "approve", signed_name="Sue Supervisor")
    team["trainee"].locale = "es"
    db.session.commit()
    client = login_as(team["trainee"])
    assert "Sue Supervisor aprobó su registro de 2 h de trabajo" in client.get("/notifications").text
    client.post("/language", data={"locale": "en", "next": "/notifications"})
    page = client.get("/notifications").text
    assert "Sue Supervisor approved your 2 h of" in page and "aprobó" not in page


def test_a_request_for_review_is_no_longer_news_once_nothing_of_that_trainee_waits(team, make_user, login_as):
    """Deciding or withdrawing a trainee's last waiting entry marks the supervisor's notifications
    asking for that review as read; another trainee's request stays new."""
    from training.supervision.services import withdraw_entry

    other = make_user("ora@example.org", name="Ora Other", roles={"trainee"})
    db.session.add(SupervisorAssignment(supervisor=team["supervisor"], trainee=other,
                                        starts_on=TODAY - timedelta(days=60)))
    db.session.commit()
    first, second = logged(team["trainee"], days_ago=2), logged(team["trainee"], days_ago=1)
    logged(other)

    def unread():
        return sorted(n.message for n in db.session.scalars(db.select(Notification).where(
            Notification.user_id == team["supervisor"].id, Notification.read_at.is_(None))))

    assert len(unread()) == 3
    review_entries(team["supervisor"], [first], "approve", signed_name="Sue Supervisor")
    assert len(unread()) == 3  # one of Tina's entries still waits
    withdraw_entry(team["trainee"], db.session.get(HourEntry, second.id))
    assert unread() == ["Ora Other sent 2 h of peer support work on "
                        f"{(TODAY - timedelta(days=1)).strftime('%-d %B %Y')} for your review."]
    page = login_as(team["supervisor"]).get("/notifications").text
    assert page.count('badge-open">New<') == 1
