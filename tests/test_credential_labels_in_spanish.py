"""Labels and titles written in credential files, in the reader's language: a requirement's label,
the title of a document, signature or external exam, an hour attribute's and a renewal category's
label, translated under ``translations.<language>.labels`` and shown in Spanish on checklists,
evidence pages and hour forms; and credential lists sorted by the title the reader reads."""
import re
from datetime import date, timedelta

import pytest
from flask_babel import refresh

from training.credentials.models import Credential, Evidence
from training.credentials.schema import FileError, parse
from training.extensions import db

from .test_titles_in_spanish import text_of

STATE = "state-peer-support-specialist"

LABELLED = """slug: labelled
title: Labelled
certificate_prefix: EX
translations:
  es:
    labels:
      Work or college: Trabajo o estudios universitarios
      Proof of 12 months of work: Comprobante de 12 meses de trabajo
      College transcript: Expediente académico universitario
      college credits: créditos universitarios
      The board's exam: El examen de la junta de certificación
      With people who share a similar lived experience: Con personas que comparten una experiencia vivida similar
      Ethics: Ética
domains: [Advocacy]
hour_attributes:
  - key: similar_lived_experience
    label: With people who share a similar lived experience
requirements:
  - kind: any_of
    label: Work or college
    options:
      - kind: document
        key: employment_12_months
        title: Proof of 12 months of work
      - kind: document
        key: college_transcript
        title: College transcript
        quantity_label: college credits
        quantity_at_least: 24
  - kind: external_exam
    key: board_exam
    title: The board's exam
  - kind: work_hours
    total: 10
    at_least:
      similar_lived_experience: 5
validity_months: 24
renewal:
  cycle: calendar_year
  hours: 10
  categories:
    ethics:
      label: Ethics
      hours: 3
"""


def compiled(text):
    from training.credentials.evaluation import compile_definition

    definition = parse(text)
    return compile_definition(Credential(id=1, slug=definition.slug, title=definition.title, certificate_prefix="EX",
                                         domains=list(definition.domains), validity_months=24,
                                         definition=definition.model_dump(mode="json")))


# --- The file ------------------------------------------------------------------------------------

def test_a_translated_label_must_be_one_the_file_writes(app):
    """A misspelt key would silently never be used: the file is refused, at the key's line."""
    bad = LABELLED.replace("      Ethics: Ética\n", "      Ethic: Ética\n")
    with pytest.raises(FileError) as error:
        parse(bad)
    [(line, path, message)] = error.value.problems
    assert path == ("translations", "es", "labels", "Ethic")
    assert bad.splitlines()[line - 1].strip() == "Ethic: Ética"
    assert message.startswith("'Ethic' is not a label or title in this file")


def test_a_file_may_translate_its_labels_without_retranslating_its_title(app):
    definition = parse(LABELLED)
    assert definition.translations["es"].title is None
    assert definition.translations["es"].labels["Ethics"] == "Ética"


def test_the_shipped_files_translate_every_label_and_title_they_write(app):
    """Every credential file that ships (and every example) gives each label and title in Spanish,
    and the state credential names its fifth domain too."""
    from pathlib import Path

    from training.credentials.schema import file_labels

    root = Path(__file__).resolve().parent.parent / "certificates" / "credentials"
    for path in [*root.glob("*.yaml"), *root.glob("examples/*.yaml")]:
        definition = parse(path.read_text())
        labels = file_labels(definition)
        missing = labels - set(definition.translations["es"].labels) if labels else set()
        assert not missing, f"{path.name}: {sorted(missing)}"
        if definition.translations.get("es") and definition.translations["es"].domains:
            assert set(definition.translations["es"].domains) == set(definition.domains), path.name


# --- Checklists ------------------------------------------------------------------------------------

