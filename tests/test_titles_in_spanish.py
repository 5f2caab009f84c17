"""Credential, course and module titles and domain names in the reader's language: a Spanish reader
sees the Spanish the credential, course and training files give, and English only where a file gives
no translation, marked as English for screen readers."""
import csv
import html
import io
import re
from datetime import date, timedelta

import pytest
from flask_babel import refresh
from pypdf import PdfReader

from training.courses.services import record_module_completion
from training.credentials.models import Credential
from training.extensions import db

from .test_certificates import approved, credential  # noqa: F401  (fixture)
from .test_cohorts import live, trainer  # noqa: F401  (fixtures)

TITLE = "Especialista de apoyo entre pares para la recuperación"
COURSE = "Fundamentos del apoyo entre pares para la recuperación"
DOMAINS = {"Advocacy": "Defensa de derechos", "Mentoring/Education": "Mentoría y educación",
           "Recovery/Wellness Support": "Apoyo a la recuperación y el bienestar",
           "Ethical Responsibility": "Responsabilidad ética"}
# The English these pages showed a Spanish reader: the credential's, the course's and the domains'.
ENGLISH = ["Peer Recovery Specialist", "Foundations of Peer Recovery Support", *DOMAINS]


def text_of(page):
    """What a reader sees or hears in the page's main area: its text and its labels."""
    main = page.split('<main id="main"', 1)[-1].split("</main>", 1)[0]
    labels = " ".join(re.findall(r'(?:aria-label|data-label|alt|title)="([^"]*)"', main))
    body = re.sub(r"<script.*?</script>|<style.*?</style>|<svg.*?</svg>", " ", main, flags=re.S)
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body) + " " + labels).split())
    return re.sub(r" (?=[:,.])", "", text)


def english_in(text):
    return [words for words in ENGLISH if re.search(rf"(?<![\w/]){re.escape(words)}(?![\w/])", text)]


def pdf_text(data):
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def trainee(people, course, credential):  # noqa: F811
    """A Spanish-speaking trainee enrolled in the default credential, two modules into the course,
    with approved hours of each kind."""
    from training.credentials.services import enrol

    trainee = people["trainee"]
    trainee.locale = "es"
    enrol(people["admin"], trainee, credential, date.today() - timedelta(days=30))
    for module in course.active_modules[:2]:
        record_module_completion(trainee, module)
    approved(trainee, "training", 90, 3, domain="Advocacy", provider="Academy")
    approved(trainee, "service", 120, 4, domain="Mentoring/Education")
    approved(trainee, "supervision", 60, 5, supervision_format="individual")
    db.session.commit()
    return trainee


@pytest.fixture
def spanish_admin(make_user, login_as):
    return login_as(make_user("ada@example.org", roles={"admin"}, name="Ada Admin", locale="es"))


def test_a_spanish_trainees_dashboard_names_the_credential_in_spanish(trainee, login_as):
    text = text_of(login_as(trainee).get("/dashboard").text)
    assert f"Hacia {TITLE}" in text
    assert english_in(text) == []


def test_the_progress_page_names_courses_modules_and_domains_in_spanish(trainee, course, login_as):
    page = login_as(trainee).get("/progress").text
    text = text_of(page)
    assert f"Hacia {TITLE}" in text and f"Requisitos (gráfico): {TITLE}" not in text
    # The course section: its title, the next module's and the domains its completion credits.
    assert f">{COURSE}</a></h3>" in page
    second = course.active_modules[2].translations[0].title
    assert f"Continuar: {second}" in text
    assert "Al terminarlo se acreditan horas de capacitación: Defensa de derechos" in text
    # The table of training by domain, the sentences under it and the entries' domains.
    assert all(name in text for name in DOMAINS.values())
    assert english_in(text) == []


def test_a_supervisor_reads_a_supervisees_progress_and_report_in_spanish(trainee, people, login_as):
    from training.auth.models import SupervisorAssignment
    from training.supervision.models import HourEntry

    supervisor = people["supervisor"]
    supervisor.locale = "es"
    db.session.add(SupervisorAssignment(supervisor=supervisor, trainee=trainee,
                                        starts_on=date.today() - timedelta(days=30)))
    for entry in db.session.scalars(db.select(HourEntry).where(HourEntry.trainee_id == trainee.id)):
        entry.supervisor_id = supervisor.id
    db.session.commit()
    client = login_as(supervisor)
    text = text_of(client.get(f"/supervisees/{trainee.id}").text)
    assert f"Hacia {TITLE}" in text and "Defensa de derechos" in text
    assert english_in(text) == []
    text = text_of(client.get("/supervision").text)
    assert f"{COURSE}: 2 de 8 módulos" in text and english_in(text) == []
    report = client.get(f"/supervisees/{trainee.id}/report.pdf")
    assert report.status_code == 200
    text = pdf_text(report.data)
    assert f"Para una solicitud de {TITLE}" in text and f"Credencial {TITLE}" in text
    assert f"Hacia {TITLE}" in text and "Defensa de derechos" in text
    assert "Toward" not in text and english_in(text) == []


def test_an_administrators_programme_overview_and_its_csv_name_the_credential_in_spanish(trainee, spanish_admin):
    page = spanish_admin.get("/admin/programme").text
    assert f'<option value="peer-recovery-specialist">{TITLE}</option>' in page
    cells = re.findall(r'<td data-label="Credencial">(.*?)</td>', page)
    assert cells and set(cells) == {TITLE}
    assert "Peer Recovery Specialist" not in text_of(page)
    rows = list(csv.reader(io.StringIO(spanish_admin.get("/admin/programme.csv").data.decode("utf-8-sig"))))
    assert rows[1][2] == TITLE


