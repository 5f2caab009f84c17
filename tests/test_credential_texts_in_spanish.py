"""The longer texts of credential files in the reader's language: a signature's text, a document's
description and an hour attribute's help, translated under ``translations.<language>.texts`` by the
key of their signature, document or attribute. A Spanish reader reads and signs the Spanish text;
the signature records the language and the SHA-256 of exactly the text shown, and counts while the
text in that language stays the same."""
import hashlib
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask_babel import refresh

from training.audit import AuditEvent
from training.credentials.models import Credential, Evidence
from training.credentials.schema import FileError, file_texts, parse
from training.extensions import db

from .test_credential_labels_in_spanish import ana, compiled, state  # noqa: F401  (fixtures)
from .test_titles_in_spanish import text_of

ROOT = Path(__file__).resolve().parent.parent / "certificates" / "credentials"
STATE = "state-peer-support-specialist"
SPANISH_ETHICS = "Como especialista de apoyo entre pares, respetaré la dignidad"
ENGLISH_ETHICS = "As a peer support specialist I will respect the dignity"

TEXTS = """slug: texts
title: Texts
certificate_prefix: EX
translations:
  es:
    texts:
      code_of_ethics: Mantendré límites claros.
      diploma: Una copia de su diploma.
      similar_lived_experience: Marque esta opción cuando compartan una experiencia vivida similar.
domains: [Advocacy]
hour_attributes:
  - key: similar_lived_experience
    label: With people who share a similar lived experience
    help: Tick this when they share a similar lived experience.
requirements:
  - kind: signature
    key: code_of_ethics
    title: Code of ethics
    text: I will keep clear boundaries.
  - kind: document
    key: diploma
    title: Diploma
    description: A copy of your diploma.
  - kind: document
    key: transcript
    title: College transcript
validity_months: 24
"""


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


# --- The file ------------------------------------------------------------------------------------------

def test_a_file_translates_a_signatures_text_a_documents_description_and_an_attributes_help(app):
    definition = parse(TEXTS)
    assert definition.translations["es"].texts["code_of_ethics"] == "Mantendré límites claros."
    assert file_texts(definition) == {"code_of_ethics": "I will keep clear boundaries.",
                                      "diploma": "A copy of your diploma.",
                                      "similar_lived_experience": "Tick this when they share a similar lived experience."}


@pytest.mark.parametrize("key", ["code_of_ethic", "transcript"])
def test_a_translated_text_must_be_under_the_key_of_a_text_the_file_writes(app, key):
    """A misspelt key, or a document without a description, would never be shown: refused at its line,
    in the words of the file's author's language."""
    bad = TEXTS.replace("      diploma: Una copia de su diploma.\n", f"      {key}: Una copia.\n")
    with pytest.raises(FileError) as error:
        parse(bad)
    [(line, path, message)] = error.value.problems
    assert path == ("translations", "es", "texts", key)
    assert bad.splitlines()[line - 1].strip() == f"{key}: Una copia."
    assert message.startswith(f"'{key}' is not the key of a text in this file")
    with app.test_request_context(headers={"Accept-Language": "es"}):
        refresh()
        with pytest.raises(FileError) as error:
            parse(bad)
        [(_line, _path, message)] = error.value.problems
        assert message.startswith(f"'{key}' no es la clave de un texto de este archivo")


def test_a_key_shared_by_an_attribute_and_a_requirement_cannot_be_translated(app):
    shared = TEXTS.replace("  - key: similar_lived_experience\n", "  - key: diploma\n") \
        .replace("      similar_lived_experience: Marque", "      unused: Marque") \
        .replace("      unused: Marque esta opción cuando compartan una experiencia vivida similar.\n", "")
    with pytest.raises(FileError) as error:
        parse(shared)
    [(_line, path, message)] = error.value.problems
    assert path == ("translations", "es", "texts", "diploma")
    assert "both an hour attribute and a requirement" in message


def test_the_shipped_files_translate_every_text_they_write(app):
    """Every credential file that ships (and every example) gives each signature text, document
    description and attribute help in Spanish."""
    seen = 0
    for path in [*ROOT.glob("*.yaml"), *ROOT.glob("examples/*.yaml")]:
        definition = parse(path.read_text())
        texts = file_texts(definition)
        seen += len(texts)
        spanish = definition.translations["es"].texts if "es" in definition.translations else {}
        assert set(texts) <= set(spanish), f"{path.name}: {sorted(set(texts) - set(spanish))}"
    assert seen >= 12


