"""Hours, supervision, wellbeing and the verification report in the reader's language.

A page of this area shown in Spanish contains its Spanish and none of the English texts its
template marks for translation; the verification report prints in the candidate's language
whoever asks for it; burnout signs, chart labels and dates follow the page's language.
"""
import csv
import html
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from babel.dates import format_date
from babel.messages.extract import extract_from_file
from pypdf import PdfReader

from training.auth.models import SupervisorAssignment
from training.extensions import db
from training.supervision.models import HourEntry, WellbeingCheckIn

ROOT = Path(__file__).resolve().parent.parent
TODAY = date.today()
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "lazy_ngettext": (1, 2)}


def english_texts(*templates):
    """The whole sentences and phrases the templates mark, as English readers see them.

    Texts with placeholders or markup are left out (their fixed parts are too short to search
    for alone), and so are one-word labels that Spanish writes the same way ("Total").
    """
    found = set()
    for name in templates:
        for _line, message, _comments, _context in extract_from_file(
                "jinja2", ROOT / "templates" / "supervision" / name, keywords=KEYWORDS,
                options={"extensions": "jinja2.ext.do"}):
            for text in (message,) if isinstance(message, str) else message:
                if " " in text.strip() and "%(" not in text and "<" not in text:
                    found.add(text)
    return found


def visible(page):
    """The page's text and attribute values, unescaped, as a person or a screen reader meets them."""
    return html.unescape(page)


# The start of texts other pages include and translate themselves: the credential checklist's
# "Final exam: <course>" on the progress page.
ELSEWHERE = {"Final exam"}


def assert_spanish(page, *templates):
    text = visible(page)
    assert '<html lang="es">' in page
    left = sorted(t for t in english_texts(*templates) - ELSEWHERE if t in text)
    assert not left, f"English left on a Spanish page: {left}"


@pytest.fixture
def team(app, make_user, credentials):
    """Ana (a trainee who reads Spanish), supervised by Sofía (who reads Spanish too) for 60 days."""
    ana = make_user("ana@example.org", name="Ana Alvarez", locale="es", legal_name="Ana María Alvarez")
    sofia = make_user("sofia@example.org", roles=("supervisor",), name="Sofia Suarez", locale="es")
    ed = make_user("ed@example.org", roles=("supervisor",), name="Ed English")
    for supervisor in (sofia, ed):
        db.session.add(SupervisorAssignment(supervisor=supervisor, trainee=ana, starts_on=TODAY - timedelta(days=60)))
    db.session.commit()
    return {"ana": ana, "sofia": sofia, "ed": ed}


def entry(trainee, supervisor, kind="service", minutes=180, days_ago=3, status="approved", **extra):
    row = HourEntry(trainee_id=trainee.id, supervisor_id=supervisor.id, kind=kind, minutes=minutes,
                    occurred_on=TODAY - timedelta(days=days_ago), domain="Advocacy", status=status,
                    organisation=extra.pop("organisation", "Riverside Centre"),
                    signed_name=supervisor.full_name if status == "approved" else None,
                    signature_hash=f"{days_ago:04d}" * 16 if status == "approved" else None, **extra)
    db.session.add(row)
    db.session.commit()
    return row


def test_the_hours_page_is_in_spanish_for_a_spanish_speaking_trainee(team, login_as):
    entry(team["ana"], team["sofia"], days_ago=2)
    entry(team["ana"], team["sofia"], kind="supervision", minutes=60, days_ago=4, supervision_format="group",
          organisation="")
    entry(team["ana"], team["sofia"], days_ago=5, status="pending")
    page = login_as(team["ana"]).get("/hours", headers={"Accept-Language": "en"}).text
    assert_spanish(page, "hours.html")
    for spanish in ("Sus horas", "Registrar horas", "Trabajo de apoyo entre pares", "Supervisión recibida (grupal)",
                    "En espera de aprobación", "Firmado por Sofia Suarez", "3 registros",
                    format_date(TODAY - timedelta(days=2), "long", locale="es"), "Defensa de derechos"):
        assert spanish in visible(page), spanish
    assert ">Advocacy<" not in page  # the domain as the credential's file names it in Spanish
    # The filters' labels and choices come from the form, in Spanish too.
    assert "Cualquier tipo" in page and ">Desde</label>" in page


