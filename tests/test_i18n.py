"""English and Spanish: which language a page is in, the picker, formats and the catalogue."""
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask import render_template_string, session
from flask_babel import refresh

from training import create_app
from training.auth.models import User
from training.extensions import db
from training.i18n import for_user
from training.templating import format_date, format_datetime, format_hours

ROOT = Path(__file__).resolve().parent.parent
SPANISH_PO = ROOT / "training" / "translations" / "es" / "LC_MESSAGES" / "messages.po"


def html_lang(page):
    return re.search(r'<html lang="([a-z]{2})">', page).group(1)


# --- Which language a page is shown in ---------------------------------------------------------

def test_a_visitor_gets_the_site_default_when_the_browser_asks_for_nothing_known(client):
    assert html_lang(client.get("/login").text) == "en"
    assert html_lang(client.get("/login", headers={"Accept-Language": "fr, de;q=0.5"}).text) == "en"


@pytest.mark.config(DEFAULT_LOCALE="es")
def test_the_site_default_is_a_setting(client):
    page = client.get("/login", headers={"Accept-Language": "fr"}).text
    assert html_lang(page) == "es" and "Idioma" in page


def test_the_browsers_language_comes_before_the_site_default(client):
    page = client.get("/login", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}).text
    assert html_lang(page) == "es"
    assert "Ir al contenido principal" in page


def test_a_visitors_choice_comes_before_the_browsers_language(client):
    response = client.post("/language", data={"locale": "es", "next": "/password/forgot"})
    assert response.status_code == 302 and response.location == "/password/forgot"
    page = client.get("/password/forgot", headers={"Accept-Language": "en"}).text
    assert html_lang(page) == "es"


def test_changing_language_on_a_form_shown_again_with_its_errors_goes_to_a_page_that_can_be_shown(
        people, login_as):
    """A form shown again with an error is at the address it was sent to, which takes forms only:
    the picker returns to the nearest page above it, not to a 405."""
    admin = login_as(people["admin"])
    trainee = people["trainee"].id
    refused = admin.post(f"/admin/people/{trainee}/assignments", data={"supervisor_id": ""})
    assert refused.status_code == 400 and f'name="next" value="/admin/people/{trainee}/assignments"' in refused.text
    response = admin.post("/language", data={"locale": "es", "next": f"/admin/people/{trainee}/assignments"})
    assert response.status_code == 302 and response.location == f"/admin/people/{trainee}"
    assert admin.get(response.location).status_code == 200
    kept = admin.post("/language", data={"locale": "en", "next": "/admin/people?role=trainee"})
    assert kept.location == "/admin/people?role=trainee"  # a page that can be shown, as it was


def test_the_persons_setting_comes_before_everything_else(client, make_user, login_as):
    ana = make_user("ana@example.org", locale="es")
    signed_in = login_as(ana)
    signed_in.post("/language", data={"locale": "en", "next": "/account"})  # sets the session too
    db.session.get(User, ana.id).locale = "es"  # changed elsewhere (another device)
    db.session.commit()
    page = signed_in.get("/account", headers={"Accept-Language": "en"}).text
    assert html_lang(page) == "es" and "Su cuenta" in page


def test_a_person_without_a_setting_follows_their_browser(make_user, login_as):
    client = login_as(make_user("ben@example.org"))
    assert html_lang(client.get("/account", headers={"Accept-Language": "es"}).text) == "es"
    assert html_lang(client.get("/account", headers={"Accept-Language": "en-US"}).text) == "en"


def test_an_unknown_default_language_stops_the_start():
    with pytest.raises(RuntimeError, match="DEFAULT_LOCALE must be one of en, es"):
        create_app({"DEFAULT_LOCALE": "fr"})


# --- The picker ----------------------------------------------------------------------------------

def test_the_picker_is_in_the_header_of_every_page_and_returns_to_it(client, people, login_as):
    page = client.get("/login").text
    assert 'action="/language"' in page and 'name="next" value="/login"' in page
    assert '<option value="es" lang="es">Español</option>' in page
    signed_in = login_as(people["trainee"])
    page = signed_in.get("/courses/?x=1").text
    assert 'name="next" value="/courses/?x=1"' in page