# --- Which signatures count ---------------------------------------------------------------------------

def signature(text_sha256, language):
    from types import SimpleNamespace

    return SimpleNamespace(key="code_of_ethics", status="accepted", quantity=None, occurred_on=None,
                           text_sha256=text_sha256, signed_language=language, signed_at=datetime(2026, 3, 1))


def test_a_signature_counts_for_the_text_of_the_language_it_was_signed_in(app):
    from .test_credential_rules import facts, items

    rules = compiled(TEXTS)
    english, spanish = sha("I will keep clear boundaries."), sha("Mantendré límites claros.")
    for reader in ("en", "es"):
        with app.test_request_context(headers={"Accept-Language": reader}):
            refresh()
            for signed in (signature(english, "en"), signature(spanish, "es")):
                found, _ = items(rules, facts(evidence=[signed]))
                assert found["evidence:code_of_ethics"].met, (reader, signed.signed_language)
            # The Spanish text's digest recorded as English, or the reverse, is not what was shown.
            for signed in (signature(spanish, "en"), signature(english, "es")):
                found, _ = items(rules, facts(evidence=[signed]))
                assert not found["evidence:code_of_ethics"].met, (reader, signed.signed_language)


def test_changing_the_spanish_text_asks_only_its_signers_to_sign_again(app):
    from .test_credential_rules import facts, items

    rules = compiled(TEXTS.replace("Mantendré límites claros.", "Mantendré límites claros y pediré ayuda."))
    found, _ = items(rules, facts(evidence=[signature(sha("Mantendré límites claros."), "es")]))
    assert not found["evidence:code_of_ethics"].met
    assert found["evidence:code_of_ethics"].done == "The text changed since you signed it"
    found, _ = items(rules, facts(evidence=[signature(sha("I will keep clear boundaries."), "en")]))
    assert found["evidence:code_of_ethics"].met


# --- Pages -------------------------------------------------------------------------------------------

def spanish_ethics(state):  # noqa: F811
    return state.spec.translations["es"].texts["code_of_ethics"]


def form_values(page):
    return dict(re.findall(r'<input[^>]*name="(sign-[a-z0-9_]+|csrf_token)"[^>]*value="([^"]*)"', page))


def test_a_spanish_trainee_reads_and_signs_the_spanish_text(ana, state, login_as):  # noqa: F811
    client = login_as(ana)
    page = client.get(f"/credentials/{STATE}/evidence/code_of_ethics").text
    assert SPANISH_ETHICS in page and ENGLISH_ETHICS not in page
    assert re.search(r'<div class="signed-text"[^>]*aria-label="Texto para firmar">', page)  # no lang: the page's
    values = form_values(page)
    assert values["sign-text_language"] == "es" and values["sign-text_sha256"] == sha(spanish_ethics(state))
    response = client.post(f"/credentials/{STATE}/evidence/code_of_ethics",
                           data={**values, "sign-signed_name": "Ana Alvarez"})
    assert response.status_code == 302
    [evidence] = db.session.scalars(db.select(Evidence).where(Evidence.user_id == ana.id))
    assert evidence.signed_language == "es"
    assert evidence.text_sha256 == sha(spanish_ethics(state)) != sha(state.spec.requirements[6].text)
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "evidence.signed"))
    assert event.details["language"] == "es" and event.details["text_sha256"] == evidence.text_sha256
    checklist = text_of(client.get("/certificates").text)
    assert "Código de ética" in checklist and "Lea y firme «Código de ética»." not in checklist


def test_an_english_reader_signs_the_english_text(ana, state, login_as):  # noqa: F811
    ana.locale = "en"
    db.session.commit()
    client = login_as(ana)
    page = client.get(f"/credentials/{STATE}/evidence/code_of_ethics").text
    assert ENGLISH_ETHICS in page and SPANISH_ETHICS not in page
    client.post(f"/credentials/{STATE}/evidence/code_of_ethics",
                data={**form_values(page), "sign-signed_name": "Ana Alvarez"})
    evidence = db.session.scalar(db.select(Evidence).where(Evidence.user_id == ana.id))
    assert (evidence.signed_language, evidence.text_sha256) == ("en", sha(state.spec.requirements[6].text))


