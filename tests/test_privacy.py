"""Notes and supervisors' comments never identify the people a trainee supports.

Each shape that once slipped through is caught with a message that says what was found;
ordinary notes about work and supervision pass untouched.
"""
from datetime import date

import pytest

from training.extensions import db
from training.supervision.models import HourEntry
from training.supervision.privacy import find_identifiers, identifier_message

IDENTIFYING = [
    # The shapes found by the probe.
    ("Client's email is maria at gmail dot com", "an e-mail address"),
    ("reach him on jsmith [at] yahoo [dot] com", "an e-mail address"),
    ("date of birth: April 3rd, 1988", "a date of birth"),
    ("Client's birthday is 4/3/88", "a date of birth"),
    ("Medicaid ID 123456789A", "a record or case number"),
    ("Met with client John Smith", "a name"),
    ("Client Maria Garcia, 34, discussed housing", "a name"),
    ("Jane Doe (client) called twice", "a name"),
    ("She lives at 42 Maple Street, Springfield, IL 62704", "a street address"),
    ("Her number is five five five one two three four", "a phone number"),
    # Their neighbours.
    ("jo.client@example.com", "an e-mail address"),
    ("DOB 04/05/1988", "a date of birth"),
    ("born on 3 March 1979", "a date of birth"),
    ("birthdate 1990-02-14", "a date of birth"),
    ("MRN 4412345", "a record or case number"),
    ("patient ID: 99812", "a record or case number"),
    ("SSN 123-45-6789", "a record or case number"),
    ("Met with client John today", "a name"),
    ("Met client named Carlos Ruiz", "a name"),
    ("participant Ana Lopez", "a name"),
    ("Called Tom Baker - client - about relapse", "a name"),
    ("Spoke to Mrs. Garcia about her son", "a name"),
    ("lives at 12 Oak Rd, London SW1A 1AA", "a street address"),
    ("call 555-123-4567", "a phone number"),
    ("(555) 123-4567", "a phone number"),
    # As Spanish notes write them.
    ("Hablé con la participante María López sobre su vivienda", "a name"),
    ("usuaria llamada Rosa", "a name"),
    ("paciente Ángel Núñez", "a name"),
    ("Hablé con la Sra. Pérez", "a name"),
    ("su correo es ana punto lopez arroba gmail punto com", "an e-mail address"),
    ("nació el 3 de marzo de 1980", "a date of birth"),
    ("cumpleaños: 14 de febrero de 1975", "a date of birth"),
    ("expediente nº 4567-22", "a record or case number"),
    ("vive en Calle Mayor 12", "a street address"),
    ("vive en Av. de la Reforma 222", "a street address"),
    ("C/ Luna, 5", "a street address"),
    ("Su teléfono es seis uno dos tres cuatro cinco seis siete ocho", "a phone number"),
    # Feminine forms of the words for the people supported.
    ("Hablé con la clienta Marta Ruiz sobre su vivienda", "a name"),
    ("Marta Ruiz (clienta) llamó dos veces", "a name"),
    ("las clientas Rosa y Elena", "a name"),
    ("clienta nº 4567-22", "a record or case number"),
]

ORDINARY = [
    "Met with client to discuss goals and next steps.",
    "Client shared progress on step work; 90 days sober today.",
    "Group session at 10am with 6 participants at the Recovery Cafe.",
    "Discussed the client's housing application and a referral to Narcotics Anonymous.",
    "Supervision covered boundaries, self-care and Monday's team meeting.",
    "Used Motivational Interviewing with client A; follow up in two weeks.",
    "Client Monday check-in went well.",
    "Walked 3 blocks down the street with the client to the pharmacy.",
    "Attended SMART Recovery meeting; one or two people shared.",
    "Reviewed the Recovery Capital Scale with participant B.",
    "Client reported feeling better after 2 sessions this week.",
    "Celebrated a birthday party with the group; she turned a corner this month.",
    "Helped client complete the intake form at 2:30 pm.",
    "Shift from 9 to 5 at the drop-in centre on 12 March 2026.",
    "Talked about World Health Organization guidance on peer support.",
    "Client B and client C attended the WRAP workshop.",
    "Covered 12 steps, 4 domains and 3 goals.",
    "Our team at St Mary's Hospital ran the session.",
    "Met at the office on Main Street for supervision.",
    "Client Advocacy work with the housing team.",
    "Session on the Peer Support Code of Ethics; agreed on a safety plan.",
    "Client, Tuesday: discussed triggers.",
    "At 3 pm, client said the week was hard.",
    "Phone call with client about one thing: staying well.",
    "Read chapter 4 of the Peer Recovery Workbook.",
    "Sesión grupal sobre planes de recuperación con tres participantes.",
    "Acompañé a la participante A a su cita el lunes.",
    "Trabajamos en la calle con personas sin hogar.",
    "Taller en la Calle Mayor sobre derechos.",
    "El participante habló de su recuperación.",
    "Reunión de equipo en el Centro de Salud San José.",
    "Turno de 9 a 17 en el centro de día el 12 de marzo de 2026.",
    "Participantes B y C asistieron al taller WRAP.",
    "Sesión en la Plaza de la Constitución con el grupo.",
    "Participante, martes: hablamos de desencadenantes.",
    "Lectura de la Guía de Apoyo entre Pares, página 12.",
    "Caminamos 3 cuadras por la Avenida con el participante.",
    "Acompañé a la clienta B a su cita; la clienta habló de sus metas.",
]