def test_checklist_labels_and_next_steps_use_the_files_spanish(app):
    from .test_credential_rules import facts, hours, items

    rules = compiled(LABELLED)
    with app.test_request_context(headers={"Accept-Language": "es"}):
        refresh()
        found, _ = items(rules, facts(hours=[hours("service", 60)]))
        choice = found["any:Work or college"]
        assert choice.label == "Trabajo o estudios universitarios"
        assert [c.label for c in choice.children] == ["Comprobante de 12 meses de trabajo",
                                                      "Expediente académico universitario"]
        assert "créditos universitarios" in choice.children[1].done
        assert "Comprobante de 12 meses de trabajo" in choice.next_step
        exam = found["evidence:board_exam"]
        assert exam.label == "El examen de la junta de certificación"
        assert "El examen de la junta de certificación" in exam.next_step
        assert "Con personas que comparten una experiencia vivida similar" in found["work+similar_lived_experience"].label
        criteria = " ".join(rules.criteria())
        assert "Trabajo o estudios universitarios" in criteria and "Work or college" not in criteria
        renewal = rules.renewal.evaluate(facts(), date(2026, 1, 1), date(2026, 6, 1))
        assert renewal[1].label == "Educación continua en Ética"
        assert "«Ética»" in renewal[1].next_step and "Ética 3 h" in rules.renewal.describe()
        assert "Ethics" not in renewal[1].label + renewal[1].next_step + rules.renewal.describe()
    with app.test_request_context(headers={"Accept-Language": "en"}):
        refresh()
        found, _ = items(rules, facts())
        assert found["any:Work or college"].label == "Work or college"
        assert found["evidence:board_exam"].next_step == ("Take The board's exam and send the result to your "
                                                          "programme administrator.")


# --- Pages -----------------------------------------------------------------------------------------

@pytest.fixture
def state(app, credentials):
    return db.session.scalar(db.select(Credential).where(Credential.slug == STATE))


@pytest.fixture
def ana(make_user, people, state):
    """A Spanish-speaking trainee enrolled in the state credential."""
    from training.credentials.services import enrol

    ana = make_user("ana@example.org", name="Ana Alvarez", locale="es")
    enrol(people["admin"], ana, state, date.today() - timedelta(days=10))
    return ana


@pytest.fixture
def spanish_admin(make_user, login_as):
    return login_as(make_user("ada@example.org", roles={"admin"}, name="Ada Admin", locale="es"))


def test_a_spanish_trainees_checklist_and_signature_page_name_the_evidence_in_spanish(ana, login_as):
    client = login_as(ana)
    text = text_of(client.get("/certificates").text)
    assert "Código de ética" in text and "Verificación de antecedentes" in text
    assert "Lea y firme «Código de ética»." in text
    assert "Code of ethics" not in text and "Background check" not in text
    page = client.get(f"/credentials/{STATE}/evidence/code_of_ethics").text
    assert "<h1>Código de ética</h1>" in page and "<title>Código de ética ·" in page
    assert "Code of ethics" not in page


def test_the_hour_form_offers_renewal_categories_in_spanish(ana, login_as):
    page = login_as(ana).get("/hours/new?kind=training").text
    assert re.search(r'<option value="ethics"[^>]*>Ética</option>', page)
    assert ">Ethics</option>" not in page


def test_an_administrator_reads_evidence_titles_in_spanish_and_old_ones_as_stored(ana, people, spanish_admin):
    from training.credentials.services import sign

    sign(ana, ana_credential(), "code_of_ethics", "Ana Alvarez")
    db.session.add_all([
        Evidence(user_id=ana.id, key="background_check", title="Background check", status="submitted"),
        Evidence(user_id=ana.id, key="retired_form", title="An old intake form", status="submitted"),
    ])
    db.session.commit()
    person = text_of(spanish_admin.get(f"/admin/people/{ana.id}/credentials").text)
    assert "Código de ética" in person and "Verificación de antecedentes" in person
    assert "Code of ethics" not in person and "Background check" not in person
    page = spanish_admin.get(f"/admin/people/{ana.id}/credentials").text
    assert re.search(r'<option value="state-peer-support-specialist:background_check"[^>]*>'
                     r'[^<]*: Verificación de antecedentes</option>', page)
    # A key no credential asks for any more: the title stored when it was given, marked as English.
    assert '<strong><span lang="en">An old intake form</span></strong>' in page
    waiting = spanish_admin.get("/admin/evidence").text
    assert "Verificación de antecedentes: Ana Alvarez" in text_of(waiting)
    assert "Background check" not in text_of(waiting)
    # The stored record is unchanged.
    assert {e.title for e in db.session.scalars(db.select(Evidence))} == {"Code of ethics", "Background check",
                                                                          "An old intake form"}


