"""Course delivery: catalogue, course page, modules in order, completion and credit.

Modules without a quiz are completed with a button; ``plain`` is such a course. The first
course's modules have quizzes (see test_quizzes.py).
"""
import re

import pytest

from training.audit import AuditEvent
from training.courses.models import Course, CourseCompletion, ModuleCompletion, TrainingCredit
from training.courses.services import sync_courses
from training.extensions import db

from .conftest import count_statements
from .test_content import write_course

SLUG = "foundations-of-peer-recovery-support"


@pytest.fixture
def plain(app, tmp_path):
    write_course(tmp_path, "plain-course", modules=("01-first", "02-second", "03-third"))
    sync_courses(tmp_path)
    return db.session.scalar(db.select(Course).where(Course.slug == "plain-course"))


def module_url(course, index):
    return f"/courses/{course.slug}/{course.active_modules[index].slug}"


def test_catalogue_lists_the_course_with_progress(course, people, login_as):
    page = login_as(people["trainee"]).get("/courses/")
    assert "Foundations of Peer Recovery Support" in page.text
    assert f"0 of {len(course.active_modules)} modules done" in page.text


def test_course_page_shows_modules_and_what_comes_next(course, people, login_as):
    page = login_as(people["trainee"]).get(f"/courses/{SLUG}")
    assert page.status_code == 200
    for module in course.active_modules:
        assert module.title in page.text
    assert f"Start with “{course.active_modules[0].title}”" in page.text
    assert page.text.count(">Locked<") == len(course.active_modules) - 1


def test_course_and_module_pages_read_the_catalogue_with_its_translations_in_two_statements(course, people,
                                                                                           login_as):
    """The course's row with its translations, then its modules' rows with their quizzes and
    translations: no statement of its own for a translation table, in any language (the module page
    then reads the text of the one module it shows)."""
    people["trainee"].locale = "es"
    db.session.commit()
    client = login_as(people["trainee"])
    for url, shown in ((f"/courses/{SLUG}", "Fundamentos del apoyo entre pares"), (module_url(course, 0), None)):
        with count_statements() as statements:
            page = client.get(url)
        assert page.status_code == 200 and (shown is None or shown in page.text)
        catalogue = [s for s in statements if re.match(r"SELECT (course|module|course_translation|module_translation)\.", s)]
        assert [s.split(".", 1)[0] for s in catalogue[:2]] == ["SELECT course", "SELECT module"], catalogue
        assert all("_translation" in s for s in catalogue[:2])
        assert not [s for s in statements if re.match(r"SELECT (course|module)_translation\.(?!body_)", s)], url


def test_module_page_renders_markdown_objectives_and_reflection(course, people, login_as):
    first = course.active_modules[0]
    page = login_as(people["trainee"]).get(module_url(course, 0))
    assert f"<h1>{first.title}</h1>" in page.text
    assert "<h2>" in page.text and first.objectives[0] in page.text
    assert "Reflection" in page.text
    assert "Passing the quiz" in page.text and "Mark this module as complete" not in page.text
    assert "opens when this module is done" in page.text


def test_a_module_without_a_quiz_offers_the_complete_button(plain, people, login_as):
    page = login_as(people["trainee"]).get(module_url(plain, 0))
    assert "Mark this module as complete" in page.text


def test_a_module_with_a_quiz_cannot_be_completed_by_the_button(course, people, login_as):
    client = login_as(people["trainee"])
    response = client.post(module_url(course, 0) + "/complete")
    assert response.status_code == 302 and "/quizzes/" in response.location
    assert db.session.scalar(db.select(db.func.count()).select_from(ModuleCompletion)) == 0


def test_finishing_module_one_unlocks_module_two(plain, people, login_as):
    client = login_as(people["trainee"])
    second_url = module_url(plain, 1)
    locked = client.get(second_url)
    assert locked.status_code == 302 and locked.location == f"/courses/{plain.slug}"
    response = client.post(module_url(plain, 0) + "/complete")
    assert response.status_code == 302 and response.location == second_url
    page = client.get(second_url)
    assert page.status_code == 200 and plain.active_modules[1].title in page.text
    assert "1 of" in client.get(f"/courses/{plain.slug}").text


def test_a_locked_module_cannot_be_completed(plain, people, login_as):
    client = login_as(people["trainee"])
    client.post(module_url(plain, 2) + "/complete")
    assert db.session.scalar(db.select(db.func.count()).select_from(ModuleCompletion)) == 0