def test_an_invalid_entry_is_refused_in_spanish(team, login_as):
    client = login_as(team["ana"])
    form = client.get("/hours/new").text
    assert_spanish(form, "entry_form.html")
    assert "¿Qué tipo de horas?" in form and "Enviar para aprobación" in form
    assert re.search(r'<option[^>]*value="Advocacy"[^>]*>Defensa de derechos</option>', form)  # stored as written
    response = client.post("/hours/new", data={
        "kind": "service", "occurred_on": (TODAY + timedelta(days=1)).isoformat(), "hours": "3", "domain": "Advocacy"})
    assert response.status_code == 400 and "La fecha no puede ser futura." in response.text
    response = client.post("/hours/new", data={
        "kind": "service", "occurred_on": TODAY.isoformat(), "hours": "3", "domain": "Advocacy",
        "note": "Met client John Smith at the centre"})
    assert response.status_code == 400 and "Parece que esto contiene un nombre." in visible(response.text)
    for note, kind in (("Hablé con la participante María López sobre su vivienda", "un nombre"),
                       ("su correo es ana punto lopez arroba gmail punto com", "una dirección de correo")):
        response = client.post("/hours/new", data={
            "kind": "service", "occurred_on": TODAY.isoformat(), "hours": "3", "domain": "Advocacy", "note": note})
        assert response.status_code == 400 and f"Parece que esto contiene {kind}" in visible(response.text), note
    assert not db.session.scalar(db.select(HourEntry).where(HourEntry.trainee_id == team["ana"].id))


def test_a_spanish_speaking_trainee_writes_hours_with_a_decimal_comma(team, login_as):
    client = login_as(team["ana"])
    form = client.get("/hours/new").text
    assert "0,25; 0,5; 0,75; 1; 1,25" in form  # the hint writes numbers as the error messages do
    response = client.post("/hours/new", data={"kind": "service", "occurred_on": TODAY.isoformat(), "hours": "1,5",
                                               "domain": "Advocacy", "organisation": "Centro"})
    assert response.status_code == 302
    assert db.session.scalar(db.select(HourEntry.minutes).where(HourEntry.trainee_id == team["ana"].id)) == 90
    refused = client.post("/hours/new", data={"kind": "service", "occurred_on": TODAY.isoformat(), "hours": "1,1",
                                              "domain": "Advocacy"})
    assert refused.status_code == 400 and "por ejemplo 1,25 o 2,5" in refused.text


def test_the_review_queue_is_in_spanish_with_its_problems_and_its_message(team, login_as):
    first = entry(team["ana"], team["sofia"], days_ago=2, status="pending")
    second = entry(team["ana"], team["sofia"], minutes=90, days_ago=3, status="pending")
    client = login_as(team["sofia"])
    page = client.get("/supervision/review").text
    assert_spanish(page, "review.html")
    for spanish in ("Revisar horas", "Aprobar", "Devolver", "Más tarde", "2 registros", "Guardar estas decisiones",
                    "Su nombre completo, como firma", "Defensa de derechos"):
        assert spanish in page, spanish
    refused = client.post("/supervision/review", data={f"decision-{second.id}": "return",
                                                       f"comment-{second.id}": ""}).text
    assert "No se guardó nada: hay 1 problema que corregir" in refused
    assert "indique qué debe cambiar para que el participante pueda corregirlo." in refused
    done = client.post("/supervision/review", data={
        f"decision-{first.id}": "approve", f"decision-{second.id}": "return",
        f"comment-{second.id}": "Divida esto en dos días.", "signed_name": "Sofia Suarez"}, follow_redirects=True)
    assert "1 registro aprobado y firmado, 1 devuelto." in done.text


def test_supervisees_and_their_burnout_signs_are_in_the_supervisors_language(team, login_as):
    entry(team["ana"], team["sofia"], kind="supervision", minutes=60, days_ago=20, supervision_format="individual")
    spanish = login_as(team["sofia"]).get("/supervision").text
    assert_spanish(spanish, "supervisees.html", "_supervisee_list.html", "_flags.html")
    assert "No hay supervisión registrada desde hace 20 días" in spanish
    assert "Requiere atención" in spanish or "En riesgo" in spanish
    # The same sign, read by Ed, who reads English.
    english = login_as(team["ed"]).get("/supervision").text
    assert "No supervision logged for 20 days" in english and "No hay supervisión" not in english


def test_the_progress_page_charts_speak_spanish_with_babels_month_names(team, login_as):
    entry(team["ana"], team["sofia"], days_ago=10)
    page = login_as(team["ana"]).get("/progress").text
    assert_spanish(page, "progress.html", "_flags.html")
    assert "Horas aprobadas por semana, últimas 26 semanas" in page and "Hours per week" not in page
    # The axis dates are Babel's abbreviations for Spanish ("3 ago"), never strftime's English ("03 Aug").
    ticks = re.findall(r'font-size="11" fill="#4f5d6b">(\d{1,2} [^<\d]+)</text>', page)
    assert ticks
    spanish_months = {format_date(date(2026, month, 1), "MMM", locale="es") for month in range(1, 13)}
    assert all(tick.split(" ", 1)[1] in spanish_months for tick in ticks), ticks