def test_a_text_that_changed_while_it_was_read_is_not_signed(ana, state, login_as):  # noqa: F811
    client = login_as(ana)
    values = form_values(client.get(f"/credentials/{STATE}/evidence/code_of_ethics").text)
    values["sign-text_sha256"] = "0" * 64  # the digest of an earlier version of the text
    response = client.post(f"/credentials/{STATE}/evidence/code_of_ethics",
                           data={**values, "sign-signed_name": "Ana Alvarez"})
    assert response.status_code == 400
    assert "El texto cambió mientras lo leía" in text_of(response.text)
    assert db.session.scalar(db.select(db.func.count()).select_from(Evidence)) == 0
    # The page shows the current text again, and signing it now works.
    values = form_values(response.text)
    assert values["sign-text_sha256"] == sha(spanish_ethics(state))
    assert client.post(f"/credentials/{STATE}/evidence/code_of_ethics",
                       data={**values, "sign-signed_name": "Ana Alvarez"}).status_code == 302


def test_an_english_signature_given_before_translations_still_counts(ana, state, login_as, people):  # noqa: F811
    """Rows from before the language was recorded are English, and stay met for a Spanish reader."""
    db.session.add(Evidence(user_id=ana.id, key="code_of_ethics", title="Code of ethics", status="accepted",
                            signed_name="Ana Alvarez", text_sha256=sha(state.spec.requirements[6].text),
                            signed_at=datetime(2026, 3, 1, tzinfo=UTC)))
    db.session.commit()
    assert db.session.scalar(db.select(Evidence.signed_language)) == "en"
    client = login_as(ana)
    checklist = text_of(client.get("/certificates").text)
    assert "Lea y firme «Código de ética»." not in checklist and "Firmado el" in checklist
    page = client.get(f"/credentials/{STATE}/evidence/code_of_ethics").text
    assert "firmado como Ana Alvarez (el texto en inglés)" in text_of(page)
    admin = text_of(login_as(people["admin"]).get(f"/admin/people/{ana.id}/credentials").text)
    assert "signed as Ana Alvarez" in admin and "(the text in" not in admin


def test_an_administrator_sees_which_language_was_signed(ana, people, login_as):  # noqa: F811
    from training.credentials.services import sign

    with login_as(ana).application.test_request_context(headers={"Accept-Language": "es"}):
        refresh()
        sign(ana, ana_state(), "code_of_ethics", "Ana Alvarez")
    admin = text_of(login_as(people["admin"]).get(f"/admin/people/{ana.id}/credentials").text)
    assert "signed as Ana Alvarez (the text in Spanish)" in admin


def ana_state():
    return db.session.scalar(db.select(Credential).where(Credential.slug == STATE))


def test_a_documents_description_is_in_spanish_on_its_evidence_page(ana, login_as):  # noqa: F811
    text = text_of(login_as(ana).get(f"/credentials/{STATE}/evidence/background_check").text)
    assert "El programa solicita la verificación y registra su resultado." in text
    assert "The programme requests the check" not in text


def test_an_untranslated_description_is_shown_as_english(ana, state, login_as):  # noqa: F811
    definition = dict(state.definition)
    definition["translations"] = {"es": {**definition["translations"]["es"], "texts": {}}}
    state.definition = definition
    db.session.commit()
    page = login_as(ana).get(f"/credentials/{STATE}/evidence/background_check").text
    assert '<p lang="en">The programme requests the check and records its result.</p>' in page


def test_the_hour_form_shows_each_attributes_help_in_spanish(ana, people, login_as):  # noqa: F811
    from training.credentials.services import enrol

    definition = parse((ROOT / "examples" / "work-hours.yaml").read_text())
    credential = Credential(slug=definition.slug, title=definition.title, certificate_prefix="EX",
                            domains=list(definition.domains), definition=definition.model_dump(mode="json"),
                            validity_months=24)
    db.session.add(credential)
    db.session.commit()
    enrol(people["admin"], ana, credential, date.today() - timedelta(days=5))
    client = login_as(ana)
    page = client.get("/hours/new?kind=service").text
    hint = re.search(r'<input[^>]*aria-describedby="(attributes-\d+-hint)"[^>]*value="similar_lived_experience"'
                     r'|<input[^>]*value="similar_lived_experience"[^>]*aria-describedby="(attributes-\d+-hint)"', page)
    assert hint, page
    ident = hint.group(1) or hint.group(2)
    assert re.search(rf'id="{ident}">Marque esta opción cuando las personas a las que apoyó compartan', page)
    assert "Tick this when the people you supported" not in page
    ana.locale = "en"
    db.session.commit()
    page = client.get("/hours/new?kind=service").text
    assert "Tick this when the people you supported share a lived experience" in page
    # Training entries are not asked about these attributes, so their help is not shown either.
    assert "Tick this" not in client.get("/hours/new?kind=training").text