def test_the_eligibility_list_and_its_filters_name_the_credential_in_spanish(trainee, spanish_admin):
    page = spanish_admin.get("/admin/certificates/eligible?credential=peer-recovery-specialist&status=all").text
    assert re.search(rf'<option value="peer-recovery-specialist" selected>{TITLE}</option>', page)
    # Each trainee's next step is shown as stored at evaluation, in its own language: left aside here.
    text = text_of(re.sub(r'<span lang="en">[^<]*</span>', " ", page))
    assert f"Participantes inscritos en {TITLE}" in page and f"de {TITLE} y" in text
    assert english_in(text) == []
    page = spanish_admin.get("/admin/certificates").text
    assert f'<option value="peer-recovery-specialist">{TITLE}</option>' in page
    assert english_in(text_of(page)) == []


def test_a_persons_enrolments_and_evidence_name_the_credential_in_spanish(trainee, spanish_admin, login_as):
    text = text_of(spanish_admin.get(f"/admin/people/{trainee.id}/credentials").text)
    assert f"Hacia {TITLE}" in text and f"Fecha de finalización de la inscripción en {TITLE}" in text
    assert english_in(text) == []


def test_a_persons_administration_page_and_the_courses_page_show_spanish_course_titles(trainee, course,
                                                                                        spanish_admin):
    text = text_of(spanish_admin.get(f"/admin/people/{trainee.id}").text)
    assert f"{COURSE}: 2 de 8 módulos" in text and english_in(text) == []
    text = text_of(spanish_admin.get("/admin/courses").text)
    assert COURSE in text and course.active_modules[0].translations[0].title in text
    assert "Defensa de derechos" in text and english_in(text) == []


def test_the_course_page_names_the_domains_it_credits_in_spanish(trainee, course, login_as):
    text = text_of(login_as(trainee).get(f"/courses/{course.slug}").text)
    assert "Defensa de derechos: " in text and english_in(text) == []


def test_a_bulk_issue_job_is_titled_with_the_credential_in_spanish(trainee, credential, make_user,  # noqa: F811
                                                                   login_as):
    from training.certificates.jobs import start_bulk_issue

    admin = make_user("ada@example.org", roles={"admin"}, name="Ada Admin", locale="es")
    job = start_bulk_issue(admin, credential, [trainee])
    text = text_of(login_as(admin).get(f"/jobs/{job.id}").text)
    assert f"Emisión de certificados de {TITLE}" in text and "Peer Recovery Specialist" not in text


def test_a_title_with_no_spanish_is_shown_in_english_marked_as_english(trainee, credential, login_as):  # noqa: F811
    definition = dict(credential.definition)
    definition["translations"] = {}
    credential.definition = definition
    db.session.commit()
    page = login_as(trainee).get("/dashboard").text
    assert 'Hacia <span lang="en">Peer Recovery Specialist</span>' in page
    trainee.locale = "en"
    db.session.commit()
    assert "Toward Peer Recovery Specialist</h3>" in login_as(trainee).get("/dashboard").text


def test_alternatives_are_joined_in_the_readers_language(app):
    from .test_credential_rules import ANY_OF, facts, items
    from .test_credential_rules import credential as rules_of

    rules = rules_of(ANY_OF)
    with app.test_request_context(headers={"Accept-Language": "es"}):
        refresh()  # the test's app context outlives each request's
        found, _ = items(rules, facts())
        step = found["any:Work or college"].next_step
        assert step.startswith("Cualquiera de estas: ")
        assert "; o " in step and "; or " not in step
    with app.test_request_context(headers={"Accept-Language": "en"}):
        refresh()
        found, _ = items(rules, facts())
        assert "; or " in found["any:Work or college"].next_step


@pytest.fixture
def training_certificate(live, people, trainer):  # noqa: F811
    """A training certificate of the shipped live training in ethics, issued to an English speaker."""
    from training.cohorts.certificates import issue_for_cohort
    from training.cohorts.services import CohortInput, confirm, create_cohort, enrol, mark

    default = db.session.scalar(db.select(Credential).where(Credential.slug == "peer-recovery-specialist"))
    cohort = create_cohort(people["admin"], CohortInput("Evening ethics", date.today(), date.today(), "in_person", 10,
                                                        address="Room 2"), live, default, [trainer])
    enrol(people["admin"], cohort, people["trainee"])
    for session in cohort.sessions:
        mark(trainer, session, people["trainee"], "present")
        confirm(trainer, session, "Tia Trainer", now=session.starts_at + timedelta(minutes=5))
    [certificate] = issue_for_cohort(people["admin"], cohort)
    return certificate


def test_a_training_certificates_verify_page_shows_the_trainings_title_in_the_visitors_language(
        client, training_certificate, live):  # noqa: F811
    assert training_certificate.training_title == "Ethics in Peer Work (live)"
    url = f"/verify/{training_certificate.grouped_code}"
    page = client.get(url, headers={"Accept-Language": "es"}).text
    assert '<h1 id="details-heading">Ética en el trabajo entre pares (en vivo)</h1>' in page
    assert "Ethics in Peer Work" not in text_of(page)
    assert '<h1 id="details-heading">Ethics in Peer Work (live)</h1>' in client.get(
        url, headers={"Accept-Language": "en"}).text
    # Without a translation, the title as stored at issue, marked as English.
    live.translations = {}
    live.title = "Ethics in Peer Work, revised"
    db.session.commit()
    page = client.get(url, headers={"Accept-Language": "es"}).text
    assert '<h1 id="details-heading"><span lang="en">Ethics in Peer Work (live)</span></h1>' in page