def test_the_wellbeing_check_in_is_in_spanish(team, login_as):
    ana = team["ana"]
    for days_ago, value in ((3, 4), (2, 3), (1, 2)):
        db.session.add(WellbeingCheckIn(user_id=ana.id, day=TODAY - timedelta(days=days_ago), energy=value,
                                        stress=6 - value, workload=3, supported=value, rest=value))
    db.session.commit()
    page = login_as(ana).get("/wellbeing").text
    assert_spanish(page, "wellbeing.html")
    for spanish in ("¿Cuánta energía ha tenido hoy?", "1 = Muy poca, 5 = Mucha", "Guardar el registro de hoy",
                    "Su puntuación de bienestar a lo largo del tiempo"):
        assert spanish in visible(page), spanish


def report_text(client, trainee):
    response = client.get(f"/supervisees/{trainee.id}/report.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)


def test_the_verification_report_prints_in_the_candidates_language_whoever_asks(team, login_as):
    entry(team["ana"], team["ed"], days_ago=12)
    entry(team["ana"], team["ed"], kind="supervision", minutes=60, days_ago=9, supervision_format="individual")
    client = login_as(team["ed"])  # Ed reads English; Ana, the candidate, Spanish
    text = report_text(client, team["ana"])
    flat = " ".join(text.split())
    for spanish in ("Informe de verificación de la supervisión", "Nombre legal", "Frecuencia de la supervisión",
                    "Registros firmados", "Declaro que Ana María Alvarez", "Página 1 de",
                    "Supervisión recibida (individual)",
                    format_date(TODAY - timedelta(days=12), "d MMM y", locale="es"),
                    "generado el " + format_date(TODAY, "long", locale="es")):
        assert spanish in flat, spanish
    left = sorted(t for t in english_texts("report_pdf.html") if " ".join(t.split()) in flat)
    assert not left, f"English left in a Spanish report: {left}"
    # Ed gave no professional details: said in words that agree with "Credencial" and "Teléfono" alike.
    assert "sin indicar" in flat and "no indicado" not in flat
    # The page Ed reads next is still in his language, and says which language the report is in.
    page = client.get(f"/supervisees/{team['ana'].id}").text
    assert "Supervision verification report" in page
    assert "The report is written in Spanish, the language Ana Alvarez uses on the platform" in page


def test_the_reports_average_is_written_as_the_candidates_language_writes_numbers(team, login_as, make_user):
    """Three days of supervision over two months: 1,5 days a month in Spanish, 1.5 in English."""
    for days_ago in (60, 20, 0):
        entry(team["ana"], team["ed"], kind="supervision", minutes=60, days_ago=days_ago,
              supervision_format="individual")
    flat = " ".join(report_text(login_as(team["ed"]), team["ana"]).split())
    assert re.search(r"(?<![\d.,])1,5 ?días al mes en promedio", flat), flat
    assert "1.5" not in flat
    bob = make_user("bob@example.org", name="Bob Baker")
    db.session.add(SupervisorAssignment(supervisor=team["ed"], trainee=bob, starts_on=TODAY - timedelta(days=60)))
    db.session.commit()
    entry(bob, team["ed"], kind="supervision", minutes=60, days_ago=3, supervision_format="individual")
    flat = " ".join(report_text(login_as(team["ed"]), bob).split())
    assert re.search(r"(?<![\d.,])1 ?days a month on average", flat), flat


def test_an_english_speaking_candidates_report_stays_in_english_for_a_spanish_speaking_supervisor(
        team, login_as, make_user):
    bob = make_user("bob@example.org", name="Bob Baker")
    db.session.add(SupervisorAssignment(supervisor=team["sofia"], trainee=bob, starts_on=TODAY - timedelta(days=30)))
    db.session.commit()
    entry(bob, team["sofia"], days_ago=4)
    flat = " ".join(report_text(login_as(team["sofia"]), bob).split())
    assert "Supervision verification report" in flat and "Page 1 of" in flat
    assert "Informe de verificación" not in flat


def test_the_approved_hours_csv_has_spanish_headers_for_a_spanish_reader(team, login_as):
    entry(team["ana"], team["sofia"], days_ago=2)
    body = login_as(team["ana"]).get("/hours/export.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:5] == ["Fecha", "Tipo", "Modalidad de supervisión", "Área", "Horas"]
    assert rows[1][1] == "Trabajo de apoyo entre pares" and rows[1][3] == "Defensa de derechos"
