"""No request ever ends in a 500: every form on every page, and every page's query string,
filled with hostile values (bounded, derandomised Hypothesis runs, so the suite stays fast
and a failure repeats).

The forms are found the way a person finds them: by opening every page as every role and
reading its HTML. A new form is fuzzed without anyone listing it here.
"""
import io
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from training.auth.models import SupervisorAssignment, User
from training.auth.services import issue_token
from training.certificates.models import Certificate
from training.certificates.services import issue
from training.courses.models import Course
from training.credentials.models import Credential
from training.extensions import db
from training.quizzes.models import Quiz, QuizAttempt
from training.quizzes.services import start_attempt
from training.supervision.models import Attachment, HourEntry

from .conftest import login

# Values that broke pages before, or that break pages in general.
HOSTILE = ["", " ", "0", "-1", "1e309", "1e28", "-1e28", "NaN", "Infinity", "0.0001", "2**63",
           "99999999999999999999999", "9223372036854775808", "-9223372036854775809", "9999-12-31",
           "0001-01-01", "2026-02-30", "31/12/2026", "x" * 3000, "<script>alert(1)</script>", "' OR 1=1 --",
           "٣", "𝟙𝟚", "\u202e\u200b", "a@b", "../../etc/passwd", "{{ 7 * 7 }}", "1,5", "%s%n", "☃" * 40]
QUERY_NAMES = ["page", "user", "trainee", "status", "credential", "course", "category", "q", "role", "flagged",
               "next", "person", "action", "date_from", "date_to", "issued_from", "issued_to"]
FILES = [b"", b"%PDF-1.4\n%%EOF", b"\x89PNG\r\n\x1a\n\x00", b"\xff\xd8\xff\xe0" + b"\x00" * 10,
         b"::Q:: 2+2 {=4}\n", b"\xff\xfe\x00\x00garbage"]
ROLES = ["anonymous", "trainee", "supervisor", "trainer", "admin"]
SKIP_ACTIONS = {"/logout"}  # signing out only ends the fuzzing client's own session
DOCUMENTS = {"pdf", "csv", "ics", "zip", "json", "jwt", "png", "svg", "gift", "xml", "txt"}


@dataclass
class Form:
    role: str
    page: str
    action: str
    method: str
    fields: dict = field(default_factory=dict)   # name -> (kind, options)

    @property
    def signature(self):
        path = re.sub(r"/\d+", "/N", urlsplit(self.action).path)
        return self.role, self.method, path, tuple(sorted(self.fields))


