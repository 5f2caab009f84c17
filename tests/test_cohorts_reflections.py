"""Trainers reviewing written reflections from their cohorts' trainees: mistakes in the review
form, and what the trainee and the other trainers are told."""
import re

import pytest

from training.cohorts.models import Cohort, CohortMember, CohortTrainer, LiveTraining
from training.courses.models import Course, Reflection
from training.courses.services import sync_courses
from training.extensions import db
from training.notifications.models import Notification

TEXT = "Listening without fixing was harder than I expected; next time I will ask before offering advice."


@pytest.fixture
def written(app, tmp_path):
    """A course whose first module asks for a written reflection."""
    folder = tmp_path / "courses" / "listening-skills"
    (folder / "modules").mkdir(parents=True)
    (folder / "course.yaml").write_text("title: Listening skills\ntraining_hours:\n  Advocacy: 1\n")
    (folder / "modules" / "01-listening.md").write_text(
        "---\ntitle: Listening well\nestimated_minutes: 20\nobjectives: [Listen]\nreflection: When did someone "
        "really listen to you?\nwritten_reflection: true\n---\nText of the module.\n")
    sync_courses(tmp_path / "courses")
    return db.session.scalar(db.select(Course).where(Course.slug == "listening-skills"))


@pytest.fixture
def trainers(people, make_user):
    """Two trainers of a cohort in which the trainee (not other_trainee) is enrolled."""
    first = make_user("trainer@example.org", roles=("trainer",), name="Tia Trainer")
    second = make_user("trainer2@example.org", roles=("trainer",), name="Theo Trainer")
    cohort = Cohort(title="Cohort", live_training=LiveTraining(slug="l", title="L", sessions=[]),
                    starts_on=db.func.current_date(), ends_on=db.func.current_date(), delivery="online",
                    meeting_url="https://meet.example.org/x", capacity=5)
    db.session.add(cohort)
    db.session.flush()
    db.session.add_all([CohortTrainer(cohort_id=cohort.id, user_id=first.id),
                        CohortTrainer(cohort_id=cohort.id, user_id=second.id),
                        CohortMember(cohort_id=cohort.id, user_id=people["trainee"].id, status="enrolled")])
    db.session.commit()
    return first, second


@pytest.fixture
def sent(written, people, trainers, login_as):
    """The trainee's reflection on the first module, sent for review."""
    module = written.active_modules[0]
    login_as(people["trainee"]).post(f"/courses/{written.slug}/{module.slug}/reflection", data={"text": TEXT})
    return db.session.scalar(db.select(Reflection))


def test_returning_without_a_comment_says_so_beside_the_comment_and_keeps_the_decision(sent, trainers, login_as):
    """A return needs a comment: the page says so beside that reflection's comment field, in the
    error summary, and keeps the decision the trainer chose; nothing is saved."""
    reviewer = login_as(trainers[0])
    response = reviewer.post(f"/cohorts/reflections/{sent.id}", data={"decision": "return", "comment": "  "})
    assert response.status_code == 400
    page = response.text
    assert 'class="error-summary"' in page and f'href="#comment-{sent.id}"' in page
    error = re.search(rf'<p class="error" id="comment-{sent.id}-error">([^<]*)</p>', page)
    assert error and "Say what to add or change" in error.group(1)
    assert re.search(rf'<textarea[^>]*id="comment-{sent.id}"[^>]*aria-invalid="true"', page)
    assert re.search(rf'id="return-{sent.id}" name="decision" value="return" checked', page)
    assert db.session.get(Reflection, sent.id).status == "submitted"


def test_a_review_without_a_decision_says_so_beside_the_decision_and_keeps_the_comment(sent, trainers, login_as):
    """What the trainer typed is kept when the review cannot be saved."""
    reviewer = login_as(trainers[0])
    response = reviewer.post(f"/cohorts/reflections/{sent.id}", data={"comment": "Say more about what you felt."})
    assert response.status_code == 400
    page = response.text
    assert f'href="#decision-{sent.id}"' in page
    assert re.search(rf'<p class="error" id="decision-{sent.id}-error">Choose accept or return.</p>', page)
    assert re.search(rf'<textarea[^>]*id="comment-{sent.id}"[^>]*>\s*Say more about what you felt.</textarea>', page)
    assert db.session.get(Reflection, sent.id).status == "submitted"


