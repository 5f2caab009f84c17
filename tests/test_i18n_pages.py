"""Every main page, read in Spanish by each kind of person, shows no English text of the catalogue.

The demo programme is loaded (people in every role, progress, hours, a cohort, a certificate) and
each demo person's language is set to Spanish; an anonymous visitor's browser asks for Spanish.
For every catalogue entry of at least three words whose Spanish differs, the English must not
appear in the page's text (what is read on screen, plus alt, title, aria-label, placeholder and
button texts). Text marked as being in another language (``lang="en"``: course content without a
Spanish version, the language picker's "English") is left out, as a reader is told it is English.
"""
import re

import pytest
from babel.messages.pofile import read_po
from lxml import html
from sqlalchemy import select

from training.auth.models import User
from training.extensions import db

from .conftest import ROOT, login

SPANISH_PO = ROOT / "training" / "translations" / "es" / "LC_MESSAGES" / "messages.po"
SPANISH = {"Accept-Language": "es"}
COURSE = "foundations-of-peer-recovery-support"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdfr]|%[sdfr]|%%|\{\w*\}|<[^>]+>")
WORD = re.compile(r"[^\W\d_]+")
SPOKEN_ATTRIBUTES = ("alt", "title", "aria-label", "aria-description", "placeholder")


def english_texts():
    """The English pieces of the catalogue a Spanish page must not show: each stretch of three or more
    words between placeholders and tags, from entries whose Spanish does not say the same."""
    with SPANISH_PO.open("rb") as source:
        catalogue = read_po(source, locale="es")
    texts = set()
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        spanish = " ".join(s or "" for s in strings)
        for english in ids:
            for piece in PLACEHOLDER.split(english):
                piece = " ".join(piece.split()).strip(" .,:;·()“”\"'")
                if len(WORD.findall(piece)) >= 3 and piece not in spanish:
                    texts.add(piece)
    return sorted(texts, key=len, reverse=True)


ENGLISH = english_texts()


def spanish_text(page):
    """What a person reads or hears on ``page``, without the parts marked as another language."""
    document = html.document_fromstring(page)
    assert document.get("lang") == "es", f"<html lang={document.get('lang')!r}>"
    for element in document.xpath("//script | //style | //template | //*[@lang][not(starts-with(@lang, 'es'))]"):
        element.drop_tree()
    spoken = [value for attribute in SPOKEN_ATTRIBUTES for value in document.xpath(f"//@{attribute}")]
    spoken += document.xpath("//input[@type='submit' or @type='button']/@value")
    return " ".join(" ".join([document.text_content(), *spoken]).split())


def english_on(page, names=()):
    """The catalogue's English on ``page`` (the organisation's default name included: it is translated).
    ``names`` are names the page shows as recorded, left out first: a certificate names its issuer as
    it was called on the day of issue, in every language."""
    text = spanish_text(page)
    for name in names:
        text = text.replace(name, " ")
    return [english for english in ENGLISH if english in text]


# --- The demo programme, in Spanish ------------------------------------------------------------------

@pytest.fixture
def demo(app, course, credentials):
    """The demo programme with everyone reading in Spanish; returns a dict of what the pages need."""
    from training.certificates.services import issue
    from training.cohorts.loader import sync_trainings
    from training.cohorts.models import Cohort
    from training.courses.services import active_quiz, final_exam
    from training.credentials.models import Credential
    from training.demo import DEMO_COHORT, load_demo
    from training.supervision.models import HourEntry

    sync_trainings(ROOT / "trainings")
    load_demo()
    people = {u.email.split("@")[0]: u for u in db.session.scalars(select(User))}
    for person in people.values():
        person.locale = "es"
    credential = db.session.scalar(select(Credential).where(Credential.slug == "peer-recovery-specialist"))
    certificate, _ = issue(people["overdue.trainee"], credential, check=False)
    db.session.commit()
    cohort = db.session.scalar(select(Cohort).where(Cohort.title == DEMO_COHORT))
    modules = course.active_modules
    approved = db.session.scalar(select(HourEntry.id).where(HourEntry.status == "approved").limit(1))
    return {
        "people": people, "course": course, "certificate": certificate, "cohort": cohort.id,
        "session_now": cohort.sessions[3].id, "session_first": cohort.sessions[0].id,
        "module": f"/courses/{COURSE}/{modules[0].slug}", "quiz": active_quiz(modules[3]).id,
        "first_quiz": active_quiz(modules[0]).id, "exam": final_exam(course).id, "approved_entry": approved,
    }


def signed_in(app, demo, who):
    return login(app.test_client(), demo["people"][who], app.config["DEMO_PASSWORD"])


def visit(client, pages, method="get", data=None, status=200, names=()):
    """Fetch each page in Spanish; returns {address: English texts found}. A form sent with
    ``data`` (``method="post"``) comes back with its error messages."""
    found = {}
    for path in pages:
        response = client.open(path, method=method.upper(), data=data, headers=SPANISH, follow_redirects=True)
        expected = {200, 400, 422} if method == "post" else {status}
        assert response.status_code in expected, f"{path} answered {response.status_code}"
        english = english_on(response.text, names)
        if english:
            found[f"{method.upper()} {path}"] = english
    return found


def report(found):
    return "English text on Spanish pages:\n" + "\n".join(
        f"{page}:\n    " + "\n    ".join(repr(e) for e in english) for page, english in found.items())


