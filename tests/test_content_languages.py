"""Course content in English and Spanish: one module, one question, one progress in either language."""
import re
import shutil

import pytest

from training.courses.loader import ContentErrors, load_courses
from training.courses.models import ModuleCompletion, ModuleTranslation
from training.courses.services import sync_courses
from training.extensions import db
from training.quizzes.models import Question, QuestionTranslation, QuizAttempt
from training.quizzes.types import model_answer

from .conftest import COURSES_DIR
from .test_quizzes import form_for, right_answers

SLUG = "foundations-of-peer-recovery-support"


def html_lang(page):
    return re.search(r'<html lang="([a-z]{2})">', page).group(1)


@pytest.fixture
def course_copy(tmp_path):
    """A copy of the first course to change: returns (courses folder, course folder)."""
    shutil.copytree(COURSES_DIR / SLUG, tmp_path / SLUG)
    return tmp_path, tmp_path / SLUG


# --- Loading -----------------------------------------------------------------------------------------

def test_the_spanish_files_are_read_as_versions_of_the_english_ones():
    course = load_courses(COURSES_DIR)[0]
    assert course.translations["es"]["title"] == "Fundamentos del apoyo entre pares para la recuperación"
    assert all("es" in module.translations for module in course.modules)
    first = course.modules[0].translations["es"]
    assert first["title"] == "Qué es y qué no es el apoyo entre pares para la recuperación"
    assert len(first["objectives"]) == len(course.modules[0].objectives)
    versions = course.question_translations["es"]
    assert len(versions) == len(course.question_files) == 8
    for shown, result in course.question_files:
        path, questions = versions[shown]
        assert path == shown.replace(".gift", ".es.gift") and len(questions) == len(result.delivered)


def test_a_question_file_translation_must_be_graded_like_its_original(course_copy):
    root, folder = course_copy
    version = folder / "questions" / "01-what-peer-recovery-support-is-and-is-not.es.gift"
    text = version.read_text(encoding="utf-8")
    # The first question's right answer moved to another choice: the translation would grade differently.
    text = text.replace("~Quien ayuda tiene una titulación clínica", "=Quien ayuda tiene una titulación clínica", 1)
    text = text.replace("=Quien ayuda ha pasado personalmente", "~Quien ayuda ha pasado personalmente", 1)
    version.write_text(text, encoding="utf-8")
    with pytest.raises(ContentErrors) as caught:
        load_courses(root)
    assert "01-what-peer-recovery-support-is-and-is-not.es.gift:3: this question's answers are not graded like " \
           "the original's (line 3)" in str(caught.value)


def test_a_question_file_translation_must_have_every_question(course_copy):
    root, folder = course_copy
    version = folder / "questions" / "02-shared-experience-empathy-belonging-and-hope.es.gift"
    text = version.read_text(encoding="utf-8")
    version.write_text(text[:text.rindex("\n::")], encoding="utf-8")
    with pytest.raises(ContentErrors, match="the translation has 8 questions; the file it translates has 9"):
        load_courses(root)


def test_translations_without_an_original_or_in_an_unknown_language_are_refused(course_copy):
    root, folder = course_copy
    (folder / "modules" / "09-no-such-module.es.md").write_text("---\ntitle: X\n---\nTexto\n", encoding="utf-8")
    shutil.copy(folder / "modules" / "01-what-peer-recovery-support-is-and-is-not.es.md",
                folder / "modules" / "01-what-peer-recovery-support-is-and-is-not.fr.md")
    with pytest.raises(ContentErrors) as caught:
        load_courses(root)
    message = str(caught.value)
    assert "09-no-such-module.es.md:1: a translation of '09-no-such-module.md', which does not exist" in message
    assert "01-what-peer-recovery-support-is-and-is-not.fr.md:1: 'fr' is not a language content is translated " \
           "into (use one of: es)" in message


def test_a_module_translation_gives_only_words(course_copy):
    root, folder = course_copy
    version = folder / "modules" / "03-the-many-forms-of-peer-support.es.md"
    version.write_text(version.read_text(encoding="utf-8").replace("---\n", "---\nestimated_minutes: 5\n", 1),
                       encoding="utf-8")
    with pytest.raises(ContentErrors, match="03-the-many-forms-of-peer-support.es.md:2: unknown key "
                                            "'estimated_minutes' \\(allowed: objectives, reflection, title\\)"):
        load_courses(root)


def test_syncing_stores_each_version_once_and_again_changes_nothing(course):
    assert db.session.scalar(db.select(db.func.count()).select_from(ModuleTranslation)) == 8
    questions = db.session.scalar(db.select(db.func.count()).select_from(Question).where(Question.active))
    assert db.session.scalar(db.select(db.func.count()).select_from(QuestionTranslation)) == questions
    report = sync_courses(COURSES_DIR)
    assert not report.changed


