"""Certificate, credential and badge pages in Spanish: the reader's language on screen, the
holder's on paper, and none of the English these pages are written in."""
import html
import io
import json
import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from flask_babel import refresh
from pypdf import PdfReader

from training.certificates.services import issue, revoke
from training.certificates.transcript import transcript_pdf
from training.extensions import db

from .test_certificates import approved, credential, make_eligible  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parent.parent
# The pages and documents these tests read, and the code that writes their words.
SOURCES = ["templates/certificates", "templates/credentials", "templates/badges", "training/certificates",
           "training/credentials", "training/badges"]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%")
MONTHS = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
          "noviembre", "diciembre"]


@cache
def english_texts():
    """Every run of English words (12 characters or more) that these pages' catalogue entries are
    written with, and that their Spanish translation does not also contain."""
    with (ROOT / "training/translations/es/LC_MESSAGES/messages.po").open("rb") as source:
        catalogue = read_po(source, locale="es")
    texts = set()
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in (".py", ".html"):
                continue
            method = "python" if path.suffix == ".py" else "jinja2"
            for _line, message, _comments, _context in extract_from_file(
                    method, str(path), keywords=KEYWORDS, options={"extensions": "jinja2.ext.do"}):
                for msgid in message if isinstance(message, tuple | list) else (message,):
                    entry = catalogue.get(msgid)
                    spanish = " ".join(entry.string) if entry and isinstance(entry.string, tuple) else \
                        (entry.string if entry else "")
                    for piece in PLACEHOLDER.split(re.sub(r"<[^>]+>", " ", msgid)):
                        piece = " ".join(piece.split())
                        if len(piece) >= 12 and piece not in spanish:
                            texts.add(piece)
    return texts


def main_text(page):
    """What a reader sees in the page's main area: its text, and its labels for screen readers."""
    main = page.split('<main id="main"', 1)[-1].split("</main>", 1)[0]
    labels = " ".join(re.findall(r'(?:aria-label|alt|title|data-label|placeholder)="([^"]*)"', main))
    text = re.sub(r"<script.*?</script>|<style.*?</style>", " ", main, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text) + " " + labels).split())


def english_in(text):
    return sorted(t for t in english_texts() if t in text)


def pdf_text(data):
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)


def spanish_day(day):
    return f"{day.day} de {MONTHS[day.month - 1]} de {day.year}"


@pytest.fixture
def spanish_trainee(people):
    trainee = people["trainee"]
    trainee.locale = "es"
    db.session.commit()
    return trainee


@pytest.fixture
def issued(app, spanish_trainee, course, credential, people):  # noqa: F811
    make_eligible(spanish_trainee, course)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        certificate, _ = issue(spanish_trainee, credential, actor=people["admin"])
    return certificate


def test_the_english_texts_list_is_not_empty():
    """The checks below mean something only if the pages' English is found."""
    texts = english_texts()
    assert "Download your transcript (PDF)" in texts and "Only hours approved and signed by a supervisor" \
        " are counted. Verify certificates at the address printed on each." in texts
    assert "more hours" not in texts  # too short to tell apart: left out on purpose


def test_a_spanish_trainees_certificates_page_is_all_spanish(issued, spanish_trainee, login_as):
    page = login_as(spanish_trainee).get("/certificates").text
    text = main_text(page)
    assert '<html lang="es">' in page
    assert "Sus certificados" in text and "Descargar su expediente académico (PDF)" in text
    assert f"Certificado {issued.number} · emitido el {spanish_day(issued.issued_on)}" in text
    assert "Válido" in text and "Su nombre en los certificados" in text and "Escanee para verificar." in text
    assert "Especialista de apoyo entre pares para la recuperación" in text
    assert english_in(text) == []


def test_a_spanish_trainees_checklist_names_each_requirement_and_step_in_spanish(
        spanish_trainee, course, credential, login_as):  # noqa: F811
    approved(spanish_trainee, "training", 90, 3, domain="Advocacy", provider="Academy")
    db.session.commit()
    text = main_text(login_as(spanish_trainee).get("/certificates").text)
    assert "Capacitación: Defensa de derechos" in text  # the domain as the credential file translates it
    assert "1,5 h de 10 h" in text and "Registre 8,5 horas más de capacitación externa en Defensa de derechos" in text
    assert "Supervisión recibida" in text and "Pendiente" in text
    assert "Capacitación: Advocacy" not in text
    # The course as its Spanish version is titled.
    assert "Curso: Fundamentos del apoyo entre pares para la recuperación" in text
    assert "Examen final: Fundamentos del apoyo entre pares para la recuperación" in text
    assert english_in(text) == []


