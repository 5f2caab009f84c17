"""Live training and e-mail in each person's language: every e-mail is written in its recipient's
language whoever's request sends it, the trainer's pages and the training certificate speak
Spanish to a Spanish speaker, and live trainings carry their Spanish words from their files."""
import io
from datetime import date, timedelta

import pytest
from flask_babel import force_locale, gettext
from icalendar import Calendar
from pypdf import PdfReader

from training.auth.models import SupervisorAssignment, User
from training.cohorts.calendar import calendar_for
from training.cohorts.services import CohortInput, confirm, create_cohort, mark
from training.courses.loader import ContentErrors
from training.extensions import db
from training.i18n import user_locale
from training.notifications.models import Notification
from training.supervision.models import HourEntry
from training.supervision.services import EntryInput, log_entry, review_entries

from . import test_cohorts
from .test_cohorts import ETHICS, _cohort
from .test_notifications import mails

# The cohort fixtures, shared with the cohort tests.
credential, live, running, trainer = test_cohorts.credential, test_cohorts.live, test_cohorts.running, \
    test_cohorts.trainer


def spanish(user):
    user.locale = "es"
    db.session.commit()
    return user


def es(text, **variables):
    """The catalogue's Spanish for ``text`` (checked to be a translation, not the English)."""
    with force_locale("es"):
        translated = gettext(text, **variables)
    assert translated != gettext(text, **variables), f"no Spanish for {text!r}"
    return translated


# --- E-mails in the recipient's language -----------------------------------------------------------

def test_a_cohort_invitation_is_in_the_invitees_language_not_the_senders(running, people, make_user, login_as,
                                                                        caplog):
    caplog.set_level("INFO", logger="training.mail")
    ana = make_user("ana@example.org", name="Ana Ruiz", locale="es")
    ben = make_user("ben@example.org", name="Ben Shaw", locale="en")
    english_admin = login_as(people["admin"])
    english_admin.post(f"/cohorts/{running.id}/members", data={"email": ana.email, "action": "invite"},
                       headers={"Accept-Language": "en"})
    spanish_admin = login_as(spanish(people["admin"]))
    spanish_admin.post(f"/cohorts/{running.id}/members", data={"email": ben.email, "action": "invite"},
                       headers={"Accept-Language": "es"})
    sent = {to: (subject, body) for to, subject, body in mails(caplog)}
    subject, body = sent[ana.email]
    assert subject == es("You are invited to %(title)s", title=running.title)
    assert body.startswith(es("Hello %(name)s,", name="Ana Ruiz")) and "You are" not in body
    assert es("You are invited to join the cohort “%(title)s” (%(training)s), from %(first)s to %(last)s. Accept your "
              "place here:", title=running.title, training="Core skills", first="", last="").split("«")[0] in body
    subject, body = sent[ben.email]
    assert subject == f"You are invited to {running.title}"
    assert body.startswith("Hello Ben Shaw,") and "Accept your place here:" in body and "Hola" not in body


def test_a_password_reset_is_in_the_account_holders_language_whatever_the_browser(client, make_user, caplog):
    caplog.set_level("INFO", logger="training.mail")
    make_user("ana@example.org", name="Ana Ruiz", locale="es")
    client.post("/password/forgot", data={"email": "ana@example.org"}, headers={"Accept-Language": "en"})
    [(to, subject, body)] = mails(caplog)
    assert subject == es("Reset your password") and "/password/reset/" in body
    assert es("If it was not you, ignore this message; your password stays as it is.") in body


