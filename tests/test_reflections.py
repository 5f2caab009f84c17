"""Written reflections: a module can ask for one; it completes only when a trainer accepts it."""
import pytest

from training.audit import AuditEvent
from training.cohorts.models import Cohort, CohortMember, CohortTrainer, LiveTraining
from training.courses.models import Course, ModuleCompletion, Reflection
from training.courses.services import sync_courses
from training.extensions import db
from training.quizzes.services import start_attempt, submit_attempt
from training.quizzes.types import model_answer

TEXT = "Listening without fixing was harder than I expected; next time I will ask before offering advice."


@pytest.fixture
def written(app, tmp_path):
    """A course of two modules without quizzes; the first asks for a written reflection."""
    folder = tmp_path / "courses" / "listening-skills"
    (folder / "modules").mkdir(parents=True)
    (folder / "course.yaml").write_text("title: Listening skills\ntraining_hours:\n  Advocacy: 1\n")
    for number, extra in (("01-listening", "written_reflection: true\n"), ("02-questions", "")):
        (folder / "modules" / f"{number}.md").write_text(
            f"---\ntitle: {number}\nestimated_minutes: 20\nobjectives: [Listen]\nreflection: When did someone "
            f"really listen to you?\n{extra}---\nText of the module.\n")
    sync_courses(tmp_path / "courses")
    return db.session.scalar(db.select(Course).where(Course.slug == "listening-skills"))


@pytest.fixture
def trainer(people, make_user):
    """A trainer of a cohort in which the trainee (not other_trainee) is enrolled."""
    trainer = make_user("trainer@example.org", roles=("trainer",), name="Tia Trainer")
    cohort = Cohort(title="Cohort", live_training=LiveTraining(slug="l", title="L", sessions=[]),
                    starts_on=db.func.current_date(), ends_on=db.func.current_date(), delivery="online",
                    meeting_url="https://meet.example.org/x", capacity=5)
    db.session.add(cohort)
    db.session.flush()
    db.session.add_all([CohortTrainer(cohort_id=cohort.id, user_id=trainer.id),
                        CohortMember(cohort_id=cohort.id, user_id=people["trainee"].id, status="enrolled")])
    db.session.commit()
    return trainer


def completed(user, module):
    return db.session.scalar(db.select(ModuleCompletion).where(
        ModuleCompletion.user_id == user.id, ModuleCompletion.module_id == module.id)) is not None


def test_a_module_with_a_written_reflection_completes_only_when_a_trainer_accepts_it(
        written, people, trainer, login_as, make_user):
    module = written.active_modules[0]
    url = f"/courses/{written.slug}/{module.slug}"
    trainee = login_as(people["trainee"])
    page = trainee.get(url).text
    assert "Send to a trainer" in page and "Mark this module as complete" not in page
    response = trainee.post(f"{url}/complete", follow_redirects=True)
    assert "completes when a trainer accepts your written reflection" in response.text
    assert not completed(people["trainee"], module)

    response = trainee.post(f"{url}/reflection", data={"text": "Too short."})
    assert response.status_code == 400 and 'id="text-error"' in response.text
    assert db.session.scalar(db.select(Reflection)) is None
    response = trainee.post(f"{url}/reflection", data={"text": TEXT + " Call me on 07700 900123."})
    assert response.status_code == 400 and "phone number" in response.text
    trainee.post(f"{url}/reflection", data={"text": TEXT})
    assert "Waiting for review" in trainee.get(url).text

    reviewer = login_as(trainer)
    assert TEXT in reviewer.get("/cohorts/reflections").text
    reflection = db.session.scalar(db.select(Reflection))
    stranger = login_as(make_user("trainer2@example.org", roles=("trainer",)))
    assert TEXT not in stranger.get("/cohorts/reflections").text
    assert stranger.post(f"/cohorts/reflections/{reflection.id}", data={"decision": "accept"}).status_code == 404

    response = reviewer.post(f"/cohorts/reflections/{reflection.id}", data={"decision": "return"},
                             follow_redirects=True)
    assert "Say what to add or change" in response.text
    reviewer.post(f"/cohorts/reflections/{reflection.id}",
                  data={"decision": "return", "comment": "Say what you would do differently."})
    page = trainee.get(url).text
    assert "Returned by your trainer" in page and "Say what you would do differently." in page
    assert not completed(people["trainee"], module)

    trainee.post(f"{url}/reflection", data={"text": TEXT + " I would slow down."})
    reviewer.post(f"/cohorts/reflections/{reflection.id}", data={"decision": "accept"})
    assert completed(people["trainee"], module)
    assert "A trainer accepted your reflection" in trainee.get(url).text
    actions = list(db.session.scalars(db.select(AuditEvent.action)))
    assert actions.count("reflection.submitted") == 2 and "reflection.accepted" in actions