class FormReader(HTMLParser):
    """The forms of a page: their action, method and fields with the options they offer."""

    def __init__(self, page):
        super().__init__(convert_charrefs=True)
        self.page, self.forms, self._form, self._select = page, [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"action": urljoin(self.page, attrs.get("action") or self.page),
                          "method": (attrs.get("method") or "get").upper(), "fields": {}}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag in ("input", "button") and attrs.get("name"):
            kind = attrs.get("type", "text" if tag == "input" else "submit")
            _, options = self._form["fields"].setdefault(attrs["name"], (kind, []))
            options.append(attrs.get("value", ""))
        elif tag == "textarea" and attrs.get("name"):
            self._form["fields"].setdefault(attrs["name"], ("textarea", []))
        elif tag == "select" and attrs.get("name"):
            self._select = self._form["fields"].setdefault(attrs["name"], ("select", []))[1]
        elif tag == "option" and self._select is not None:
            self._select.append(attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _cohort(people, trainer, credential):
    """A cohort trained by ``trainer`` with the trainee enrolled, a session running now and one to come."""
    from training.cohorts.models import Cohort, CohortMember, CohortSession, CohortTrainer, LiveTraining
    from training.db_types import utcnow

    cohort = Cohort(title="Evening cohort", live_training=LiveTraining(slug="live", title="Live", sessions=[]),
                    credential=credential, starts_on=date.today(), ends_on=date.today() + timedelta(days=7),
                    delivery="in_person", address="Room 2", capacity=5)
    db.session.add(cohort)
    db.session.flush()
    now = utcnow()
    db.session.add_all([
        CohortTrainer(cohort_id=cohort.id, user_id=trainer.id),
        CohortMember(cohort_id=cohort.id, user_id=people["trainee"].id, status="enrolled"),
        CohortSession(cohort=cohort, topic="Now", starts_at=now - timedelta(minutes=30), ends_at=now + timedelta(hours=2),
                      credits={"Advocacy": 120}, checkin_secret="s" * 64),
        CohortSession(cohort=cohort, topic="Later", starts_at=now + timedelta(days=2),
                      ends_at=now + timedelta(days=2, hours=2), credits={"Advocacy": 120}, checkin_secret="t" * 64)])
    db.session.commit()


@pytest.fixture
def scenario(app, people, course, credentials, make_user):
    """One of everything a page can show a form about."""
    trainee, supervisor = people["trainee"], people["supervisor"]
    db.session.add(SupervisorAssignment(supervisor=supervisor, trainee=trainee,
                                        starts_on=date.today() - timedelta(days=60)))
    db.session.add(HourEntry(trainee_id=trainee.id, supervisor_id=supervisor.id, kind="training",
                             occurred_on=date.today() - timedelta(days=1), minutes=60, domain="Advocacy",
                             provider="Academy", attachment=Attachment(
                                 owner_id=trainee.id, filename="c.pdf", content_type="application/pdf", size=8,
                                 sha256="0" * 64, data=b"%PDF-1.4")))
    db.session.add(HourEntry(trainee_id=trainee.id, supervisor_id=supervisor.id, kind="service", status="approved",
                             occurred_on=date.today() - timedelta(days=3), minutes=120, domain="Advocacy",
                             signed_name="Sue Supervisor"))
    db.session.commit()
    start_attempt(trainee, course.active_modules[0].quiz)
    credential = db.session.scalar(db.select(Credential).where(Credential.slug == "peer-recovery-specialist"))
    issue(people["other_trainee"], credential, check=False)
    trainer = make_user("trainer@example.org", roles=("trainer",), name="Tia Trainer")
    _cohort(people, trainer, credential)
    return {**people, "trainer": trainer}


def _signed_in(app, people, role):
    for user in db.session.scalars(db.select(User)):
        user.active = True  # a fuzzed deactivation must not end the run
    db.session.commit()
    client = app.test_client()
    return client if role == "anonymous" else login(client, people[role])


def _token(purpose):
    """A working one-time link, so the invitation and reset forms are fuzzed too."""
    user = User(email=f"{purpose}@example.org", full_name="Link Holder")
    user.set_roles({"trainee"})
    db.session.add(user)
    db.session.flush()
    token = issue_token(user, purpose, timedelta(days=1))
    db.session.commit()
    return token


def _pages(app, scenario):
    """Every GET page, with the ids of the scenario's records filled in."""
    from flask import url_for

    from training.cohorts.models import Cohort, CohortSession

    first = {model: db.session.scalar(db.select(model.id).limit(1))
             for model in (HourEntry, QuizAttempt, Quiz, Certificate, SupervisorAssignment, Cohort, CohortSession)}
    ids = {"user_id": scenario["trainee"].id, "entry_id": first[HourEntry], "attempt_id": first[QuizAttempt],
           "quiz_id": first[Quiz], "certificate_id": first[Certificate], "assignment_id": first[SupervisorAssignment],
           "cohort_id": first[Cohort], "session_id": first[CohortSession]}
    course = db.session.scalar(db.select(Course))
    ids.update(slug=course.slug, module_slug=course.active_modules[0].slug, token="x")
    tokens = {"auth.accept_invitation": _token("invitation"), "auth.reset_password": _token("password_reset")}
    pages = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint == "static" or not set(rule.arguments) <= set(ids):
                continue
            if rule.rule.rsplit("/", 1)[-1].rsplit(".", 1)[-1] in DOCUMENTS:
                continue  # a PDF, a spreadsheet or a calendar holds no form to fill in
            values = {k: ids[k] for k in rule.arguments}
            if rule.endpoint in tokens:
                values["token"] = tokens[rule.endpoint]
            pages.append(url_for(rule.endpoint, **values))
    return sorted(set(pages))


def _discover(app, scenario):
    forms, seen, readable, pages = [], set(), {}, _pages(app, scenario)
    for role in ROLES:
        client = _signed_in(app, scenario, role)
        for page in pages:
            response = client.get(page)
            if response.status_code != 200 or not response.mimetype == "text/html":
                continue
            readable.setdefault(page, role)
            reader = FormReader(f"http://localhost{page}")
            reader.feed(response.get_data(as_text=True))
            for raw in reader.forms:
                form = Form(role, page, raw["action"], raw["method"], raw["fields"])
                if urlsplit(form.action).path not in SKIP_ACTIONS and form.signature not in seen:
                    seen.add(form.signature)
                    forms.append(form)
    return forms, readable


def _value_strategy(kind, options):
    if kind == "file":
        return st.tuples(st.sampled_from(FILES), st.sampled_from(["a.pdf", "b.png", "c.gift", "d.txt", ""]))
    choices = [o for o in options if o is not None]
    base = st.sampled_from(HOSTILE) | st.text(max_size=40)
    if choices and kind in ("select", "radio", "checkbox", "hidden", "submit"):
        base = st.sampled_from(choices) | base
    if kind == "checkbox" and len(choices) > 1:
        return st.lists(base, max_size=4)
    return base


def _send(client, form, values):
    path = urlsplit(form.action).path
    files = any(isinstance(v, tuple) for v in values.values())
    if files:
        values = {k: (io.BytesIO(v[0]), v[1]) if isinstance(v, tuple) else v for k, v in values.items()}
    if form.method == "GET":
        return client.get(path, query_string=values)
    return client.post(path, data=values, content_type="multipart/form-data" if files else None)


def _fuzz(app, scenario, form):
    client = _signed_in(app, scenario, form.role)

    def check(values):
        response = _send(client, form, values)
        assert response.status_code < 500, (form.method, form.action, form.role, values)

    if not form.fields:  # a button alone: nothing to fill in, one press says it all
        check({})
        return
    # Every hostile value in every field at once, then Hypothesis mixes them.
    for value in HOSTILE:
        check({name: (FILES[1], value) if kind == "file" else value for name, (kind, _) in form.fields.items()})

    @settings(max_examples=6, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.fixed_dictionaries({name: _value_strategy(kind, options)
                                  for name, (kind, options) in form.fields.items()}))
    def mixed(values):
        check(values)

    mixed()


# The forms are fuzzed in this many parts, each a test of its own, so that test processes share
# the work (the whole of it took two minutes on one process while the rest of the suite ran).
PARTS = 3


@pytest.fixture
def background_work_left_waiting(monkeypatch):
    """Forms that start background work (reports, zip files, bulk issue) answer before it runs; the
    fuzzing checks those answers and leaves the work waiting. Running it here would render the same
    PDFs hundreds of times: the jobs' own tests run it."""
    started = []
    monkeypatch.setattr("training.jobs.in_thread", lambda app, path, *args: started.append(path))
    monkeypatch.setattr("training.jobs.services.in_thread", lambda app, path, *args: started.append(path))
    return started


@pytest.mark.parametrize("part", range(PARTS))
def test_no_form_and_no_query_string_ends_in_a_server_error(app, scenario, part, background_work_left_waiting):
    forms, readable = _discover(app, scenario)
    assert len(forms) >= 25, [f.action for f in forms]  # the discovery itself works
    # Each part takes every third form in an order that does not depend on the records' ids.
    for form in sorted(forms, key=lambda f: repr(f.signature))[part::PARTS]:
        _fuzz(app, scenario, form)
    if part:
        return  # the query strings are fuzzed once, by the first part
    clients = {role: _signed_in(app, scenario, role) for role in ROLES}
    for page, role in readable.items():
        for value in ("99999999999999999999999", "-1", "9999-12-31", "x" * 3000, "1e309"):
            response = clients[role].get(page, query_string={name: value for name in QUERY_NAMES})
            assert response.status_code < 500, (page, role, value)
