"""One more attempt at a quiz or exam: allowed by an administrator, with a reason, to a trainee who
has used every attempt without passing; the trainee is told and can try again."""
import pytest

from training.extensions import db
from training.notifications.models import Notification
from training.quizzes import services
from training.quizzes.models import AttemptAllowance, QuizAttempt
from training.quizzes.services import QuizRefused, start_attempt, submit_attempt

from .test_quizzes import _use_every_exam_attempt

EXAM = "Final exam: Foundations of Peer Recovery Support"


def test_an_administrator_allows_one_more_exam_attempt_and_the_trainee_can_take_it(course, people, login_as):
    trainee = people["trainee"]
    exam, attempts = _use_every_exam_attempt(trainee, course)
    used = len(attempts)
    admin = login_as(people["admin"])
    page = admin.get(f"/admin/people/{trainee.id}").text
    assert "Quiz and exam attempts" in page and EXAM in page
    assert f"Not passed after all {used} attempts allowed." in page
    action = f"/admin/people/{trainee.id}/quizzes/{exam.id}/allow-attempt"
    assert f'action="{action}"' in page

    # Without a reason nothing is allowed, and the form says what is missing beside its field.
    refused = admin.post(action, data={f"quiz{exam.id}-reason": "  "})
    assert refused.status_code == 400 and "Say why this trainee may try again" in refused.text
    assert db.session.scalar(db.select(db.func.count()).select_from(AttemptAllowance)) == 0

    response = admin.post(action, data={f"quiz{exam.id}-reason": "Studied modules 3 and 4 again with a mentor."},
                          follow_redirects=True)
    assert f"Tina Trainee may try {EXAM} once more ({used + 1} attempts in all), and has been told." in response.text
    assert "Not passed after all" not in response.text  # no longer used up
    assert "Studied modules 3 and 4 again with a mentor." in response.text  # listed as allowed before

    # The trainee is told, and the notification leads to the exam.
    told = db.session.scalar(db.select(Notification).where(Notification.user_id == trainee.id,
                                                           Notification.kind == "attempt_allowed"))
    assert told.message_in("en") == f"Ada Admin has allowed you one more attempt at {EXAM}."
    assert told.message_in("es").startswith("Ada Admin le ha permitido un intento más para")
    you = login_as(trainee)
    overview = you.get(f"/quizzes/{exam.id}").text
    assert "1 attempt left." in overview and "You have used all" not in overview
    started = you.post(f"/quizzes/{exam.id}/start")
    attempt = db.session.scalar(db.select(QuizAttempt).where(QuizAttempt.user_id == trainee.id,
                                                             QuizAttempt.number == used + 1))
    assert attempt is not None and started.location == f"/attempts/{attempt.id}"

    # The audit log names the exam and the reason; the reason is not in what the trainee was told.
    log = admin.get("/admin/audit", query_string={"person": trainee.email}).text
    assert "One more quiz attempt allowed" in log and EXAM in log and "with a mentor" in log
    assert "mentor" not in told.message_in("en")

    # That attempt used too: the exam is closed again, at the new number.
    submit_attempt(attempt, {})
    assert f"You have used all {used + 1} attempts allowed for this exam." in you.get(f"/quizzes/{exam.id}").text


def test_one_more_attempt_is_refused_while_the_trainee_can_still_try(course, people, login_as):
    trainee = people["trainee"]
    exam, _attempts = _use_every_exam_attempt(trainee, course)
    admin = login_as(people["admin"])
    action = f"/admin/people/{trainee.id}/quizzes/{exam.id}/allow-attempt"
    admin.post(action, data={f"quiz{exam.id}-reason": "Extra study."})
    # Sent again (a second tab, a double click): the attempt allowed is not yet used, so nothing more.
    again = admin.post(action, data={f"quiz{exam.id}-reason": "Extra study."}, follow_redirects=True)
    assert "Tina Trainee can still take this quiz or exam, or has passed it: nothing was changed." in again.text
    assert db.session.scalar(db.select(db.func.sum(AttemptAllowance.extra))) == 1
    # And for a quiz the trainee has not used up, the page offers nothing.
    page = admin.get(f"/admin/people/{people['other_trainee'].id}").text
    assert "Quiz and exam attempts" not in page


def test_two_allowances_sent_at_once_allow_one_attempt(course, people, monkeypatch):
    """The second of two requests read the trainee as out of attempts before the first committed:
    the database keeps one allowance, and the second is told nothing was changed."""
    trainee = people["trainee"]
    exam, _attempts = _use_every_exam_attempt(trainee, course)
    stale = services.quiz_status(trainee, exam)
    services.allow_another_attempt(people["admin"], trainee, exam, "Extra study.")
    monkeypatch.setattr(services, "quiz_status", lambda user, quiz, now=None: stale)
    with pytest.raises(QuizRefused, match="nothing was changed"):
        services.allow_another_attempt(people["admin"], trainee, exam, "Extra study.")
    assert db.session.scalar(db.select(db.func.sum(AttemptAllowance.extra))) == 1


def test_only_a_trainees_attempts_are_allowed(course, people, login_as):
    exam, _attempts = _use_every_exam_attempt(people["trainee"], course)
    people["trainee"].set_roles(["supervisor"])
    db.session.commit()
    response = login_as(people["admin"]).post(f"/admin/people/{people['trainee'].id}/quizzes/{exam.id}/allow-attempt",
                                              data={f"quiz{exam.id}-reason": "Extra study."}, follow_redirects=True)
    assert "Only a trainee&#39;s attempts at a quiz or exam in use can be allowed." in response.text
    assert db.session.scalar(db.select(db.func.count()).select_from(AttemptAllowance)) == 0


def test_the_supervisors_progress_page_counts_the_attempts_allowed(course, people, login_as, credentials):
    from datetime import date

    from training.auth.models import SupervisorAssignment

    trainee = people["trainee"]
    exam, attempts = _use_every_exam_attempt(trainee, course)
    db.session.add(SupervisorAssignment(supervisor=people["supervisor"], trainee=trainee, starts_on=date(2026, 1, 1)))
    db.session.commit()
    login_as(people["admin"]).post(f"/admin/people/{trainee.id}/quizzes/{exam.id}/allow-attempt",
                                   data={f"quiz{exam.id}-reason": "Extra study."})
    submit_attempt(start_attempt(trainee, exam), {})
    page = login_as(people["supervisor"]).get(f"/supervisees/{trainee.id}").text
    total = len(attempts) + 1
    assert f"Attempts used: {total} of {total}." in page