# --- Each kind of person's pages ---------------------------------------------------------------------

def test_an_anonymous_visitor_reads_every_public_page_in_spanish(app, client, demo):
    code = demo["certificate"].grouped_code
    found = visit(client, ["/login", "/password/forgot", "/verify", "/credentials/peer-recovery-specialist"])
    found |= visit(client, [f"/verify/{code}", f"/verify?code={code}"], names=[demo["certificate"].issuer_name])
    found |= visit(client, ["/no-such-page"], status=404)
    found |= visit(client, ["/login"], method="post", data={"email": "", "password": ""})
    found |= visit(client, ["/password/forgot"], method="post", data={"email": "not an address"})
    assert not found, report(found)


def test_a_trainee_reads_every_page_in_spanish(app, demo):
    client = signed_in(app, demo, "trainee")
    cohort, now = demo["cohort"], demo["session_now"]
    found = visit(client, [
        "/dashboard", "/courses/", f"/courses/{COURSE}", demo["module"], f"/quizzes/{demo['quiz']}",
        f"/quizzes/{demo['exam']}", "/hours", "/hours/new", "/progress", "/wellbeing", "/certificates",
        "/cohorts/", f"/cohorts/{cohort}", f"/cohorts/sessions/{now}/check-in", "/cohorts/calendar",
        "/notifications", "/account"])
    found |= visit(client, ["/hours/new"], method="post", data={"kind": "work", "minutes": ""})
    found |= visit(client, ["/no-such-page"], status=404)
    assert not found, report(found)


def test_a_trainee_takes_and_reviews_a_quiz_in_spanish(app, demo):
    taker = signed_in(app, demo, "overdue.trainee")
    started = taker.post(f"/quizzes/{demo['first_quiz']}/start", headers=SPANISH, follow_redirects=True)
    assert started.status_code == 200
    english = english_on(started.text)
    found = {"the attempt page": english} if english else {}
    ready = signed_in(app, demo, "ready")
    found |= visit(ready, [f"/quizzes/{demo['first_quiz']}", f"/quizzes/{demo['exam']}", "/dashboard",
                           "/certificates", "/progress"])
    review = re.search(r'href="(/attempts/\d+/review)"', ready.get(f"/quizzes/{demo['first_quiz']}").text)
    assert review, "the quiz page links to no review of the ready trainee's attempt"
    found |= visit(ready, [review.group(1)])
    assert not found, report(found)


def test_a_supervisor_reads_every_page_in_spanish(app, demo):
    client = signed_in(app, demo, "supervisor")
    trainee = demo["people"]["trainee"].id
    found = visit(client, ["/dashboard", "/supervision", "/supervision/review", f"/supervision/review?trainee={trainee}",
                           "/supervision/sessions/new", f"/supervisees/{trainee}", "/notifications", "/account"])
    found |= visit(client, ["/supervision/review"], method="post", data={"decision": "return"})
    assert not found, report(found)


def test_a_trainer_reads_every_page_in_spanish(app, demo):
    client = signed_in(app, demo, "trainer")
    cohort, now, first = demo["cohort"], demo["session_now"], demo["session_first"]
    found = visit(client, ["/dashboard", "/cohorts/", f"/cohorts/{cohort}", f"/cohorts/sessions/{now}/attendance",
                           f"/cohorts/sessions/{first}/attendance", f"/cohorts/sessions/{now}/code",
                           "/cohorts/reflections", "/notifications", "/account"])
    assert not found, report(found)


def test_an_administrator_reads_every_page_in_spanish(app, demo):
    client = signed_in(app, demo, "admin")
    people, cohort = demo["people"], demo["cohort"]
    found = visit(client, [
        "/dashboard", "/admin/people", f"/admin/people/{people['trainee'].id}", "/admin/people/invite",
        "/admin/courses", "/admin/audit", "/admin/questions", "/admin/questions/statistics",
        "/admin/questions/import", "/admin/credentials", "/admin/certificates/eligible?status=all",
        "/admin/certificates", f"/admin/certificates/{demo['certificate'].id}",
        f"/admin/people/{people['ready'].id}/eligibility", f"/admin/people/{people['trainee'].id}/credentials",
        "/admin/evidence", "/admin/programme", "/cohorts/", f"/cohorts/{cohort}", "/cohorts/new",
        f"/cohorts/{cohort}/edit", f"/cohorts/{cohort}/sessions/new", "/jobs", f"/quizzes/{demo['quiz']}",
        f"/admin/hours/{demo['approved_entry']}/correct", "/notifications", "/account"])
    found |= visit(client, ["/admin/people/invite"], method="post", data={"full_name": "", "email": ""})
    found |= visit(client, ["/cohorts/new"], method="post", data={"title": ""})
    assert not found, report(found)


def test_the_check_finds_english_left_on_a_spanish_page():
    """The check itself: an English text of the catalogue is found, the same text marked lang="en" is not."""
    english = next(e for e in ENGLISH if e == "Skip to main content")
    page = '<html lang="es"><body><p>{}</p><p lang="en">{}</p><img alt="{}"></body></html>'
    assert english_on(page.format(english, "", "")) == [english]
    assert english_on(page.format("Ir al contenido principal", english, "")) == []
    assert english_on(page.format("", "", english)) == [english]