def test_removing_a_translation_file_removes_the_version_and_keeps_progress(app, course, course_copy, make_user):
    root, folder = course_copy
    module = course.active_modules[1]
    ana = make_user("ana@example.org", locale="es")
    db.session.add(ModuleCompletion(user_id=ana.id, module_id=module.id))
    db.session.commit()
    (folder / "modules" / f"02-{module.slug}.es.md").unlink()
    report = sync_courses(root)
    assert any(path.endswith(f"02-{module.slug}.md") for path in report.updated)
    assert [t.locale for t in db.session.get(type(module), module.id).translations] == []
    assert db.session.scalar(db.select(ModuleCompletion).where(ModuleCompletion.user_id == ana.id))


# --- Reading and quizzes ------------------------------------------------------------------------------

def test_a_spanish_trainee_reads_the_module_in_spanish(course, make_user, login_as):
    module = course.active_modules[0]
    client = login_as(make_user("ana@example.org", locale="es"))
    page = client.get(f"/courses/{course.slug}/{module.slug}").text
    assert html_lang(page) == "es"
    assert "<h1>Qué es y qué no es el apoyo entre pares para la recuperación</h1>" in page
    assert "Una relación basada en la experiencia vivida" in page  # the Spanish text
    assert "Al terminar este módulo, usted podrá" in page
    assert "no está disponible en" not in page
    course_page = client.get(f"/courses/{course.slug}").text
    assert "Fundamentos del apoyo entre pares para la recuperación" in course_page
    english = login_as(make_user("ben@example.org", locale="en")).get(f"/courses/{course.slug}/{module.slug}").text
    assert f"<h1>{module.title}</h1>" in english and "Qué es y qué no" not in english


def test_without_a_spanish_version_the_module_is_shown_in_english_with_a_note(course, course_copy, make_user,
                                                                             login_as):
    root, folder = course_copy
    module = course.active_modules[0]
    (folder / "modules" / f"01-{module.slug}.es.md").unlink()
    sync_courses(root)
    client = login_as(make_user("ana@example.org", locale="es"))
    page = client.get(f"/courses/{course.slug}/{module.slug}").text
    assert html_lang(page) == "es"
    assert "Este módulo aún no está disponible en español, así que se muestra en inglés." in page
    assert f'<h1 lang="en">{module.title}</h1>' in page


def test_a_spanish_trainee_takes_the_quiz_in_spanish_and_progress_is_shared(course, make_user, login_as):
    module, following = course.active_modules[0], course.active_modules[1]
    quiz = module.quiz
    ana = make_user("ana@example.org", locale="es")
    client = login_as(ana)
    client.post(f"/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(db.select(QuizAttempt))
    page = client.get(f"/attempts/{attempt.id}").text
    assert "Enviar respuestas" in page
    for slot in attempt.slots:
        version = db.session.scalar(db.select(QuestionTranslation).where(
            QuestionTranslation.question_id == slot.question_id, QuestionTranslation.locale == "es"))
        assert slot.stem_html == version.stem_html and slot.stem_html in page
        # Graded the same: the answer that earns full marks is the original question's.
        if slot.qtype in ("single_choice", "multiple_choice", "true_false"):
            def right(data, qtype=slot.qtype):
                answer = model_answer(qtype, data)
                return sorted(answer) if isinstance(answer, list) else answer

            assert right(slot.data) == right(slot.question.data)
    response = client.post(f"/attempts/{attempt.id}", data=form_for(right_answers(attempt), attempt))
    review = client.get(response.location).text
    assert "100" in review
    assert db.session.scalar(db.select(ModuleCompletion).where(ModuleCompletion.user_id == ana.id,
                                                               ModuleCompletion.module_id == module.id))
    # The same progress when Ana reads in English.
    client.post("/language", data={"locale": "en", "next": "/"})
    english = client.get(f"/courses/{course.slug}/{module.slug}").text
    assert html_lang(english) == "en" and "You completed this module on" in english
    assert client.get(f"/courses/{course.slug}/{following.slug}").status_code == 200
    overview = client.get(f"/quizzes/{quiz.id}").text
    assert f"Quiz: {module.title}" in overview


def test_an_english_attempt_stays_in_english_and_item_statistics_count_both(course, make_user, login_as):
    quiz = course.active_modules[0].quiz
    ben = login_as(make_user("ben@example.org", locale="en"))
    ana = login_as(make_user("ana@example.org", locale="es"))
    ben.post(f"/quizzes/{quiz.id}/start")
    ana.post(f"/quizzes/{quiz.id}/start")
    english, spanish = db.session.scalars(db.select(QuizAttempt).order_by(QuizAttempt.id)).all()
    assert all(slot.stem_html == slot.question.stem_html for slot in english.slots)
    assert all(slot.stem_html != slot.question.stem_html for slot in spanish.slots)
    # Both attempts are attempts at the same questions of the same quiz.
    assert english.quiz_id == spanish.quiz_id
    assert {s.question.category for s in english.slots} == {s.question.category for s in spanish.slots}