def test_a_notification_is_worded_in_its_recipients_language_in_the_app_and_by_email(people, credentials, caplog):
    caplog.set_level("INFO", logger="training.mail")
    trainee = spanish(people["trainee"])
    db.session.add(SupervisorAssignment(supervisor=people["supervisor"], trainee=trainee,
                                        starts_on=date.today() - timedelta(days=60)))
    db.session.commit()
    entry = log_entry(trainee, EntryInput("service", date.today() - timedelta(days=1), 120, "Advocacy"))
    review_entries(people["supervisor"], [entry], "return", "Please add the organisation.")

    [notification] = db.session.scalars(db.select(Notification).where(Notification.user_id == trainee.id))
    message = notification.message_in("es")
    assert message.startswith("Sue Supervisor") and "returned" not in message
    assert message.endswith(": Please add the organisation.") and "2 h" in message
    [(to, subject, body)] = [m for m in mails(caplog) if m[0] == trainee.email]
    assert subject == es("Your hours were returned for changes")
    assert body.startswith(es("Hello %(name)s,", name="Tina Trainee")) and message in body


def test_the_reminder_the_day_before_a_session_is_in_each_persons_language(people, trainer, credential, caplog):
    from training.cohorts.reminders import send_session_reminders

    caplog.set_level("INFO", logger="training.mail")
    spanish(people["trainee"])
    _cohort(trainer, people, credential, [(timedelta(days=1), 2, {ETHICS: 120})])
    send_session_reminders(today=date.today())
    sent = {to: (subject, body) for to, subject, body in mails(caplog)}
    subject, body = sent[people["trainee"].email]
    assert subject.startswith(es("Tomorrow: %(topic)s", topic=""))
    assert es("Where: %(address)s", address="Room 2, 14 Mill Lane") in body and "tomorrow" not in body
    assert sent[people["other_trainee"].email][0].startswith("Tomorrow: ")
    told = {n.user_id: n.message_in(user_locale(db.session.get(User, n.user_id)))
            for n in db.session.scalars(db.select(Notification).where(Notification.kind == "session_tomorrow"))}
    spanish_start = es("A reminder: your session “%(topic)s” (%(cohort)s) is tomorrow, %(day)s, from %(start)s to "
                       "%(end)s.", topic="", cohort="", day="", start="", end="").split("«")[0]
    assert told[people["trainee"].id].startswith(spanish_start) and spanish_start != "A reminder: your session "
    assert told[people["other_trainee"].id].startswith("A reminder: your session “")


# --- The trainer's pages and the training certificate -----------------------------------------------

@pytest.fixture
def ethics_cohort(live, credential, trainer, people):
    """A cohort of the shipped live training in ethics, with the trainee enrolled."""
    from training.cohorts.services import enrol

    cohort = create_cohort(people["admin"], CohortInput("Evening ethics", date.today(), date.today(), "in_person", 10,
                                                        address="Room 2"), live, credential, [trainer])
    enrol(people["admin"], cohort, people["trainee"])
    return cohort


def test_the_trainers_roster_is_in_spanish_with_the_trainings_spanish_topics(ethics_cohort, trainer, login_as):
    page = login_as(spanish(trainer)).get(f"/cohorts/sessions/{ethics_cohort.sessions[0].id}/attendance",
                                          headers={"Accept-Language": "en"}).text
    assert '<html lang="es">' in page
    assert "<h1>Límites que protegen a ambas personas</h1>" in page
    for words in ("Roster", "Save attendance", "Confirm attendance and credit hours", "Present", "Left early",
                  "Excused", "Sign-in sheet (PDF)"):
        assert es(words) in page
    assert es("full attendance credits %(hours)s", hours="2 h") in page
    for words in ("Save attendance", "Confirm attendance", ">Present<", "Left early", "Sign-in sheet",
                  "Boundaries that protect both people"):
        assert words not in page
    detail = login_as(trainer).get(f"/cohorts/{ethics_cohort.id}").text
    assert "Ética en el trabajo entre pares (en vivo)" in detail and "Responsabilidad ética 2 h" in detail
    assert es("Trainees and attendance") in detail


def test_the_cohorts_spreadsheets_are_in_the_readers_language(ethics_cohort, trainer, login_as):
    import csv

    client = login_as(spanish(trainer))
    sheet = next(csv.reader(io.StringIO(client.get(
        f"/cohorts/sessions/{ethics_cohort.sessions[0].id}/sign-in-sheet.csv").data.decode("utf-8-sig"))))
    assert sheet[3:5] == ["Inicio", "Fin"]  # the times a session starts and ends, not the verb "Terminar"
    report = next(csv.reader(io.StringIO(client.get(f"/cohorts/{ethics_cohort.id}/attendance.csv")
                                         .data.decode("utf-8-sig"))))
    assert "Responsabilidad ética (horas)" in report and "Ethical Responsibility (horas)" not in report


