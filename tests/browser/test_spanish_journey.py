"""The platform in Spanish, in a real browser: axe-core on the main pages with ``lang="es"``, and a
Spanish-speaking trainee's day (sign in, read a module, pass its quiz, log hours) all in Spanish.

Pages are asked for in Spanish the way a browser does (``Accept-Language: es``); the trainee of the
journey is a person created for it whose own setting is Spanish, so no other browser test's
account changes language. Texts are looked up in the Spanish catalogue, so a label that is not
translated fails here with the entry to translate.
"""
import re
from datetime import date

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import expect

from ..test_i18n_pages import SPANISH_PO, english_on
from .conftest import COURSE_SLUG, DESKTOP, PHONE, TIMEOUT_MS, fill_sign_in_form
from .test_accessibility import AXE, AXE_OPTIONS, PAGES
from .test_journeys import answer_right

SPANISH_TRAINEE = "ana.spanish@example.org"
SPANISH_BROWSER = {"locale": "es-ES", "extra_http_headers": {"Accept-Language": "es"}}

with SPANISH_PO.open("rb") as _source:
    CATALOGUE = read_po(_source, locale="es")


def es(msgid, **values):
    """The Spanish of one catalogue entry, with its placeholders filled."""
    message = CATALOGUE.get(msgid)
    assert message is not None and message.string, f"translate {msgid!r} in es/messages.po"
    text = message.string if isinstance(message.string, str) else message.string[0]
    return text % values if values else text


@pytest.fixture
def spanish_page(browser, live_server, signed_in_state):
    """``spanish_page(as_user=None, viewport=DESKTOP)``: a page of a browser that asks for Spanish."""
    contexts = []

    def factory(as_user=None, viewport=DESKTOP):
        state = signed_in_state(as_user) if as_user else None
        context = browser.new_context(base_url=live_server.url, viewport=viewport, storage_state=state,
                                      **SPANISH_BROWSER)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield factory
    for context in contexts:
        context.close()


# --- axe-core, in Spanish ------------------------------------------------------------------------------

# The audited pages that need no English form-filling first (those are audited in English only).
SPANISH_AUDITS = [pytest.param(p, id=p.name) for p in PAGES if p.then is None]


@pytest.mark.browser
@pytest.mark.parametrize("audited", SPANISH_AUDITS)
def test_page_in_spanish_has_no_axe_violations(audited, spanish_page, live_server):
    page = audited.open(spanish_page(audited.as_user), live_server)
    expect(page.locator("html")).to_have_attribute("lang", "es")

    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        results = AXE.run(page, options=AXE_OPTIONS)
        assert results.violations_count == 0, (
            f"{audited.name} in Spanish at {viewport['width']}px wide:\n{results.generate_report()}")


# --- A Spanish-speaking trainee's day ----------------------------------------------------------------

@pytest.fixture
def spanish_trainee(live_server):
    """A new trainee whose language is Spanish, supervised by the demo supervisor."""
    from sqlalchemy import select

    from training.auth.models import SupervisorAssignment, User
    from training.auth.services import hash_password
    from training.extensions import db

    with live_server.app.app_context():
        person = db.session.scalar(select(User).where(User.email == SPANISH_TRAINEE))
        if person is None:
            person = User(email=SPANISH_TRAINEE, full_name="Ana Spanish", locale="es", active=True,
                          password_hash=hash_password(live_server.password), programme_started_on=date.today())
            person.set_roles({"trainee"})
            supervisor = db.session.scalar(select(User).where(User.email == "supervisor@example.org"))
            db.session.add_all([person, SupervisorAssignment(supervisor=supervisor, trainee=person,
                                                              starts_on=date.today())])
            db.session.commit()
        db.session.remove()
    return SPANISH_TRAINEE


def spanish_module_title(number):
    """The title in the Spanish version of module ``number`` of the first course."""
    from .conftest import COURSES_DIR

    path = sorted((COURSES_DIR / COURSE_SLUG / "modules").glob(f"{number:02d}-*.es.md"))[0]
    return re.search(r"^title:\s*(.+)$", path.read_text(encoding="utf-8"), re.MULTILINE).group(1).strip()


