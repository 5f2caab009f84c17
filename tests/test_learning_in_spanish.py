"""A Spanish-speaking trainee's courses, modules, quizzes and final exam: in Spanish throughout,
the same questions graded the same way, and English only where no Spanish version exists, said so."""
import html
import io
import re
import shutil

import pytest
from flask_babel import refresh

from training.courses.loader import ContentErrors, load_courses
from training.courses.services import final_exam, record_module_completion, sync_courses
from training.extensions import db
from training.quizzes.models import QuestionTranslation, QuizAttempt

from .conftest import COURSES_DIR
from .test_i18n import extracted_messages, spanish_catalogue
from .test_quizzes import form_for, right_answers

SLUG = "foundations-of-peer-recovery-support"
AREA = ("templates/quizzes/", "templates/courses/", "training/quizzes/", "training/courses/")
# What is left of a message once its placeholders and markup are taken out.
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%|<[^>]+>|[“”«»]")


def english_fragments():
    """The English words of every message marked in the courses and quizzes code that Spanish
    writes differently: pieces between placeholders, long enough not to be a Spanish word too."""
    catalogue = spanish_catalogue()
    fragments = set()
    for context, msgid, filename in extracted_messages():
        message = catalogue.get(msgid, context=context)
        if not filename.startswith(AREA) or message is None:
            continue
        english = message.id if isinstance(message.id, tuple | list) else (message.id,)
        spanish = " ".join(message.string if isinstance(message.string, tuple | list) else (message.string,))
        for text in english:
            for piece in PLACEHOLDER.split(text):
                piece = piece.strip(" .,:;()·")
                if len(piece) >= 8 and " " in piece and piece not in spanish:
                    fragments.add(piece)
    return fragments


@pytest.fixture(scope="module")
def fragments():
    found = english_fragments()
    assert "Passing this quiz completes the module" in found  # the check reads the catalogue it means to
    return found


def english_left(page, fragments):
    text = html.unescape(page)
    return sorted(f for f in fragments if f in text)


def html_lang(page):
    return re.search(r'<html lang="([a-z]{2})">', page).group(1)


@pytest.fixture
def ana(make_user):
    return make_user("ana@example.org", locale="es", name="Ana Álvarez")


# --- Pages -------------------------------------------------------------------------------------------

def test_the_catalogue_and_course_page_are_in_spanish(course, ana, login_as, fragments):
    client = login_as(ana)
    catalogue = client.get("/courses/").text
    assert html_lang(catalogue) == "es"
    assert "<h1>Cursos</h1>" in catalogue and "8 módulos" in catalogue and "0 de 8 módulos terminados" in catalogue
    assert english_left(catalogue, fragments) == []
    page = client.get(f"/courses/{course.slug}").text
    assert "Fundamentos del apoyo entre pares para la recuperación" in page
    assert "0 de 8 módulos terminados." in page and "Comenzar con «" in page
    assert "Examen final" in page and "32 preguntas de todos los módulos" in page and "3 intentos" in page
    assert "Horas de capacitación que se acreditan al completarlo" in page
    assert english_left(page, fragments) == []


def test_the_module_page_is_in_spanish(course, ana, login_as, fragments):
    module = course.active_modules[0]
    page = login_as(ana).get(f"/courses/{course.slug}/{module.slug}").text
    assert "Qué es y qué no es el apoyo entre pares para la recuperación" in page
    assert "Ir al cuestionario" in page
    assert english_left(page, fragments) == []


