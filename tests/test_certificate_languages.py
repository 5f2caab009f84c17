"""Credentials and certificates in English and Spanish: the holder's language on paper, the visitor's on screen."""
import io

import pytest
from pypdf import PdfReader

from training.certificates.render import render_pdf
from training.certificates.services import issue, pdf_context
from training.credentials.schema import FileError, parse
from training.extensions import db
from training.i18n import for_user

from .test_certificates import credential, make_eligible  # noqa: F401  (fixture)

SPANISH_TITLE = "Especialista de apoyo entre pares para la recuperación"


def pdf_text(data):
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def spanish_holder(people, course, credential):  # noqa: F811
    trainee = people["trainee"]
    trainee.locale = "es"
    db.session.commit()
    make_eligible(trainee, course)
    return trainee


def test_a_spanish_holders_certificate_is_printed_in_spanish_whoever_issues_it(app, spanish_holder,
                                                                               credential, people):  # noqa: F811
    with app.test_request_context(headers={"Accept-Language": "en"}):  # an English-speaking administrator
        certificate, created = issue(spanish_holder, credential, actor=people["admin"])
    assert created and certificate.locale == "es"
    text = pdf_text(certificate.pdf)
    assert SPANISH_TITLE in text
    assert "Este certificado acredita que" in text
    shouted = text.upper()  # the design sets labels in capitals
    assert "HORAS COMPLETADAS Y VERIFICADAS" in shouted and "CAPACITACIÓN · DEFENSA DE DERECHOS" in shouted
    assert "TRABAJO DE APOYO ENTRE PARES SUPERVISADO" in shouted and "VÁLIDO HASTA" in shouted
    issued = certificate.issued_on
    months = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
              "octubre", "noviembre", "diciembre"]
    assert f"{issued.day} de {months[issued.month - 1]} de {issued.year}" in text
    assert "This certifies that" not in text and "Peer Recovery Specialist" not in text
    # Frozen at issue: the English title stays the record's, the Spanish words travel with it.
    assert certificate.credential_title == "Peer Recovery Specialist"
    assert certificate.title_in("es") == SPANISH_TITLE


def test_an_english_holders_certificate_is_printed_in_english(app, ready, credential, people):  # noqa: F811
    with app.test_request_context(headers={"Accept-Language": "es"}):  # a Spanish-speaking administrator
        certificate, _ = issue(ready, credential, actor=people["admin"])
    text = pdf_text(certificate.pdf)
    assert certificate.locale == "en"
    assert "This certifies that" in text and "Peer Recovery Specialist" in text and SPANISH_TITLE not in text


def test_a_bilingual_design_prints_the_title_in_both_languages(app, spanish_holder, credential, people):  # noqa: F811
    certificate, _ = issue(spanish_holder, credential, actor=people["admin"])
    certificate.design = "modern"  # its metadata says bilingual: true
    with for_user(spanish_holder):
        text = pdf_text(render_pdf("modern", pdf_context(certificate)))
    assert SPANISH_TITLE in text and "Peer Recovery Specialist" in text
    assert "CERTIFICADO DE CREDENCIAL" in text.upper()
    db.session.rollback()


@pytest.fixture
def ready(people, course):
    make_eligible(people["trainee"], course)
    return people["trainee"]


def test_the_verify_page_speaks_the_visitors_language(app, client, ready, credential, people):  # noqa: F811
    certificate, _ = issue(ready, credential, actor=people["admin"])
    spanish = client.get(f"/verify/{certificate.grouped_code}", headers={"Accept-Language": "es"})
    assert '<html lang="es">' in spanish.text
    assert "Certificado válido" in spanish.text and f"<h1 id=\"details-heading\">{SPANISH_TITLE}</h1>" in spanish.text
    assert "Capacitación: Defensa de derechos" in spanish.text
    assert "Accept-Language" in spanish.headers["Vary"]
    english = client.get(f"/verify/{certificate.grouped_code}", headers={"Accept-Language": "en"})
    assert "Valid certificate" in english.text and "<h1 id=\"details-heading\">Peer Recovery Specialist</h1>" in english.text


CREDENTIAL = """
slug: bilingual
title: Bilingual
certificate_prefix: BIL
domains: [Advocacy]
validity_months: 12
requirements:
  - kind: training_hours
    total: 10
translations:
  {language}:
    title: Bilingüe
    domains:
      {domain}: Defensa
"""


def test_credential_translations_are_checked_like_the_rest_of_the_file():
    definition = parse(CREDENTIAL.format(language="es", domain="Advocacy"))
    assert definition.translations["es"].title == "Bilingüe"
    with pytest.raises(FileError, match="'fr' is not a language credentials are translated into \\(use one of: es\\)"):
        parse(CREDENTIAL.format(language="fr", domain="Advocacy"))
    with pytest.raises(FileError, match="'Mentoring' is not one of this credential's domains"):
        parse(CREDENTIAL.format(language="es", domain="Mentoring"))
