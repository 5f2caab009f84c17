"""Inviting a whole group of people from a spreadsheet saved as CSV."""
import io
import re

import pytest
from sqlalchemy import func, select

from training.audit import AuditEvent
from training.auth.models import AccountToken, SupervisorAssignment, User, user_by_email
from training.extensions import db


def upload(client, text, name="cohort.csv", encoding="utf-8", **headers):
    data = {"file": (io.BytesIO(text.encode(encoding) if isinstance(text, str) else text), name)}
    return client.post("/admin/people/invite/file", data=data, content_type="multipart/form-data",
                       headers=headers)


def confirm(client, page):
    content = re.search(r'id="content" name="content" type="hidden" value="([^"]*)"', page.text, re.S).group(1)
    import html

    return client.post("/admin/people/invite/file/confirm",
                       data={"content": html.unescape(content), "filename": "cohort.csv"})


def people_count():
    return db.session.scalar(select(func.count()).select_from(User))


GOOD = ("email,name,roles,supervisor\n"
        "ana.lopez@example.org,Ana López,,supervisor@example.org\n"
        "ben@example.org,Ben Brown,trainee,sam.new@example.org\n"
        "sam.new@example.org,Sam New,Supervisor,\n"
        "trainee@example.org,Tina Trainee,,\n")


def test_preview_lists_every_row_and_saves_nothing(people, login_as):
    client = login_as(people["admin"])
    before = people_count()
    page = upload(client, GOOD)
    assert page.status_code == 200
    assert "3 people will be invited." in page.text
    assert "1 already has an account and is left as they are." in page.text
    assert "Ana López" in page.text and "Invite 3 people" in page.text
    assert people_count() == before


def test_a_row_for_an_account_that_exists_says_what_it_asks_is_not_applied(people, login_as):
    """Tina has an account: the supervisor and roles her row gives are shown greyed, with why, and
    confirming changes nothing of hers. A row that matches the account needs no such word."""
    client = login_as(people["admin"])
    page = upload(client, "email,name,roles,supervisor\n"
                          "trainee@example.org,Tina T.,Trainee;Trainer,supervisor@example.org\n"
                          "other@example.org,Otto Other,Trainee,\n"
                          "new@example.org,New Person,,\n").text
    tina = re.search(r'<tr id="row-2">.*?</tr>', page, re.S).group(0)
    otto = re.search(r'<tr id="row-3">.*?</tr>', page, re.S).group(0)
    assert '<span class="muted">supervisor@example.org</span>' in tina
    assert "are not applied to an account that exists" in tina and "are not applied" not in otto
    confirm(client, upload(client, "email,name,roles,supervisor\n"
                                   "trainee@example.org,Tina T.,Trainee;Trainer,supervisor@example.org\n"
                                   "new@example.org,New Person,,\n"))
    tina = user_by_email("trainee@example.org")
    assert tina.full_name == "Tina Trainee" and tina.role_names == {"trainee"}
    assert db.session.scalar(select(SupervisorAssignment).where(SupervisorAssignment.trainee_id == tina.id)) is None


def test_confirming_invites_each_person_with_their_roles_supervisor_and_link(people, login_as, caplog):
    caplog.set_level("INFO", logger="training.mail")
    client = login_as(people["admin"])
    page = confirm(client, upload(client, GOOD))
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "No mail server is set up" in page.text
    links = re.findall(r'value="(http[^"]+/invitation/[^"]+)"', page.text)
    assert len(links) == 3
    ana, ben, sam = (user_by_email(e) for e in ("ana.lopez@example.org", "ben@example.org", "sam.new@example.org"))
    assert ana.full_name == "Ana López" and ana.role_names == {"trainee"} and ana.programme_started_on
    assert sam.role_names == {"supervisor"} and not sam.has_accepted_invitation
    supervisors = {a.trainee_id: a.supervisor_id for a in db.session.scalars(select(SupervisorAssignment))}
    assert supervisors[ana.id] == people["supervisor"].id and supervisors[ben.id] == sam.id
    # The person already there is left as they were; every invitation is in the audit log.
    assert user_by_email("trainee@example.org").full_name == "Tina Trainee"
    invited = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.invited"))
    invited = list(invited)
    assert sorted(e.details["email"] for e in invited) == ["ana.lopez@example.org", "ben@example.org",
                                                           "sam.new@example.org"]
    assert {e.details["file"] for e in invited} == {"cohort.csv"}
    # Each link lets its person choose a password, once.
    assert db.session.scalar(select(func.count()).select_from(AccountToken)) == 3
    path = links[0].split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + path).status_code == 200