def test_a_quiz_overview_attempt_and_review_are_in_spanish(course, ana, login_as, fragments):
    quiz = course.active_modules[0].quiz
    client = login_as(ana)
    overview = client.get(f"/quizzes/{quiz.id}").text
    assert "Cómo funciona este cuestionario" in overview and "Comenzar el cuestionario" in overview
    assert english_left(overview, fragments) == []
    client.post(f"/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(db.select(QuizAttempt))
    page = client.get(f"/attempts/{attempt.id}").text
    assert "Enviar respuestas" in page and "translation-note" not in page
    assert f"Intento 1 · {len(attempt.slots)} preguntas · nota mínima {quiz.pass_mark}%" in page
    assert '<fieldset class="question" id="question-1">' in page
    assert english_left(page, fragments) == []
    warned = client.post(f"/attempts/{attempt.id}", data=form_for(right_answers(attempt, wrong=1), attempt)).text
    assert "1 pregunta aún no tiene respuesta." in warned and english_left(warned, fragments) == []
    response = client.post(f"/attempts/{attempt.id}",
                           data=form_for(right_answers(attempt, wrong=1), attempt, blanks_ok=True))
    review = client.get(response.location).text
    assert "Pregunta 1" in review and "Su respuesta:" in review
    assert english_left(review, fragments) == []
    overview = client.get(f"/quizzes/{quiz.id}").text
    assert "Sus intentos y puntuaciones" in overview
    assert english_left(overview, fragments) == []


def test_the_table_of_attempts_reads_naturally_in_spanish(course, ana, login_as):
    """An attempt (intento) is \u201cterminado\u201d, and its link asks to review it, not names a review."""
    quiz = course.active_modules[0].quiz
    client = login_as(ana)
    client.post(f"/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(db.select(QuizAttempt))
    client.post(f"/attempts/{attempt.id}", data=form_for(right_answers(attempt), attempt))
    overview = client.get(f"/quizzes/{quiz.id}").text
    assert '<th scope="col">Terminado</th>' in overview and 'data-label="Terminado"' in overview
    assert "Terminada" not in overview
    assert '>Revisar<span class="visually-hidden"> intento 1</span></a>' in overview


def test_the_final_exam_is_drawn_in_spanish_from_every_modules_bank(course, ana, login_as, fragments):
    """course.yaml's final_exam draws 4 questions from each module's bank: all 32 in Spanish."""
    for module in course.active_modules:
        record_module_completion(ana, module)
    exam = final_exam(course)
    client = login_as(ana)
    overview = client.get(f"/quizzes/{exam.id}").text
    assert "Examen final: Fundamentos del apoyo entre pares para la recuperación" in overview
    assert "Límite de tiempo: 60 minutos" in overview and "Comenzar el examen" in overview
    assert english_left(overview, fragments) == []
    client.post(f"/quizzes/{exam.id}/start")
    attempt = db.session.scalar(db.select(QuizAttempt).where(QuizAttempt.quiz_id == exam.id))
    assert len(attempt.slots) == 32
    categories = {}
    for slot in attempt.slots:
        categories[slot.question.category] = categories.get(slot.question.category, 0) + 1
        version = db.session.scalar(db.select(QuestionTranslation).where(
            QuestionTranslation.question_id == slot.question_id, QuestionTranslation.locale == "es"))
        assert slot.stem_html == version.stem_html and slot.explanation == version.explanation
    assert categories == {module.slug: 4 for module in course.active_modules}
    page = client.get(f"/attempts/{attempt.id}").text
    assert "Pregunta 32 de 32" in page and "translation-note" not in page
    assert english_left(page, fragments) == []
    response = client.post(f"/attempts/{attempt.id}", data=form_for(right_answers(attempt), attempt))
    review = client.get(response.location).text
    assert "100%" in review and "Aprobado" in review and "Por qué:" in review
    assert english_left(review, fragments) == []


# --- Where a Spanish version is missing ------------------------------------------------------------

def test_questions_without_a_spanish_version_are_shown_in_english_with_a_note(course, ana, login_as, tmp_path):
    shutil.copytree(COURSES_DIR / SLUG, tmp_path / SLUG)
    module = course.active_modules[0]
    (tmp_path / SLUG / "questions" / f"01-{module.slug}.es.gift").unlink()
    sync_courses(tmp_path)
    client = login_as(ana)
    client.post(f"/quizzes/{module.quiz.id}/start")
    attempt = db.session.scalar(db.select(QuizAttempt))
    assert all(slot.stem_html == slot.question.stem_html for slot in attempt.slots)
    page = client.get(f"/attempts/{attempt.id}").text
    assert html_lang(page) == "es" and "Enviar respuestas" in page
    assert "Algunas preguntas todavía no están disponibles en español, así que se muestran en inglés." in page
    assert len(re.findall(r'<fieldset class="question" id="question-\d+" lang="en">', page)) == len(attempt.slots)
    client.post(f"/attempts/{attempt.id}", data=form_for(right_answers(attempt), attempt))
    review = client.get(f"/attempts/{attempt.id}/review").text
    assert "Algunas preguntas todavía no están disponibles en español" in review
    assert len(re.findall(r'class="panel review-item" aria-labelledby="review-q\d+" lang="en">', review)) \
        == len(attempt.slots)


def test_an_attempt_started_in_spanish_stays_in_spanish_and_says_so_in_english(course, ana, login_as):
    module = course.active_modules[0]
    client = login_as(ana)
    client.post(f"/quizzes/{module.quiz.id}/start")
    attempt = db.session.scalar(db.select(QuizAttempt))
    client.post("/language", data={"locale": "en", "next": "/"})
    page = client.get(f"/attempts/{attempt.id}").text
    assert html_lang(page) == "en" and "Submit answers" in page
    assert "Some questions are shown in Spanish, the language this attempt started in." in page
    assert len(re.findall(r'<fieldset class="question" id="question-\d+" lang="es">', page)) == len(attempt.slots)


def test_an_attempt_started_in_english_does_not_claim_spanish_is_missing(course, people, login_as):
    """Questions that have a Spanish version but were frozen in English, because the attempt
    started in English, are said to be in the attempt's language, not missing in Spanish."""
    module = course.active_modules[0]
    client = login_as(people["trainee"])
    client.post(f"/quizzes/{module.quiz.id}/start")
    attempt = db.session.scalar(db.select(QuizAttempt))
    client.post("/language", data={"locale": "es", "next": "/"})
    page = client.get(f"/attempts/{attempt.id}").text
    assert html_lang(page) == "es"
    assert "todavía no están disponibles en español" not in page
    assert "Algunas preguntas se muestran en inglés, el idioma en que empezó este intento." in page
    client.post(f"/attempts/{attempt.id}", data=form_for(right_answers(attempt), attempt))
    review = client.get(f"/attempts/{attempt.id}/review").text
    assert "todavía no están disponibles en español" not in review
    assert "Algunas preguntas se muestran en inglés, el idioma en que empezó este intento." in review


def test_an_english_trainee_sees_english_and_no_note(course, people, login_as):
    module = course.active_modules[0]
    client = login_as(people["trainee"])
    client.post(f"/quizzes/{module.quiz.id}/start")
    attempt = db.session.scalar(db.select(QuizAttempt))
    page = client.get(f"/attempts/{attempt.id}").text
    assert "translation-note" not in page and '<fieldset class="question" id="question-1">' in page
    course_page = client.get(f"/courses/{course.slug}").text
    assert "0 of 8 modules done." in course_page and "32 questions from every module" in course_page


# --- For administrators --------------------------------------------------------------------------------

def test_content_problems_are_reported_in_the_administrators_language(app, tmp_path):
    shutil.copytree(COURSES_DIR / SLUG, tmp_path / SLUG)
    module = tmp_path / SLUG / "modules" / "01-what-peer-recovery-support-is-and-is-not.md"
    module.write_text(module.read_text(encoding="utf-8").replace("estimated_minutes: 60", "estimated_minutes: 0"),
                      encoding="utf-8")
    version = tmp_path / SLUG / "questions" / "02-shared-experience-empathy-belonging-and-hope.es.gift"
    text = version.read_text(encoding="utf-8")
    version.write_text(text[:text.rindex("\n::")], encoding="utf-8")
    with app.test_request_context(headers={"Accept-Language": "es"}):
        refresh()
        with pytest.raises(ContentErrors) as caught:
            load_courses(tmp_path)
    message = str(caught.value)
    assert "01-what-peer-recovery-support-is-and-is-not.md:3: 'estimated_minutes' debe ser un número entero " \
           "del 1 al 600" in message
    assert "la traducción tiene 8 preguntas; el archivo que traduce tiene 9" in message


def test_the_import_form_names_each_course_in_the_readers_language(course, make_user, login_as):
    admin = make_user("alba@example.org", roles=("admin",), locale="es")
    page = login_as(admin).get("/admin/questions/import").text
    select = page.split('<select id="course"', 1)[1].split("</select>", 1)[0]
    assert "Fundamentos del apoyo entre pares para la recuperación" in select
    assert "Foundations of Peer Recovery Support" not in select


def test_an_import_is_previewed_in_spanish_with_its_problems(course, make_user, login_as, fragments):
    admin = make_user("alba@example.org", roles=("admin",), locale="es")
    client = login_as(admin)
    page = client.get("/admin/questions/import").text
    assert "Importar preguntas" in page and "Archivo de preguntas" in page
    assert english_left(page, fragments) == []
    gift = "::Q1:: Pick.{=right ~%85%partly ~wrong}\n\n::Q2:: Broken {=a ~b\n"
    response = client.post("/admin/questions/import", data={
        "course": course.slug, "format": "gift", "category": "extra",
        "file": (io.BytesIO(gift.encode()), "extra.gift")}, content_type="multipart/form-data")
    assert "No se puede importar nada: se encontró 1 problema" in response.text
    assert "el bloque de respuestas { nunca se cierra con }" in response.text
    assert "el peso 85% no es uno de los pesos de Moodle; se lee como 83.33333%, el más cercano" in response.text
    assert english_left(response.text, fragments) == []