def test_choosing_a_language_when_signed_in_saves_it_on_the_account(people, login_as):
    client = login_as(people["trainee"])
    account = client.get("/account").text
    assert account.count('action="/language"') == 2  # the header's and the account page's
    response = client.post("/language", data={"locale": "es", "next": "/account"}, follow_redirects=True)
    assert html_lang(response.text) == "es"
    assert "Las páginas ahora se muestran en español." in response.text
    assert db.session.get(User, people["trainee"].id).locale == "es"
    # Another device, another browser: still Spanish.
    other = login_as(people["trainee"])
    assert html_lang(other.get("/dashboard", headers={"Accept-Language": "en"}).text) == "es"


def test_an_unknown_language_is_refused_with_a_message_and_nothing_saved(people, login_as):
    client = login_as(people["trainee"])
    response = client.post("/language", data={"locale": "xx", "next": "/account"}, follow_redirects=True)
    assert response.status_code == 200
    assert "Please choose one of the languages offered: English, Español." in response.text
    assert db.session.get(User, people["trainee"].id).locale is None


def test_the_picker_never_sends_anyone_to_another_site(client):
    response = client.post("/language", data={"locale": "es", "next": "//evil.example.org/x"})
    assert response.status_code == 302 and response.location == "/"


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_the_picker_needs_its_csrf_token(client):
    assert client.post("/language", data={"locale": "es", "next": "/login"}).status_code == 400
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/language", data={"locale": "es", "next": "/login", "csrf_token": token})
    assert response.status_code == 302


# --- Dates, numbers, and documents in a person's language --------------------------------------

def test_dates_and_hours_are_written_the_way_each_language_writes_them(app):
    day, moment = date(2026, 10, 5), datetime(2026, 10, 5, 14, 30)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        refresh()
        assert (format_date(day), format_datetime(moment)) == ("5 October 2026", "5 October 2026, 14:30 UTC")
        assert (format_hours(90), format_hours(600), format_hours(None)) == ("1.5 h", "10 h", "0 h")
    with app.test_request_context(headers={"Accept-Language": "es"}):
        refresh()  # the test's app context outlives each request's
        assert format_date(day) == "5 de octubre de 2026"
        assert format_datetime(moment) == "5 de octubre de 2026, 14:30 UTC"
        assert (format_hours(90), format_hours(25), format_hours(600)) == ("1,5 h", "0,42 h", "10 h")