def test_a_reflection_another_trainer_reviewed_meanwhile_says_so(sent, trainers, login_as):
    """Two trainers on one page: the second review is refused with a message, not a missing page."""
    first, second = login_as(trainers[0]), login_as(trainers[1])
    first.post(f"/cohorts/reflections/{sent.id}", data={"decision": "accept"})
    response = second.post(f"/cohorts/reflections/{sent.id}", data={"decision": "return", "comment": "More."},
                           follow_redirects=True)
    assert response.status_code == 200
    assert "Tia Trainer has reviewed this reflection already" in response.text
    reflection = db.session.get(Reflection, sent.id)
    assert reflection.status == "accepted" and reflection.comment == ""


def messages_of(user, kind=None):
    """What each of ``user``'s notifications says, oldest first, with whether it is read."""
    query = db.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return [(n.message_in("en"), n.read_at is not None) for n in db.session.scalars(query)]


def test_every_trainer_of_the_cohort_is_told_a_reflection_waits_and_it_is_settled_once_one_reviews(
        sent, trainers, people, make_user, login_as):
    """A reflection sent: each trainer of the trainee's cohort is told, with a link to it among the
    reflections to review; once one of them has reviewed it, the notice is marked read for all of
    them, since nothing waits any more. A trainer of another cohort is not told."""
    stranger = make_user("trainer3@example.org", roles=("trainer",), name="Sol Stranger")
    waiting = "Tina Trainee sent a reflection on “Listening well” for review."
    for trainer in trainers:
        assert messages_of(trainer) == [(waiting, False)]
    assert messages_of(stranger) == []
    tia = login_as(trainers[0])
    page = tia.get("/notifications").text
    assert waiting in page
    opened = re.search(r'href="(/notifications/\d+/open)">Tina Trainee sent a reflection', page).group(1)
    assert tia.get(opened).location == f"/cohorts/reflections?reflection={sent.id}#reflection-{sent.id}"

    login_as(trainers[1]).post(f"/cohorts/reflections/{sent.id}", data={"decision": "accept"})
    db.session.expire_all()
    for trainer in trainers:
        assert messages_of(trainer) == [(waiting, True)]


def test_the_trainee_is_told_when_a_reflection_is_accepted_or_returned(sent, trainers, people, written, login_as,
                                                                        caplog):
    caplog.set_level("INFO", logger="training.mail")
    trainee, module = people["trainee"], written.active_modules[0]
    reviewer = login_as(trainers[0])
    reviewer.post(f"/cohorts/reflections/{sent.id}", data={"decision": "return", "comment": "Say what you felt."})
    assert messages_of(trainee) == [
        ("Tia Trainer returned your reflection on “Listening well”: Say what you felt.", False)]
    page = login_as(trainee).get("/notifications").text
    opened = re.search(r'href="(/notifications/\d+/open)">Tia Trainer returned', page).group(1)
    assert login_as(trainee).get(opened).location == f"/courses/{written.slug}/{module.slug}"
    assert any("Your reflection was returned" in r.getMessage() for r in caplog.records if r.name == "training.mail")

    login_as(trainee).post(f"/courses/{written.slug}/{module.slug}/reflection", data={"text": TEXT + " More."})
    db.session.expire_all()
    assert [m for m, _read in messages_of(trainers[0])][-1] == \
        "Tina Trainee sent a reflection on “Listening well” for review."
    reviewer.post(f"/cohorts/reflections/{sent.id}", data={"decision": "accept"})
    assert messages_of(trainee)[-1] == ("Tia Trainer accepted your reflection on “Listening well”.", False)
    assert all(read for _m, read in messages_of(trainers[0]))


def test_a_reflection_reviewed_before_its_notice_goes_out_tells_no_trainer(sent, trainers):
    """The notice is made from a background job: when the reflection was reviewed before it ran,
    there is nothing to tell."""
    from training.audit import AuditEvent
    from training.courses.services import review_reflection
    from training.notifications.services import deliver_events

    db.session.execute(db.delete(Notification))
    review_reflection(trainers[0], sent, "accept")
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "reflection.submitted"))
    deliver_events([event.id])
    assert messages_of(trainers[0], "reflection_submitted") == []
    assert messages_of(trainers[1], "reflection_submitted") == []


def test_an_emailed_link_leads_to_the_reflection_on_the_page(app):
    from training.mail import external_url

    with app.test_request_context():
        link = external_url("cohorts.reflections", reflection=5, _anchor="reflection-5")
    assert link == f"{app.config['BASE_URL'].rstrip('/')}/cohorts/reflections?reflection=5#reflection-5"