@pytest.mark.parametrize("note, kind", IDENTIFYING)
def test_identifying_notes_are_caught_and_named(note, kind):
    assert kind in find_identifiers(note)


@pytest.mark.parametrize("note", ORDINARY)
def test_ordinary_notes_pass(note):
    assert find_identifiers(note) == []


def test_the_message_says_what_was_found_and_what_is_fine(app):
    message = identifier_message("Met with client John Smith, call 555-123-4567")
    assert message.startswith("This looks like it contains a name and a phone number.")
    assert "client A" in message
    assert identifier_message("Met with client A about goals.") is None


def test_the_message_lists_three_kinds_found_as_a_sentence_would(app):
    message = identifier_message("Met with client John Smith, jsmith@example.org, call 555-123-4567")
    assert message.startswith("This looks like it contains a name, an e-mail address, and a phone number.")


def test_the_message_lists_the_kinds_found_in_spanish(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("es"):
        message = identifier_message("Hablé con la clienta Marta Ruiz, marta@example.org, tel. 612 345 678")
    assert "contiene un nombre, una dirección de correo electrónico y un número de teléfono." in message


@pytest.mark.parametrize("note", ["expediente 12345678", "case 12345678", "MRN 44123456", "clienta nº 12345678"])
def test_an_eight_digit_record_number_is_not_also_called_a_phone_number(note):
    assert find_identifiers(note) == ["a record or case number"]


def test_a_phone_number_beside_a_record_number_is_still_found():
    assert find_identifiers("case 12345678, call 555-123-4567") == ["a record or case number", "a phone number"]


@pytest.mark.parametrize("note, kind", IDENTIFYING[:10])
def test_a_trainee_note_with_an_identifier_is_refused_next_to_the_field(team, login_as, note, kind):
    response = login_as(team["trainee"]).post("/hours/new", data={
        "kind": "service", "occurred_on": date.today().isoformat(), "hours": "1", "domain": "Advocacy",
        "note": note})
    assert response.status_code == 400
    assert f"This looks like it contains {kind}" in response.text.replace("&#39;", "'")
    assert 'id="note-error"' in response.text
    assert db.session.scalar(db.select(db.func.count()).select_from(HourEntry)) == 0


def test_a_supervisors_comment_with_an_identifier_is_refused(team, login_as):
    entry = HourEntry(trainee_id=team["trainee"].id, supervisor_id=team["supervisor"].id, kind="service",
                      occurred_on=date.today(), minutes=60, domain="Advocacy")
    db.session.add(entry)
    db.session.commit()
    response = login_as(team["supervisor"]).post("/supervision/review", data={
        "entry": [entry.id], "decision": "return", "comment": "Please remove Jane Doe (client) from the note"})
    assert response.status_code == 400 and "This looks like it contains a name" in response.text
    assert f'id="comment-{entry.id}-error"' in response.text
    assert f'href="#comment-{entry.id}"' in response.text  # the error summary leads to the row
    assert db.session.get(HourEntry, entry.id).status == "pending"


def test_supervision_topics_with_an_identifier_are_refused(team, login_as):
    response = login_as(team["supervisor"]).post("/supervision/sessions/new", data={
        "format": "individual", "occurred_on": date.today().isoformat(), "hours": "1", "domain": "Advocacy",
        "topics": "Talked through the visit to client Maria Garcia", "trainees": [team["trainee"].id],
        "signed_name": "Sue Supervisor"})
    assert response.status_code == 400 and "This looks like it contains a name" in response.text
    assert db.session.scalar(db.select(db.func.count()).select_from(HourEntry)) == 0


def test_ordinary_notes_and_comments_are_saved(team, login_as):
    trainee, supervisor = login_as(team["trainee"]), login_as(team["supervisor"])
    for note in ORDINARY[:3]:
        response = trainee.post("/hours/new", data={"kind": "service", "occurred_on": date.today().isoformat(),
                                                    "hours": "1", "domain": "Advocacy", "note": note})
        assert response.status_code == 302
    entries = db.session.scalars(db.select(HourEntry)).all()
    response = supervisor.post("/supervision/review", data={
        "entry": [e.id for e in entries], "decision": "return", "comment": ORDINARY[5]})
    assert response.status_code == 302
    assert {e.status for e in db.session.scalars(db.select(HourEntry))} == {"returned"}