@pytest.mark.config(TIMEZONE="America/New_York")
def test_a_moment_is_shown_on_the_programmes_clock_with_its_zone_named(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        refresh()
        assert format_datetime(datetime(2026, 10, 5, 14, 30)) == "5 October 2026, 10:30 EDT"
        assert format_datetime(datetime(2026, 12, 1, 3, 0, tzinfo=UTC)) == "30 November 2026, 22:00 EST"


def test_for_user_writes_in_the_persons_language_whatever_the_request(app, make_user):
    ana, ben = make_user("ana@example.org", locale="es"), make_user("ben@example.org")
    template = "{{ _('Language') }} {{ day|date }}"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with for_user(ana):
            assert render_template_string(template, day=date(2026, 10, 5)) == "Idioma 5 de octubre de 2026"
        with for_user(ben):  # no setting: the site default
            assert render_template_string(template, day=date(2026, 10, 5)) == "Language 5 October 2026"
        assert render_template_string("{{ _('Language') }}") == "Language"


def test_a_page_switches_language_and_back_within_one_request(app, make_user):
    """Templates keep the catalogue between strings; a change of language mid-request must still show."""
    ben = make_user("ben@example.org")
    template = "{{ _('Language') }}, {{ ngettext('%(num)d entry', '%(num)d entries', 2) }}"
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert render_template_string(template) == "Idioma, 2 registros"
        with for_user(ben):
            assert render_template_string(template) == "Language, 2 entries"
        assert render_template_string(template) == "Idioma, 2 registros"
        session["locale"] = "en"
        refresh()
        assert render_template_string(template) == "Language, 2 entries"


def test_template_translations_escape_their_values_and_read_percent_signs_as_jinja_does(app):
    """``_()`` and ``gettext()`` reach the catalogue directly: what is put into a text is escaped, a
    text is always a format string, and ``{% trans %}`` blocks read the same catalogue."""
    template = ("{{ _('%(hours)s of %(kind)s by %(name)s on %(day)s', hours=2, kind='<b>', name='Ana', day='lunes') }}"
                "|{{ gettext('Language') }}|{{ _('100%% done') }}|{% trans %}Language{% endtrans %}")
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert render_template_string(template) == "2 de &lt;b&gt; de Ana el lunes|Idioma|100% done|Idioma"


# --- The Spanish catalogue ------------------------------------------------------------------------

def extracted_messages():
    """Every string marked for translation in the code, templates and designs, as `make translations` finds them."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
                "lazy_ngettext": (1, 2), "pgettext": ((1, "c"), 2), "npgettext": ((1, "c"), 2, 3)}
    found = set()
    for filename, _line, message, _comments, context in extract_from_dir(
            ROOT, method_map=method_map, options_map=options_map, keywords=keywords,
            directory_filter=lambda path: Path(path).name not in {"__pycache__", "instance"}
            and not Path(path).name.startswith(".")):
        msgid = message[0] if isinstance(message, tuple | list) else message
        if msgid:
            found.add((context, msgid, filename))
    return found


def spanish_catalogue():
    with SPANISH_PO.open("rb") as source:
        return read_po(source, locale="es")


def test_every_marked_string_is_in_the_spanish_catalogue():
    """A string marked in the code but missing from es/messages.po: run `make translations`."""
    catalogue = spanish_catalogue()
    missing = sorted(f"{filename}: {msgid!r}" for context, msgid, filename in extracted_messages()
                     if catalogue.get(msgid, context=context) is None)
    assert not missing, "run `make translations`, then translate:\n" + "\n".join(missing[:40])


def test_the_spanish_catalogue_has_no_fuzzy_or_broken_entries():
    """Fuzzy entries are guesses that gettext would skip: each must be checked and unmarked."""
    catalogue = spanish_catalogue()
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy entries in es/messages.po: {fuzzy[:20]}"
    broken = [(m.id, [str(e) for e in errors]) for m, errors in catalogue.check() if errors]
    assert not broken, f"entries whose placeholders or plurals do not match: {broken[:20]}"


# --- The organisation's name -------------------------------------------------------------------

def footer_and_title(page):
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    footer = re.search(r"<footer.*?</footer>", page, re.S).group(0)
    return " ".join(title.split()), " ".join(re.sub(r"<[^>]+>", " ", footer).split())


def test_the_default_organisation_name_is_translated(client):
    title, footer = footer_and_title(client.get("/login", headers={"Accept-Language": "es"}).text)
    assert title.endswith("· Programa de Capacitación de Apoyo entre Pares")
    assert footer.startswith("Programa de Capacitación de Apoyo entre Pares ·")
    assert "Peer Recovery Training Programme" not in title + footer
    title, footer = footer_and_title(client.get("/login").text)
    assert title.endswith("· Peer Recovery Training Programme") and footer.startswith("Peer Recovery Training Programme")


@pytest.mark.config(ORGANISATION_NAME="Ohio Peer Board")
def test_a_name_set_without_its_spanish_is_shown_as_set_in_every_language(client):
    for language in ("en", "es"):
        title, footer = footer_and_title(client.get("/login", headers={"Accept-Language": language}).text)
        assert title.endswith("· Ohio Peer Board") and footer.startswith("Ohio Peer Board ·")


@pytest.mark.config(ORGANISATION_NAME="Ohio Peer Board", ORGANISATION_NAME_ES="Junta de Pares de Ohio")
def test_the_spanish_name_is_a_setting_for_pages_and_e_mails(app, client, make_user):
    assert footer_and_title(client.get("/login", headers={"Accept-Language": "es"}).text)[1].startswith(
        "Junta de Pares de Ohio ·")
    assert footer_and_title(client.get("/login").text)[1].startswith("Ohio Peer Board ·")
    from training.mail import render_mail

    reader = make_user("lector@example.org", name="Lucía Lector")
    reader.locale = "es"
    with app.test_request_context(), for_user(reader):
        subject, body = render_mail("invitation", recipient=reader, inviter=None, link="x", hours=72)
    assert subject == "Su invitación a Junta de Pares de Ohio"
    assert "Ohio Peer Board" not in subject + body
