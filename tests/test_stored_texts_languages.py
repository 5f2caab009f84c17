"""Texts worked out once and stored (an enrolment's next step, a job's summary and failures) are read
in the reader's language, whoever's change or which worker wrote them."""
import csv
import io
from datetime import timedelta

import pytest
from markupsafe import escape

from training.credentials.evaluation import evaluate_one, refresh_all
from training.extensions import db
from training.i18n import in_language
from training.jobs import services as jobs

from .test_certificates import credential  # noqa: F401  (fixture)
from .test_certificates_in_spanish import issued, main_text, spanish_trainee  # noqa: F401  (fixtures)


@pytest.fixture
def working(course, credential, people):  # noqa: F811
    """A trainee enrolled in the default credential, far from eligible; their next step in each language."""
    from flask import g

    g.pop("_compiled_credentials", None)  # compiled before the course was loaded
    refresh_all()
    trainee = people["trainee"]
    steps = {}
    for language in ("en", "es"):
        with in_language(language):
            steps[language] = evaluate_one(trainee, credential).next_step
    assert steps["en"] and steps["es"] and steps["en"] != steps["es"]
    return trainee, steps


def _speaking(user, language):
    user.locale = language
    db.session.commit()
    return user


@pytest.mark.parametrize("language, other", [("es", "en"), ("en", "es")])
def test_the_eligibility_list_gives_each_next_step_in_the_administrators_language(
        working, credential, people, login_as, language, other):  # noqa: F811
    trainee, steps = working
    admin = login_as(_speaking(people["admin"], language))
    page = admin.get("/admin/certificates/eligible", query_string={"credential": credential.slug,
                                                                   "status": "working"}).text
    assert steps[language] in main_text(page) and steps[other] not in main_text(page)
    assert f"<span>{escape(steps[language])}</span>" in page  # not marked as written in another language


def test_the_programme_overview_csv_gives_the_next_step_in_the_administrators_language(
        working, people, login_as):
    trainee, steps = working
    response = login_as(_speaking(people["admin"], "es")).get("/admin/programme.csv")
    rows = {row[1]: row for row in csv.reader(io.StringIO(response.data.decode("utf-8-sig")))}
    assert rows[trainee.email][6] == steps["es"]


def test_the_programme_overview_gives_the_next_step_in_the_administrators_language_unmarked(
        working, people, login_as):
    trainee, steps = working
    page = login_as(_speaking(people["admin"], "es")).get("/admin/programme").text
    cell = page.split(f">{escape(trainee.full_name)}<")[1].split("</tr>")[0]
    assert f'<td data-label="Próximo paso">{escape(steps["es"])}</td>' in cell
    assert steps["en"] not in cell and 'lang="en"' not in cell


def test_the_stored_next_step_follows_a_change_in_every_language(working, credential, people):  # noqa: F811
    """Refreshed on every change to the trainee's record, whoever's request made it."""
    from training.credentials.models import Enrolment

    trainee, steps = working
    enrolment = db.session.scalar(db.select(Enrolment).where(Enrolment.user_id == trainee.id))
    assert enrolment.next_steps == steps


def test_a_reminders_summary_is_in_the_language_of_whoever_reads_it(people, login_as):
    from training.jobs.kinds import start_reminders

    admin = _speaking(people["admin"], "es")
    job = start_reminders(admin)
    page = main_text(login_as(admin).get(f"/jobs/{job.id}").text)
    assert "Vencimiento de certificados: 0." in page and "Certificate expiry" not in page
    assert "Resúmenes y recordatorios de supervisión: 0." in page
    page = main_text(login_as(_speaking(admin, "en")).get(f"/jobs/{job.id}").text)
    assert "Certificate expiry: 0." in page and "Vencimiento" not in page


def test_a_failed_items_reason_is_in_the_language_of_whoever_reads_it(people, login_as, runner):
    admin = _speaking(people["admin"], "es")
    job = jobs.create("certificates_zip", admin, [(999999, "gone.pdf")])
    page = main_text(login_as(admin).get(f"/jobs/{job.id}").text)
    assert "gone.pdf: Este certificado ya no existe." in page and "no longer exists" not in page
    page = main_text(login_as(_speaking(admin, "en")).get(f"/jobs/{job.id}").text)
    assert "gone.pdf: This certificate no longer exists." in page
    # The command line speaks the site's language.
    shown = runner.invoke(args=["jobs", "show", str(job.id)]).output
    assert "gone.pdf: This certificate no longer exists." in shown


def test_a_refused_bulk_issue_names_the_unmet_requirements_in_the_readers_language(
        working, credential, people, login_as):  # noqa: F811
    from training.certificates.jobs import start_bulk_issue

    trainee, _steps = working
    with in_language("es"):
        spanish = [item.label for item in evaluate_one(trainee, credential).unmet]
    admin = _speaking(people["admin"], "es")
    job = start_bulk_issue(admin, credential, [trainee])
    page = main_text(login_as(admin).get(f"/jobs/{job.id}").text)
    assert f"{trainee.full_name} aún no cumple: {', '.join(spanish)}." in page
    assert "does not yet meet" not in page
    assert "does not yet meet" in main_text(login_as(_speaking(admin, "en")).get(f"/jobs/{job.id}").text)


@pytest.mark.parametrize("language, expected", [
    ("en", "Reminders sent: 0 supervisor digests, 0 overdue-supervision reminders, 0 certificate expiry reminders, "
           "0 session reminders."),
    ("es", "Recordatorios enviados: 0 resúmenes para supervisores, 0 recordatorios de supervisión atrasada, "
           "0 recordatorios de vencimiento de certificado, 0 recordatorios de sesión."),
])
def test_the_reminders_command_counts_in_real_plurals(app, runner, language, expected):
    app.config["DEFAULT_LOCALE"] = app.config["BABEL_DEFAULT_LOCALE"] = language
    output = runner.invoke(args=["reminders", "send"]).output
    assert expected in output and "(s)" not in output and "(es)" not in output


def test_the_expiry_reminders_subject_has_the_spanish_plural(app, issued, spanish_trainee, caplog):  # noqa: F811
    from training.certificates.reminders import send_expiry_reminders

    from .test_notifications import mails

    caplog.set_level("INFO", logger="training.mail")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        send_expiry_reminders(issued.expires_on - timedelta(days=30))
    subjects = [subject for to, subject, _ in mails(caplog) if to == spanish_trainee.email]
    assert subjects[-1] == "Su certificado vence en 30 días"