def test_the_training_certificate_prints_in_the_holders_language(ethics_cohort, trainer, people, login_as):
    trainee = spanish(people["trainee"])
    for session in ethics_cohort.sessions:
        mark(trainer, session, trainee, "present")
        confirm(trainer, session, "Tia Trainer", now=session.starts_at + timedelta(minutes=5))
    notes = set(db.session.scalars(db.select(HourEntry.note).where(HourEntry.trainee_id == trainee.id)))
    assert "Ética en el trabajo entre pares (en vivo): Límites que protegen a ambas personas" in notes
    login_as(people["admin"]).post(f"/cohorts/{ethics_cohort.id}/certificates", headers={"Accept-Language": "en"})
    from training.cohorts.models import TrainingCertificate

    certificate = db.session.scalar(db.select(TrainingCertificate).where(TrainingCertificate.user_id == trainee.id))
    # Some labels are set in capitals by the design's stylesheet.
    text = " ".join(PdfReader(io.BytesIO(certificate.pdf)).pages[0].extract_text().split()).casefold()
    for words in ("Ética en el trabajo entre pares (en vivo)", "Responsabilidad ética", es("Certificate"),
                  es("of training"), es("This certifies that"), es("attended the live training"),
                  es("sessions attended: %(attended)s of %(total)s", attended=3, total=3),
                  es("%(hours)s hours of training", hours=6), es("Certificate number"), es("Trainers"),
                  es("Scan the code or visit"), "Dirección del programa"):
        assert words.casefold() in text
    for words in ("This certifies", "attended the live training", "hours of training", "Ethical Responsibility",
                  "Certificate number", "Programme Director"):
        assert words.casefold() not in text


def test_a_calendar_feed_speaks_its_owners_language(running, people):
    events = Calendar.from_ical(calendar_for(spanish(people["trainee"]))).walk("VEVENT")
    assert str(events[0]["DESCRIPTION"]).startswith(es("Session of %(training)s, in person.\nCohort page: %(link)s",
                                                       training="Core skills", link="").split("\n")[0])
    events = Calendar.from_ical(calendar_for(people["other_trainee"])).walk("VEVENT")
    assert "in person" in str(events[0]["DESCRIPTION"])


# --- Live trainings in two languages, from their files ------------------------------------------------

def test_a_live_training_file_gives_its_spanish_title_summary_and_topics(live):
    assert live.title_in("es") == "Ética en el trabajo entre pares (en vivo)"
    assert live.words("es")["summary"].startswith("Tres sesiones en vivo")
    assert [live.topic_in(s["topic"], "es") for s in live.sessions] == [
        "Límites que protegen a ambas personas", "La confidencialidad y sus límites",
        "Resolver juntos los dilemas éticos"]
    assert live.topic_in("A topic a trainer wrote", "es") == "A topic a trainer wrote"
    assert live.title_in("en") == "Ethics in Peer Work (live)"


def test_a_translation_must_give_one_topic_per_session(app, tmp_path):
    from training.cohorts.loader import load_trainings

    (tmp_path / "short.yaml").write_text(
        "title: Short\nsessions:\n  - {topic: One, hours: 1, credits: {Advocacy: 1}}\n"
        "  - {topic: Two, hours: 1, credits: {Advocacy: 1}}\n"
        "translations:\n  es:\n    title: Corta\n    topics: [Uno]\n  fr:\n    title: Courte\n")
    with pytest.raises(ContentErrors) as raised:
        load_trainings(tmp_path)
    problems = " ".join(str(e) for e in raised.value.errors)
    assert "translations.es.topics must give one topic for each of the 2 sessions" in problems
    assert "translations.fr: unknown language (allowed: es)" in problems