def test_completing_twice_records_one_completion(plain, people, login_as):
    client = login_as(people["trainee"])
    client.post(module_url(plain, 0) + "/complete")
    client.post(module_url(plain, 0) + "/complete")
    assert db.session.scalar(db.select(db.func.count()).select_from(ModuleCompletion)) == 1


def test_completing_the_last_module_completes_the_course_and_credits_hours(plain, people, login_as):
    trainee = people["trainee"]
    client = login_as(trainee)
    for index in range(len(plain.active_modules)):
        client.post(module_url(plain, index) + "/complete")
    completion = db.session.scalar(db.select(CourseCompletion).where(CourseCompletion.user_id == trainee.id))
    assert completion is not None and completion.completed_at is not None
    credits = {c.domain: c.minutes for c in db.session.scalars(
        db.select(TrainingCredit).where(TrainingCredit.user_id == trainee.id))}
    assert credits == {c.domain: c.minutes for c in plain.credits}
    dashboard = client.get("/dashboard").text
    assert "Completed" in dashboard and "Training hours credited" in dashboard
    assert "course.completed" in set(db.session.scalars(db.select(AuditEvent.action)))
    # Other trainees' pages are untouched by this trainee's progress.
    other = login_as(people["other_trainee"]).get("/dashboard").text
    assert "Completed" not in other and people["trainee"].full_name not in other


def test_credit_is_frozen_when_course_hours_change_later(plain, people, login_as):
    trainee = people["trainee"]
    client = login_as(trainee)
    for index in range(len(plain.active_modules)):
        client.post(module_url(plain, index) + "/complete")
    before = db.session.scalar(db.select(db.func.sum(TrainingCredit.minutes)))
    for credit in plain.credits:
        credit.minutes *= 2
    db.session.commit()
    assert db.session.scalar(db.select(db.func.sum(TrainingCredit.minutes))) == before


def test_staff_can_preview_every_module_but_record_no_progress(course, people, login_as):
    client = login_as(people["supervisor"])
    page = client.get(module_url(course, 5))
    assert page.status_code == 200 and "Mark this module as complete" not in page.text
    assert client.post(module_url(course, 0) + "/complete").status_code == 403


def test_unknown_course_and_module_are_404_inside_the_layout(course, people, login_as):
    client = login_as(people["trainee"])
    for url in ("/courses/nope", f"/courses/{SLUG}/nope", f"/courses/{SLUG}/nope/complete"):
        response = client.get(url) if not url.endswith("complete") else client.post(url)
        assert response.status_code == 404
        assert "Page not found" in response.text and "Skip to main content" in response.text


def test_hidden_modules_are_not_served(course, people, login_as):
    module = course.active_modules[0]
    module.active = False
    db.session.commit()
    assert login_as(people["trainee"]).get(f"/courses/{SLUG}/{module.slug}").status_code == 404


def test_dashboard_points_to_the_next_module(plain, people, login_as):
    client = login_as(people["trainee"])
    assert f"Start “{plain.active_modules[0].title}”" in client.get("/dashboard").text
    client.post(module_url(plain, 0) + "/complete")
    assert f"Continue “{plain.active_modules[1].title}”" in client.get("/dashboard").text


def test_the_dashboard_sends_a_trainee_with_every_module_done_to_the_final_exam(course, people, login_as):
    from training.courses.services import final_exam, record_module_completion
    from training.quizzes.services import start_attempt, submit_attempt
    from training.quizzes.types import model_answer

    trainee = people["trainee"]
    for module in course.active_modules:
        record_module_completion(trainee, module)
    db.session.commit()
    client = login_as(trainee)
    page = client.get("/dashboard").text
    assert f"Every module of {course.title} is done: pass its final exam to complete the course." in page
    assert f'href="/courses/{course.slug}">Go to the final exam' in page
    assert "You have finished every course available to you." not in page
    attempt = start_attempt(trainee, final_exam(course))
    submit_attempt(attempt, {slot.id: model_answer(slot.qtype, slot.data) for slot in attempt.slots})
    page = client.get("/dashboard").text
    assert "You have finished every course available to you." in page and "Go to the final exam" not in page


def test_the_course_page_lists_its_training_hours_in_the_course_files_order(course, people, login_as):
    """The domains in the order the course (and its credential) gives them, not alphabetically."""
    page = login_as(people["trainee"]).get(f"/courses/{course.slug}").text
    listed = re.findall(r"<li>([A-Z][^<:]+): [\d.,]+ h</li>", page)
    assert listed == ["Advocacy", "Mentoring/Education", "Recovery/Wellness Support", "Ethical Responsibility"]