def test_the_signatory_title_is_printed_in_the_holders_language(
        app, issued, make_user, course, credential, people):  # noqa: F811
    assert "Dirección del programa" in pdf_text(issued.pdf) and "Programme Director" not in pdf_text(issued.pdf)
    english = make_user("eve@example.org", name="Eve English")
    make_eligible(english, course)
    with app.test_request_context(headers={"Accept-Language": "es"}):
        certificate, _ = issue(english, credential, actor=people["admin"])
    assert "Programme Director" in pdf_text(certificate.pdf) and "Dirección" not in pdf_text(certificate.pdf)


@pytest.mark.config(CERTIFICATE_SIGNATORY_TITLE="Executive Director")
def test_a_signatory_title_set_in_english_alone_is_printed_as_set_in_every_language(issued):
    assert "Executive Director" in pdf_text(issued.pdf) and "Dirección" not in pdf_text(issued.pdf)


@pytest.mark.config(CERTIFICATE_SIGNATORY_TITLE="Executive Director",
                    CERTIFICATE_SIGNATORY_TITLE_ES="Dirección ejecutiva")
def test_a_signatory_title_set_with_its_spanish_prints_the_spanish(issued):
    assert "Dirección ejecutiva" in pdf_text(issued.pdf) and "Executive Director" not in pdf_text(issued.pdf)


def test_the_verify_page_and_form_speak_a_spanish_visitors_language(app, client, issued, people):
    headers = {"Accept-Language": "es"}
    text = main_text(client.get(f"/verify/{issued.grouped_code}", headers=headers).text)
    assert "Certificado válido" in text and "Horas registradas" in text
    assert english_in(text) == []
    revoke(people["admin"], issued, "Emitido por error.")
    text = main_text(client.get(f"/verify/{issued.grouped_code}", headers=headers).text)
    assert "Certificado revocado" in text and "Emitido por error." in text
    assert english_in(text) == []
    missing = client.get("/verify?code=0000-0000-0000-0000-0000", headers=headers)
    text = main_text(missing.text)
    assert missing.status_code == 404 and "Ningún certificado tiene este código" in text
    assert "Código de verificación" in text and english_in(text) == []
    text = main_text(client.get("/verify", headers=headers).text)
    assert "Verificar un certificado" in text and english_in(text) == []


def test_the_transcript_is_printed_in_the_holders_language_whoever_asks(app, issued, spanish_trainee):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        text = pdf_text(transcript_pdf(spanish_trainee))
    assert "Expediente académico" in text and "Cursos completados" in text and "Cuestionarios y exámenes" in text
    assert "Horas aprobadas para Especialista de apoyo entre pares para la recuperación" in text
    assert "Trabajo de apoyo entre pares supervisado" in text and "Página 1 de" in text
    assert "Examen final: Fundamentos del apoyo entre pares para la recuperación" in text
    assert "Foundations of Peer Recovery Support" not in text
    assert re.search(r"generado el \d{1,2} de [a-z]+ de \d{4}", text)
    assert english_in(text) == []
    assert "Transcript" not in text and "Courses completed" not in text and "Approved hours" not in text


def test_a_trainees_own_transcript_download_is_in_their_language(issued, spanish_trainee, login_as):
    response = login_as(spanish_trainee).get("/certificates/transcript.pdf")
    assert response.status_code == 200 and "Expediente-" in response.headers["Content-Disposition"]
    assert "Expediente académico" in pdf_text(response.data)


@pytest.mark.parametrize("route", ["/admin/certificates", "/admin/certificates/{id}", "/admin/certificates/eligible",
                                   "/admin/people/{user}/eligibility", "/admin/credentials",
                                   "/admin/people/{user}/credentials", "/admin/evidence", "/credentials/{slug}",
                                   "/holders/{holder}"])