def test_with_a_quiz_the_module_needs_both_the_pass_and_the_accepted_reflection(course, people, trainer, login_as):
    module = course.active_modules[0]
    module.reflection_required = True
    db.session.commit()
    trainee = people["trainee"]
    attempt = start_attempt(trainee, module.quiz)
    submit_attempt(attempt, {s.id: model_answer(s.qtype, s.data) for s in attempt.slots})
    assert not completed(trainee, module)
    review = login_as(trainee).get(f"/attempts/{attempt.id}/review").text
    assert "completes when a trainer accepts your written reflection" in review
    login_as(trainee).post(f"/courses/{course.slug}/{module.slug}/reflection", data={"text": TEXT})
    reflection = db.session.scalar(db.select(Reflection))
    login_as(trainer).post(f"/cohorts/reflections/{reflection.id}", data={"decision": "accept"})
    assert completed(trainee, module)


def test_written_reflection_must_be_true_or_false_in_the_front_matter(app, tmp_path):
    from training.courses.loader import ContentErrors, load_courses

    folder = tmp_path / "c" / "x"
    (folder / "modules").mkdir(parents=True)
    (folder / "course.yaml").write_text("title: X\ntraining_hours:\n  Advocacy: 1\n")
    (folder / "modules" / "01-a.md").write_text("---\ntitle: A\nestimated_minutes: 5\nobjectives: [A]\n"
                                                "reflection: R\nwritten_reflection: yes please\n---\nText\n")
    with pytest.raises(ContentErrors, match="01-a.md:6: 'written_reflection' must be true or false"):
        load_courses(tmp_path / "c")


def test_a_spanish_reader_reviews_against_the_prompt_in_spanish(app, tmp_path, people, trainer, login_as):
    """The trainee answered the prompt in their language; the reviewer reads it in theirs."""
    folder = tmp_path / "courses" / "listening-skills" / "modules"
    folder.mkdir(parents=True)
    (folder.parent / "course.yaml").write_text("title: Listening skills\ntraining_hours:\n  Advocacy: 1\n")
    (folder / "01-listening.md").write_text("---\ntitle: Listening\nestimated_minutes: 20\nobjectives: [Listen]\n"
                                            "reflection: When did someone really listen to you?\n"
                                            "written_reflection: true\n---\nText.\n")
    (folder / "01-listening.es.md").write_text("---\ntitle: Escuchar\nobjectives: [Escuchar]\n"
                                               "reflection: ¿Cuándo lo escuchó alguien de verdad?\n---\nTexto.\n")
    sync_courses(tmp_path / "courses")
    course = db.session.scalar(db.select(Course).where(Course.slug == "listening-skills"))
    login_as(people["trainee"]).post(f"/courses/{course.slug}/{course.active_modules[0].slug}/reflection",
                                     data={"text": TEXT})
    trainer.locale = "es"
    db.session.commit()
    page = login_as(trainer).get("/cohorts/reflections").text
    assert "¿Cuándo lo escuchó alguien de verdad?" in page and "When did someone" not in page