def ana_credential():
    return db.session.scalar(db.select(Credential).where(Credential.slug == STATE))


def test_english_readers_still_read_the_files_english(ana, people, login_as):
    db.session.add(Evidence(user_id=ana.id, key="background_check", title="Background check", status="submitted"))
    db.session.commit()
    admin = login_as(people["admin"])
    assert "Background check: Ana Alvarez" in text_of(admin.get("/admin/evidence").text)
    ana.locale = "en"
    db.session.commit()
    text = text_of(login_as(ana).get("/certificates").text)
    assert "Code of ethics" in text and "Código de ética" not in text


def test_a_certificate_keeps_the_words_it_froze_and_no_labels(app, people, credentials):
    """Labels are for checklists: the words frozen on a certificate are the title, description and domains,
    and the signatory's title where the design or the settings translate it."""
    from training.certificates.services import _certificate_words

    words = _certificate_words(ana_credential(), {"en": "Programme Director"})
    assert set(words["es"]) == {"title", "description", "domains"}
    assert words["es"]["domains"]["Harm Reduction"] == "Reducción de daños"
    words = _certificate_words(ana_credential(), {"en": "Programme Director", "es": "Dirección del programa"})
    assert set(words["es"]) == {"title", "description", "domains", "signatory_title"}


# --- Lists of credentials ---------------------------------------------------------------------------

@pytest.fixture
def mentor(app, credentials):
    """A credential whose English title sorts first and whose Spanish title sorts last."""
    definition = parse("slug: advanced-peer-mentor\ntitle: Advanced Peer Mentor\ncertificate_prefix: APM\n"
                       "translations:\n  es:\n    title: Mentor avanzado de pares\n"
                       "domains: [Advocacy]\nvalidity_months: 24\nrequirements:\n  - kind: training_hours\n"
                       "    total: 10\n")
    credential = Credential(slug=definition.slug, title=definition.title, certificate_prefix="APM",
                            domains=["Advocacy"], definition=definition.model_dump(mode="json"), validity_months=24)
    db.session.add(credential)
    db.session.commit()
    return credential


SPANISH_ORDER = ["Especialista de apoyo entre pares para la recuperación",
                 "Especialista estatal de apoyo entre pares (ejemplo)", "Mentor avanzado de pares"]
ENGLISH_ORDER = ["Advanced Peer Mentor", "Peer Recovery Specialist", "State Peer Support Specialist (example)"]


def options(page, name):
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", o).strip() for o in re.findall(r"<option[^>]*>(.*?)</option>", select, re.S)][1:]


def test_credential_lists_follow_the_readers_titles(mentor, people, make_user, login_as, spanish_admin):
    trainee = make_user("tom@example.org", name="Tom Trainee")
    assert options(spanish_admin.get("/admin/programme").text, "credential") == SPANISH_ORDER
    assert options(spanish_admin.get("/admin/certificates").text, "credential") == SPANISH_ORDER
    assert options(spanish_admin.get(f"/admin/people/{trainee.id}/credentials").text, "enrol-credential") == SPANISH_ORDER
    listed = text_of(spanish_admin.get("/admin/credentials").text)
    assert [listed.index(title) for title in SPANISH_ORDER] == sorted(listed.index(title) for title in SPANISH_ORDER)
    english = login_as(people["admin"])
    assert options(english.get("/admin/programme").text, "credential") == ENGLISH_ORDER
    assert options(english.get(f"/admin/people/{trainee.id}/credentials").text, "enrol-credential") == ENGLISH_ORDER