def test_administrators_and_public_credential_pages_in_spanish(route, issued, people, make_user, login_as):
    from training.badges.models import BadgeHolder

    admin = make_user("admina@example.org", roles={"admin"}, locale="es")
    holder = db.session.scalar(db.select(BadgeHolder.public_id).where(BadgeHolder.user_id == issued.user_id))
    url = route.format(id=issued.id, user=issued.user_id, slug=issued.credential_slug, holder=holder)
    response = login_as(admin).get(url)
    assert response.status_code == 200 and '<html lang="es">' in response.text
    assert english_in(main_text(response.text)) == []


@pytest.mark.parametrize("route", ["/admin/certificates", "/admin/certificates/{id}",
                                   "/admin/certificates/{id}/revoke"])
def test_administrators_read_the_certificates_credential_in_their_language(route, issued, make_user, login_as):
    admin = login_as(make_user("admina@example.org", roles={"admin"}, locale="es"))
    url = route.format(id=issued.id)
    # Revoking asks first, on a page of its own, after the reason is given.
    page = admin.post(url, data={"reason": "Emitido por error"}) if url.endswith("/revoke") else admin.get(url)
    text = main_text(page.text)
    assert "Especialista de apoyo entre pares para la recuperación" in text and "Peer Recovery Specialist" not in text


def test_the_signed_credential_keeps_its_english_criteria_when_a_spanish_speaker_issues_it(
        app, spanish_trainee, course, credential, people, client):  # noqa: F811
    make_eligible(spanish_trainee, course)
    with app.test_request_context(headers={"Accept-Language": "es"}):
        certificate, _ = issue(spanish_trainee, credential, actor=people["admin"])
    narrative = json.loads(certificate.signed_json)["credentialSubject"]["achievement"]["criteria"]["narrative"]
    assert "of training" in narrative and "capacitación" not in narrative
    page = main_text(client.get(f"/credentials/{credential.slug}", headers={"Accept-Language": "es"}).text)
    assert "de capacitación" in page and "Defensa de derechos" in page


def test_an_expiry_reminder_is_written_in_the_holders_language(app, issued, spanish_trainee, caplog):
    from datetime import timedelta

    from training.certificates.reminders import send_expiry_reminders

    from .test_notifications import mails, messages_of

    caplog.set_level("INFO", logger="training.mail")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        send_expiry_reminders(issued.expires_on - timedelta(days=1))
    reminder = messages_of(spanish_trainee)[-1]
    assert reminder.startswith("Su certificado de Especialista de apoyo entre pares para la recuperación")
    assert f"vence en 1 día, el {spanish_day(issued.expires_on)}" in reminder
    subjects = [subject for to, subject, _ in mails(caplog) if to == spanish_trainee.email]
    assert subjects[-1] == "Su certificado vence en 1 día"


def test_a_checklist_names_other_credentials_and_courses_in_the_readers_language(app, credential):  # noqa: F811
    from training.credentials.evaluation import compile_credentials

    from .test_credential_rules import COURSE, facts, items
    from .test_credential_rules import credential as rules_of

    rules = rules_of(f"  - kind: credential\n    credential: initial\n  - kind: course\n    course: {COURSE}\n")
    rules.credential_names, rules.course_names = {"es": {"initial": "Etapa inicial"}}, {"es": {COURSE: "Fundamentos"}}
    with app.test_request_context(headers={"Accept-Language": "es"}):
        refresh()  # the test's app context outlives each request's
        found, _ = items(rules, facts())
        assert found["credential:initial"].label == "Certificado: Etapa inicial"
        assert found["credential:initial"].next_step.startswith("Obtenga primero el certificado")
        assert found["credential:initial"].next_step.endswith("Etapa inicial.")
        assert found[f"course:{COURSE}"].next_step == "Complete el curso Fundamentos."
        # Read from the credential files as loaded: a translated title is found for every credential.
        compiled = compile_credentials([credential])[credential.id]
        assert compiled.credential_title(credential.slug) == "Especialista de apoyo entre pares para la recuperación"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        refresh()
        found, _ = items(rules, facts())
        assert found["credential:initial"].next_step == "Earn the Initial stage certificate first."
        assert compiled.credential_title(credential.slug) == "Peer Recovery Specialist"