@pytest.mark.config(MAIL_SERVER="smtp.example.org")
def test_with_a_mail_server_everyone_is_mailed_and_no_link_is_shown(people, login_as, monkeypatch):
    sent = []
    monkeypatch.setattr("training.mail.send_mail", lambda to, subject, body: sent.append((to, body)))
    client = login_as(people["admin"])
    page = confirm(client, upload(client, GOOD))
    assert page.status_code == 302
    invitations = [(to, body) for to, body in sent if "/invitation/" in body]
    assert sorted(to for to, _ in invitations) == ["ana.lopez@example.org", "ben@example.org",
                                                   "sam.new@example.org"]
    # Sue, already supervising on the site, is told of her new supervisee as when one is assigned by hand.
    assert [to for to, _ in sent if (to, _) not in invitations] == ["supervisor@example.org"]
    follow = client.get(page.headers["Location"])
    assert "3 invitations are on their way." in follow.text


def test_a_file_with_any_problem_invites_nobody_and_names_each_row(people, login_as):
    client = login_as(people["admin"])
    before = people_count()
    text = ("Correo;Nombre;Roles;Supervisor\n"
            "ok@example.org;Olga Ok;participante;\n"
            "not-an-address;No Address;;\n"
            "dup@example.org;;wizard;\n"
            "dup@example.org;Dup Again;;nobody@example.org\n"
            "trainee@example.org;Tina Trainee;supervisor;other@example.org\n")
    page = upload(client, text)
    assert page.status_code == 400
    assert "Nobody can be invited yet: 4 rows have a problem" in page.text
    assert "Row 3: “not-an-address” is not an e-mail address like name@example.org." in page.text
    assert "Row 4: No name. “wizard” is not a role." in page.text
    assert "Row 5: This e-mail address is also on row 4." in page.text
    assert "No supervisor has the e-mail address nobody@example.org" in page.text
    assert "Row 6: Only trainees can be given a supervisor." in page.text
    assert 'action="/admin/people/invite/file/confirm"' not in page.text
    # Even sent straight to the confirmation, the file invites nobody.
    forced = client.post("/admin/people/invite/file/confirm", data={"content": text, "filename": "x.csv"})
    assert forced.status_code == 400 and people_count() == before


def test_a_supervisor_named_must_be_an_active_supervisor(people, login_as):
    client = login_as(people["admin"])
    page = upload(client, "email,name,supervisor\nnew@example.org,New One,other@example.org\n")
    assert page.status_code == 400 and "other@example.org is not an active supervisor." in page.text
    page = upload(client, "email,name,roles,supervisor\nnew@example.org,New One,trainer,supervisor@example.org\n")
    assert "Only trainees can be given a supervisor." in page.text


@pytest.mark.parametrize("text, message", [
    ("", "The file is empty."),
    ("first,last\nAna,López\n", "The first row must name the columns"),
    ("email,name\n", "The file names its columns but lists nobody under them."),
])
def test_a_file_that_is_not_a_list_of_people_says_why(people, login_as, text, message):
    page = upload(login_as(people["admin"]), text)
    assert page.status_code == 400 and message in page.text


def test_a_file_no_spreadsheet_wrote_is_refused_without_an_error_page(people, login_as):
    client = login_as(people["admin"])
    page = upload(client, 'email,name\n"' + "a" * 200_000 + '",x\n')
    assert page.status_code == 400 and "This file cannot be read as CSV." in page.text
    page = upload(client, "email,name\nnul@example.org,A\x00B\n")
    assert page.status_code == 400 and "Row 2: The name holds characters that are not letters" in page.text


def test_too_many_rows_are_refused(app, people, login_as):
    app.config["INVITE_IMPORT_MAX_ROWS"] = 2
    text = "email,name\n" + "".join(f"p{n}@example.org,Person {n}\n" for n in range(3))
    page = upload(login_as(people["admin"]), text)
    assert page.status_code == 400 and "The file lists 3 people; at most 2 can be invited at once." in page.text


def test_a_spreadsheet_saved_in_windows_encoding_keeps_its_accents(people, login_as):
    page = upload(login_as(people["admin"]), "email,name\nines@example.org,Inés Núñez\n", encoding="cp1252")
    assert page.status_code == 200 and "Inés Núñez" in page.text