def no_english(page, live_server):
    """The page is in Spanish and shows none of the catalogue's English."""
    expect(page.locator("html")).to_have_attribute("lang", "es")
    english = english_on(page.content())
    assert not english, f"{page.url} shows English: {english}"


@pytest.mark.browser
def test_a_spanish_trainee_signs_in_reads_a_module_passes_its_quiz_and_logs_hours(
        browser, live_server, spanish_trainee):
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, **SPANISH_BROWSER)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        # Sign in, through the Spanish form.
        page.goto("/login")
        no_english(page, live_server)
        page.get_by_label(es("E-mail address")).fill(spanish_trainee)
        page.get_by_label(es("Password"), exact=True).fill(live_server.password)
        page.get_by_role("button", name=es("Sign in")).click()
        page.wait_for_url("**/dashboard")
        no_english(page, live_server)

        # Read the first module, in its Spanish version.
        title = spanish_module_title(1)
        page.goto(f"/courses/{COURSE_SLUG}")
        no_english(page, live_server)
        page.get_by_role("link", name=title, exact=True).first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        expect(page.locator("main [lang='en']")).to_have_count(0)  # nothing fell back to English
        no_english(page, live_server)

        # Pass its quiz, asked in Spanish.
        page.get_by_role("link", name=es("Go to the quiz")).click()
        no_english(page, live_server)
        page.get_by_role("button", name=es("Start the quiz")).click()
        expect(page).to_have_url(re.compile(r"/attempts/\d+$"))
        no_english(page, live_server)
        answers = live_server.model_answers(int(page.url.rsplit("/", 1)[1]))
        for model in answers:
            answer_right(page.locator(f"#question-{model.position}"), model, words=es)
        page.get_by_role("button", name=es("Submit answers")).click()
        expect(page).to_have_url(re.compile(r"/attempts/\d+/review$"))
        expect(page.get_by_text(es("The module is complete."))).to_be_visible()
        no_english(page, live_server)

        # Log an hour of peer support work for the supervisor to approve.
        page.goto("/hours/new")
        no_english(page, live_server)
        page.get_by_label(es("Date"), exact=True).fill(date.today().isoformat())
        # Typed as Spanish writes it, key by key: a number input of a browser set to English dropped
        # the comma and sent "15".
        page.get_by_label(es("Hours"), exact=True).press_sequentially("1,5")
        domain = page.get_by_label(es("Domain"), exact=True)
        domain.select_option(index=1)
        page.get_by_role("button", name=es("Send for approval")).click()
        expect(page).to_have_url(re.compile(r"/hours$"))
        expect(page.get_by_role("status").filter(has_text=es("Hours sent to your supervisor for approval."))).to_be_visible()
        expect(page.locator("main table").first).to_contain_text("1,5 h")
        no_english(page, live_server)
    finally:
        context.close()


@pytest.mark.browser
def test_hours_typed_with_a_comma_are_saved_as_typed_whatever_the_browsers_language(
        browser, live_server, spanish_trainee):
    """A Spanish-speaking trainee in a browser set to English writes "2,25": a number input dropped the
    comma and sent "225" (refused) or, for "1,5", "15" (saved as fifteen hours)."""
    from sqlalchemy import select

    from training.auth.models import User
    from training.extensions import db
    from training.supervision.models import HourEntry

    context = browser.new_context(base_url=live_server.url, viewport=PHONE)  # the browser's own language
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        fill_sign_in_form(page, spanish_trainee, live_server.password)
        page.goto("/hours/new")
        page.get_by_label(es("Date"), exact=True).fill(date.today().isoformat())
        page.get_by_label(es("Hours"), exact=True).press_sequentially("2,25")
        page.get_by_label(es("Domain"), exact=True).select_option(index=1)
        page.get_by_role("button", name=es("Send for approval")).click()
        expect(page).to_have_url(re.compile(r"/hours$"))
        expect(page.locator("main")).to_contain_text("2,25 h")
    finally:
        context.close()
    with live_server.app.app_context():
        trainee = db.session.scalar(select(User).where(User.email == spanish_trainee))
        latest = db.session.scalar(select(HourEntry).where(HourEntry.trainee_id == trainee.id)
                                   .order_by(HourEntry.id.desc()).limit(1))
        assert latest.minutes == 135
        db.session.remove()