def test_no_file_is_asked_for_again(people, login_as):
    page = login_as(people["admin"]).post("/admin/people/invite/file", data={})
    assert page.status_code == 400 and "Choose the file to upload." in page.text


def test_the_template_names_the_columns_in_the_reader_language_and_reads_back(people, login_as):
    client = login_as(people["admin"])
    english = client.get("/admin/people/invite/template.csv")
    assert english.mimetype == "text/csv" and english.text.startswith('\ufeff"email","name","roles","supervisor"')
    spanish = client.get("/admin/people/invite/template.csv", headers={"Accept-Language": "es"})
    assert spanish.text.startswith('\ufeff"correo","nombre","funciones","supervisor"') and "participante" in spanish.text
    page = upload(client, spanish.data)
    assert page.status_code == 200 and "2 people will be invited." in page.text


def test_the_pages_speak_spanish(people, login_as):
    client = login_as(people["admin"])
    page = client.get("/admin/people/invite/file", headers={"Accept-Language": "es"})
    assert "Invitar a personas desde una hoja de cálculo" in page.text
    preview = upload(client, GOOD, **{"Accept-Language": "es"})
    assert "Se invitará a 3 personas." in preview.text


@pytest.mark.parametrize("who", ["trainee", "supervisor"])
def test_only_administrators_may_invite_from_a_file(people, login_as, who):
    client = login_as(people[who])
    assert client.get("/admin/people/invite/file").status_code == 403
    assert upload(client, GOOD).status_code == 403
    assert client.post("/admin/people/invite/file/confirm", data={"content": GOOD}).status_code == 403
    assert client.get("/admin/people/invite/template.csv").status_code == 403


# --- Enrolling the file's trainees in a cohort --------------------------------------------------

@pytest.fixture
def cohort(app, people):
    from datetime import date, timedelta

    from training.cohorts.models import Cohort, CohortMember, LiveTraining

    cohort = Cohort(title="Spring evenings", live_training=LiveTraining(slug="core", title="Core", sessions=[]),
                    starts_on=date.today(), ends_on=date.today() + timedelta(days=60), delivery="online",
                    capacity=3)
    db.session.add(cohort)
    db.session.flush()
    db.session.add(CohortMember(cohort_id=cohort.id, user_id=people["trainee"].id, status="enrolled"))
    db.session.commit()
    return cohort


def upload_for(client, text, cohort):
    data = {"file": (io.BytesIO(text.encode()), "cohort.csv"), "cohort": str(cohort.id)}
    return client.post("/admin/people/invite/file", data=data, content_type="multipart/form-data")


def confirm_with_cohort(client, page):
    import html

    content = re.search(r'id="content" name="content" type="hidden" value="([^"]*)"', page.text, re.S).group(1)
    chosen = re.search(r'id="cohort" name="cohort" type="hidden" value="([^"]*)"', page.text).group(1)
    return client.post("/admin/people/invite/file/confirm",
                       data={"content": html.unescape(content), "filename": "cohort.csv", "cohort": chosen})


def test_the_files_trainees_take_the_cohorts_places_in_order_then_its_waiting_list(people, login_as, cohort):
    from training.cohorts.models import CohortMember

    text = ("email,name,roles\n"
            "trainee@example.org,Tina Trainee,\n"      # has a place already
            "other@example.org,Otto Other,\n"          # has an account: takes a place
            "new1@example.org,New One,\n"              # the last free place
            "new2@example.org,New Two,\n"              # the waiting list
            "sup@example.org,Sam Supervisor,supervisor\n")  # not a trainee: joins no cohort
    client = login_as(people["admin"])
    page = upload_for(client, text, cohort)
    assert page.status_code == 200
    assert ("In Spring evenings: 2 will have a place and 1 will go on the waiting list (2 places were free)."
            in page.text)
    assert "Has a place already" in page.text and "On the waiting list: the cohort is full" in page.text
    assert not db.session.scalars(select(CohortMember).where(CohortMember.status == "waiting")).all()
    existing_only = upload_for(client, "email,name\nother@example.org,Otto Other\n", cohort)
    assert "Nobody new is invited." in existing_only.text and "Enrol them in Spring evenings" in existing_only.text
    done = confirm_with_cohort(client, page)
    assert done.status_code == 200  # the links to pass on (no mail server)
    statuses = {m.user.email: m.status for m in db.session.scalars(
        select(CohortMember).where(CohortMember.cohort_id == cohort.id))}
    assert statuses == {"trainee@example.org": "enrolled", "other@example.org": "enrolled",
                        "new1@example.org": "enrolled", "new2@example.org": "waiting"}
    assert "Spring evenings: 2 given a place, 1 on the waiting list." in done.text


def test_only_a_cohort_still_running_can_be_chosen(people, login_as, cohort):
    from datetime import date, timedelta

    client = login_as(people["admin"])
    assert "Spring evenings" in client.get("/admin/people/invite/file").text
    page = upload_for(client, "email,name\nnew@example.org,New One\n", cohort)
    cohort.starts_on = cohort.ends_on = date.today() - timedelta(days=1)
    db.session.commit()
    before = people_count()
    late = confirm_with_cohort(client, page)
    assert late.status_code == 400 and "The cohort chosen has ended or no longer exists." in late.text
    assert people_count() == before
    assert "Spring evenings" not in client.get("/admin/people/invite/file").text


# --- The people list as a spreadsheet ------------------------------------------------------------

def test_the_people_list_downloads_with_its_filters_and_reads_back_as_people_to_invite(people, login_as):
    from datetime import date

    from training.admin.services import assign_supervisor

    admin = people["admin"]
    assign_supervisor(admin, people["trainee"], people["supervisor"], date.today())
    client = login_as(admin)
    page = client.get("/admin/people?role=trainee")
    assert 'href="/admin/people.csv?role=trainee"' in page.text
    export = client.get("/admin/people.csv?role=trainee")
    assert export.mimetype == "text/csv" and "attachment" in export.headers["Content-Disposition"]
    lines = export.text.lstrip("\ufeff").splitlines()
    assert lines[0] == '"E-mail","Name","Roles","Supervisor","Status","Programme started","Last sign-in"'
    assert len(lines) == 3  # the two trainees, not the supervisor or the administrator
    assert any(line.startswith('"trainee@example.org","Tina Trainee","Trainee","supervisor@example.org","Active"')
               for line in lines)
    # Uploaded as people to invite, everyone in it is known already.
    preview = upload(client, export.data)
    assert preview.status_code == 200 and "Nobody new is invited." in preview.text
    assert "2 already have an account and are left as they are." in preview.text
    spanish = client.get("/admin/people.csv", headers={"Accept-Language": "es"}).text
    assert spanish.lstrip("\ufeff").startswith('"Correo electrónico","Nombre","Funciones","Supervisor"')


@pytest.mark.parametrize("who", ["trainee", "supervisor"])
def test_only_administrators_may_download_the_people_list(people, login_as, who):
    assert login_as(people[who]).get("/admin/people.csv").status_code == 403


# --- The same from the command line ------------------------------------------------------------

def test_the_command_line_checks_the_file_then_invites_and_mails_each_person(people, runner, tmp_path, caplog):
    caplog.set_level("INFO", logger="training.mail")
    path = tmp_path / "cohort.csv"
    path.write_text("email,name,supervisor\nnew1@example.org,New One,supervisor@example.org\n"
                    "trainee@example.org,Tina Trainee,\n")
    dry = runner.invoke(args=["users", "import", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "1 person will be invited.\n1 already has an account and is left as they are." in dry.output
    assert user_by_email("new1@example.org") is None
    done = runner.invoke(args=["users", "import", str(path)])
    assert done.exit_code == 0 and "Invited new1@example.org." in done.output
    assert any("/invitation/" in r.getMessage() and "new1@example.org" in r.getMessage() for r in caplog.records
               if r.name == "training.mail")
    new = user_by_email("new1@example.org")
    assert [a.supervisor_id for a in db.session.scalars(select(SupervisorAssignment).where(
        SupervisorAssignment.trainee_id == new.id))] == [people["supervisor"].id]


def test_the_command_line_refuses_a_file_with_problems_row_by_row(people, runner, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("email,name\nnot-an-address,X\nok@example.org,Ok\n")
    before = people_count()
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code != 0 and "row 2: “not-an-address” is not an e-mail address" in result.output
    assert "nobody was invited" in result.output and people_count() == before
    assert runner.invoke(args=["users", "import", str(path), "--cohort", "999"]).exit_code != 0
