"""Administration: people, invitations, roles, deactivation, supervisors, audit log."""
import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert

from training.audit import AuditEvent
from training.auth.models import SupervisorAssignment, User, user_by_email
from training.courses.services import record_module_completion
from training.extensions import db


def events(action):
    return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action)))


def test_people_list_searches_by_name_and_email(people, login_as):
    client = login_as(people["admin"])
    page = client.get("/admin/people?q=otto")
    assert "Otto Other" in page.text and "Tina Trainee" not in page.text
    page = client.get("/admin/people?q=SUPERVISOR@")
    assert "Sue Supervisor" in page.text and "1 person found" in page.text


def test_percent_and_underscore_are_searched_for_as_written(people, login_as, make_user):
    make_user("jo_smith@example.org", name="Jo Smith")
    make_user("joxsmith@example.org", name="Jox Smith")
    client = login_as(people["admin"])
    page = client.get("/admin/people", query_string={"q": "jo_smith"}).text
    assert "Jo Smith" in page and "Jox Smith" not in page and "1 person found" in page
    for search in ("%", "%%"):
        assert "Nobody matches" in client.get("/admin/people", query_string={"q": search}).text, search
    page = client.get("/admin/people", query_string={"q": "_"}).text
    assert "Jo Smith" in page and "1 person found" in page
    assert "Tina Trainee" not in client.get("/admin/audit", query_string={"person": "_"}).text


def test_people_are_found_and_sorted_whatever_their_names_accents_and_case(people, login_as, make_user):
    oscar = make_user("oscar@example.org", name="Óscar Álvarez")
    make_user("maria@example.org", name="María García")
    make_user("nina@example.org", name="Nina North")
    make_user("pablo@example.org", name="Pablo Paz")
    client = login_as(people["admin"])
    for search in ("Óscar", "oscar", "ÓSCAR ÁLVAREZ", "alvarez", "Álvarez"):
        page = client.get("/admin/people", query_string={"q": search}).text
        assert "Óscar Álvarez" in page and "1 person found" in page, search
    assert "María García" in client.get("/admin/people?q=garcia").text
    listed = client.get("/admin/people").text
    assert listed.index("Nina North") < listed.index("Óscar Álvarez") < listed.index("Pablo Paz")
    # A renamed person is found and sorted by the new name.
    oscar.full_name = "Zoë Ángel"
    db.session.commit()
    assert "1 person found" in client.get("/admin/people?q=zoe angel").text
    assert client.get("/admin/people").text.index("Zoë Ángel") > client.get("/admin/people").text.index("Tina Trainee")
    client.post(f"/admin/people/{oscar.id}/deactivate", data={"reason": "Left the programme", "confirmed": "yes"})
    assert "1 event." in client.get("/admin/audit", query_string={"person": "ZOE"}).text


def test_people_list_filters_by_role_and_status(people, login_as, make_user):
    make_user("left@example.org", name="Lee Left", active=False)
    make_user("waiting@example.org", name="Wade Waiting", accepted=False)
    client = login_as(people["admin"])
    assert "Sue Supervisor" in client.get("/admin/people?role=supervisor").text
    assert "Tina Trainee" not in client.get("/admin/people?role=supervisor").text
    assert "Lee Left" in client.get("/admin/people?status=deactivated").text
    invited = client.get("/admin/people?status=invited").text
    assert "Wade Waiting" in invited and "Lee Left" not in invited


def test_a_registration_not_yet_confirmed_is_not_shown_as_an_invitation(app, people, login_as, make_user, caplog):
    """A self-registered account waits for its owner to confirm the address, as an invitation waits to
    be accepted, but nobody invited them: the list, its filter, the person's page and the CSV say so."""
    from .conftest import mailed_links

    app.config["ALLOW_SELF_REGISTRATION"] = True
    caplog.set_level("INFO", logger="training.mail")
    app.test_client().post("/register", data={"full_name": "Sol Self", "email": "sol@example.org"})
    sol = user_by_email("sol@example.org")
    client = login_as(people["admin"])
    client.post("/admin/people/invite", data={"full_name": "Wade Waiting", "email": "wade@example.org",
                                              "roles": ["trainee"]})

    def row(page, name):
        return page.split(f">{name}</a>", 1)[1].split("</tr>", 1)[0]

    page = client.get("/admin/people").text
    assert "Registered, not confirmed" in row(page, "Sol Self") and "Invited" not in row(page, "Sol Self")
    assert "Invited" in row(page, "Wade Waiting") and "Active" in row(page, "Tina Trainee")
    assert '<option value="registered">Registered, not yet confirmed</option>' in page
    registered = client.get("/admin/people?status=registered").text
    assert "Sol Self" in registered and "Wade Waiting" not in registered and "1 person found" in registered
    invited = client.get("/admin/people?status=invited").text
    assert "Wade Waiting" in invited and "Sol Self" not in invited and "1 person found" in invited
    person = client.get(f"/admin/people/{sol.id}").text
    assert "Registered, not confirmed" in person and "has not confirmed the e-mail address yet" in person
    assert "has not accepted yet" not in person
    lines = client.get("/admin/people.csv?q=example.org").text.splitlines()
    assert any(line.startswith('"sol@example.org","Sol Self","Trainee","","Registered, not confirmed"') for line in lines)
    assert any(line.startswith('"wade@example.org","Wade Waiting","Trainee","","Invited"') for line in lines)
    assert "sol@example.org" in client.get("/admin/people.csv?status=registered").text
    spanish = client.get("/admin/people", headers={"Accept-Language": "es"}).text
    assert "Registrada, sin confirmar" in row(spanish, "Sol Self")
    # The dashboard counts the invitations its link lists: Wade's, not Sol's registration.
    assert re.search(r'<span class="stat">1</span> invitation waiting</a>', client.get("/dashboard").text)

    # Sent again, Sol's link comes as the registration's confirmation, not as an invitation nobody made.
    assert 'Send a new confirmation link' in person and 'Send a new invitation link' not in person
    caplog.clear()
    resent = client.post(f"/admin/people/{sol.id}/resend-invitation", follow_redirects=True)
    mailed = "\n".join(r.getMessage() for r in caplog.records if r.name == "training.mail")
    assert "Confirm your e-mail address" in mailed and "has invited you" not in mailed
    assert "sol@example.org" in resent.text
    wade = client.get(f"/admin/people/{user_by_email('wade@example.org').id}").text
    assert 'Send a new invitation link' in wade

    path = mailed_links(caplog)[0].replace("http://localhost", "")  # Sol's newest link
    assert path.startswith("/invitation/")
    app.test_client().post(path, data={"full_name": "Sol Self", "password": "a good long password",
                                       "confirm": "a good long password"})
    assert "Active" in row(client.get("/admin/people").text, "Sol Self")
    assert "Sol Self" not in client.get("/admin/people?status=registered").text


def test_people_list_pages(app, people, login_as, make_user):
    app.config["PEOPLE_PER_PAGE"] = 3
    for n in range(5):
        make_user(f"p{n}@example.org", name=f"Zed {n}")
    client = login_as(people["admin"])
    first = client.get("/admin/people")
    assert "Page 1 of 3" in first.text and "Next page" in first.text
    last = client.get("/admin/people?page=3")
    assert "Zed 4" in last.text and "Zed 0" not in last.text
    # A page past the end shows the last page, not "9 people found" over an empty list.
    past = client.get("/admin/people?page=99")
    assert past.status_code == 200 and "Page 3 of 3" in past.text and "Zed 4" in past.text
    assert "Nobody matches" not in past.text
    assert client.get("/admin/people?page=-4").status_code == 200
    assert "Nobody matches" in client.get("/admin/people?q=nobody-at-all&page=3").text


def test_invite_refuses_bad_input_and_saves_nothing(people, login_as):
    client = login_as(people["admin"])
    before = db.session.scalar(db.select(db.func.count()).select_from(User))
    page = client.post("/admin/people/invite", data={"full_name": "", "email": "not-an-email", "roles": []})
    # Refused as every other form refuses bad input: 400, with the messages beside the fields.
    assert page.status_code == 400
    assert "Enter the person&#39;s full name." in page.text
    assert "Enter an e-mail address like name@example.org." in page.text
    assert "Choose at least one role." in page.text
    page = client.post("/admin/people/invite", data={"full_name": "X", "email": "trainee@example.org",
                                                     "roles": ["trainee"]})
    assert page.status_code == 400 and "already has an account" in page.text
    page = client.post("/admin/people/invite", data={"full_name": "X", "email": "x@example.org",
                                                     "roles": ["wizard"]})
    assert page.status_code == 400 and "Choose from the roles listed." in page.text
    assert client.get("/admin/people/invite").status_code == 200
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == before


def test_a_text_over_its_length_limit_is_refused_with_the_fields_name(people, login_as):
    page = login_as(people["admin"]).post("/admin/people/invite", data={
        "full_name": "x" * 121, "email": "long@example.org", "roles": ["trainee"]})
    assert page.status_code == 400
    error = page.text.split('id="full_name-error">', 1)[1].split("</p>", 1)[0]
    assert error == "“Full name” can be at most 120 characters long; this one has 121."
    spanish = login_as(people["admin"]).post("/admin/people/invite", headers={"Accept-Language": "es"}, data={
        "full_name": "x" * 121, "email": "long@example.org", "roles": ["trainee"]}).text
    assert "«Nombre completo» admite como máximo 120 caracteres; el texto escrito tiene 121." in spanish


def test_invite_with_several_roles(people, login_as, caplog):
    caplog.set_level("INFO", logger="training.mail")
    client = login_as(people["admin"])
    client.post("/admin/people/invite", data={"full_name": "Dual Role", "email": "dual@example.org",
                                              "roles": ["trainee", "supervisor"]})
    user = user_by_email("dual@example.org")
    assert user.role_names == {"trainee", "supervisor"} and not user.has_accepted_invitation
    (event,) = events("user.invited")
    assert event.actor_id == people["admin"].id and event.subject_id == user.id
    assert event.details["roles"] == ["supervisor", "trainee"]


def test_changing_roles_is_audited_with_before_and_after(people, login_as):
    client = login_as(people["admin"])
    target = people["supervisor"]
    response = client.post(f"/admin/people/{target.id}/roles", data={"roles": ["supervisor", "trainee"]})
    assert response.status_code == 302
    assert user_by_email(target.email).role_names == {"supervisor", "trainee"}
    (event,) = events("user.roles_changed")
    assert event.details == {"before": ["supervisor"], "after": ["supervisor", "trainee"]}


def test_a_person_needs_a_role_and_admins_keep_their_own(people, login_as):
    client = login_as(people["admin"])
    page = client.post(f"/admin/people/{people['trainee'].id}/roles", data={"roles": []})
    assert page.status_code == 400 and "A person needs at least one role." in page.text
    page = client.post(f"/admin/people/{people['admin'].id}/roles", data={"roles": ["trainee"]})
    assert "You cannot remove your own administrator role." in page.text
    assert user_by_email("admin@example.org").role_names == {"admin"}
    assert events("user.roles_changed") == []


def test_deactivation_keeps_history_and_is_audited(course, people, login_as):
    trainee = people["trainee"]
    record_module_completion(trainee, course.active_modules[0])
    client = login_as(people["admin"])
    client.post(f"/admin/people/{trainee.id}/deactivate", data={"reason": "Moved away", "confirmed": "yes"})
    user = user_by_email(trainee.email)
    assert not user.active and user.deactivated_at is not None
    assert "1 of" in client.get(f"/admin/people/{trainee.id}").text  # progress kept
    (event,) = events("user.deactivated")
    assert event.details == {"reason": "Moved away"}
    client.post(f"/admin/people/{trainee.id}/reactivate")
    assert user_by_email(trainee.email).active
    assert len(events("user.reactivated")) == 1


def test_deactivation_needs_a_reason_and_asks_first(team, login_as):
    from training.supervision.services import EntryInput, log_entry

    log_entry(team["trainee"], EntryInput("service", date.today(), 60, "Advocacy"))
    db.session.commit()
    client = login_as(team["admin"])
    supervisor = team["supervisor"]
    page = client.post(f"/admin/people/{supervisor.id}/deactivate", data={"reason": "  "})
    assert page.status_code == 400 and "Give the reason, for the audit log." in page.text
    page = client.post(f"/admin/people/{supervisor.id}/deactivate", data={"reason": "Left the agency"})
    assert page.status_code == 200 and f"Deactivate {supervisor.full_name}?" in page.text
    assert "Left the agency" in page.text and "1 hour entry waits for their review." in page.text
    assert user_by_email(supervisor.email).active and events("user.deactivated") == []
    client.post(f"/admin/people/{supervisor.id}/deactivate", data={"reason": "Left the agency", "confirmed": "yes"})
    assert not user_by_email(supervisor.email).active
    assert [event.details["reason"] for event in events("user.deactivated")] == ["Left the agency"]


def test_an_admin_cannot_deactivate_themselves(people, login_as):
    client = login_as(people["admin"])
    page = client.post(f"/admin/people/{people['admin'].id}/deactivate", data={}, follow_redirects=True)
    assert "You cannot deactivate your own account." in page.text
    assert user_by_email("admin@example.org").active


def test_assigning_a_supervisor_with_dates(people, login_as):
    client = login_as(people["admin"])
    trainee, supervisor = people["trainee"], people["supervisor"]
    start = date.today() - timedelta(days=10)
    response = client.post(f"/admin/people/{trainee.id}/assignments", data={
        "supervisor_id": supervisor.id, "starts_on": start.isoformat(), "ends_on": ""})
    assert response.status_code == 302
    (assignment,) = db.session.scalars(db.select(SupervisorAssignment))
    assert assignment.starts_on == start and assignment.ends_on is None
    assert "Tina Trainee" in login_as(supervisor).get("/dashboard").text
    assert events("assignment.created")[0].details["supervisor"] == supervisor.email
    # End it yesterday: the trainee leaves the supervisor's current list.
    client.post(f"/admin/assignments/{assignment.id}/end",
                data={"ends_on": (date.today() - timedelta(days=1)).isoformat(), "confirmed": "yes"})
    assert "Tina Trainee" not in login_as(supervisor).get("/dashboard").text
    assert len(events("assignment.ended")) == 1


def test_bad_assignments_are_refused_with_a_message(people, login_as):
    client = login_as(people["admin"])
    trainee = people["trainee"]
    cases = [
        ({"supervisor_id": people["other_trainee"].id, "starts_on": "2026-01-01"}, "Choose one of the supervisors listed."),
        ({"supervisor_id": 0, "starts_on": "2026-01-01"}, "Choose a supervisor."),
        ({"supervisor_id": people["supervisor"].id, "starts_on": "not a date"}, "Enter a date like 2026-03-31."),
        ({"supervisor_id": people["supervisor"].id, "starts_on": "2026-03-01", "ends_on": "2026-02-01"},
         "The end date must be on or after the start date."),
    ]
    for data, message in cases:
        page = client.post(f"/admin/people/{trainee.id}/assignments", data=data)
        assert page.status_code == 400 and message in page.text, message
    assert db.session.scalar(db.select(db.func.count()).select_from(SupervisorAssignment)) == 0


def test_overlapping_assignment_to_the_same_supervisor_is_refused(people, login_as):
    client = login_as(people["admin"])
    data = {"supervisor_id": people["supervisor"].id, "starts_on": "2026-01-01"}
    client.post(f"/admin/people/{people['trainee'].id}/assignments", data=data)
    page = client.post(f"/admin/people/{people['trainee'].id}/assignments", data=data)
    assert "already supervises" in page.text


def test_audit_log_filters_by_action_person_and_date(people, login_as):
    client = login_as(people["admin"])
    client.post(f"/admin/people/{people['trainee'].id}/deactivate", data={"reason": "r", "confirmed": "yes"})
    client.post(f"/admin/people/{people['supervisor'].id}/roles", data={"roles": ["supervisor", "admin"]})
    page = client.get("/admin/audit?action=user.deactivated")
    assert "Deactivated" in page.text and "1 event." in page.text
    page = client.get("/admin/audit?person=sue")
    assert "Roles changed" in page.text and "Tina Trainee" not in page.text
    today = date.today().isoformat()
    assert "2 events." in client.get(f"/admin/audit?date_from={today}&date_to={today}").text
    assert "0 events." in client.get("/admin/audit?date_to=2000-01-01").text
    assert client.get("/admin/audit?date_from=garbage&action=nonsense").status_code == 200
    reversed_range = client.get(f"/admin/audit?date_from={today}&date_to=2000-01-01").text
    assert "This date is before the “From” date: enter the earlier date first." in reversed_range
    assert "0 events." not in reversed_range


def test_course_content_page_reloads_and_reports_errors(app, course, people, login_as, tmp_path):
    client = login_as(people["admin"])
    page = client.get("/admin/courses")
    assert course.title in page.text
    assert client.post("/admin/courses/sync").status_code == 302
    (tmp_path / "broken").mkdir()
    app.config["COURSES_DIR"] = str(tmp_path)
    page = client.post("/admin/courses/sync")
    assert page.status_code == 422 and "Nothing was changed" in page.text and "course.yaml" in page.text


def test_a_completed_course_is_logged_by_its_title_and_hours_in_the_readers_language(course, credentials, people,
                                                                                    login_as):
    from training.courses.services import complete_course

    complete_course(people["trainee"], course)
    credited = {credit.domain: credit.minutes for credit in course.credits}
    assert credited, "the course credits hours"
    admin = login_as(people["admin"])
    row = admin.get("/admin/audit?action=course.completed").text.split('class="details-cell">', 1)[1].split("</td>")[0]
    assert course.title in row and course.slug not in row
    domain, minutes = next(iter(credited.items()))
    assert f"{domain}: {minutes / 60:g} h" in row
    people["admin"].locale = "es"
    db.session.commit()
    row = admin.get("/admin/audit?action=course.completed").text.split('class="details-cell">', 1)[1].split("</td>")[0]
    assert "Fundamentos del apoyo entre pares para la recuperación" in row and "Advocacy" not in row
    assert "Defensa de derechos: " in row


def test_a_long_audit_log_is_counted_up_to_a_limit_and_paged_to_its_end(people, login_as, monkeypatch):
    from training.admin import services

    db.session.execute(insert(AuditEvent), [
        {"action": "hours.approved", "actor_id": people["supervisor"].id, "subject_id": people["trainee"].id,
         "details": {"entry": n}, "created_at": datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n)}
        for n in range(120)])
    db.session.commit()
    client = login_as(people["admin"])
    first = client.get("/admin/audit").text
    assert "120 events." in first and "Page 1 of 3" in first and 'rel="next"' in first
    monkeypatch.setattr(services.log_page, "__defaults__", (50, 100))  # count no further than 100
    first = client.get("/admin/audit").text
    assert "More than 100 events." in first and "Page 1<" in first and "Page 1 of" not in first
    last = client.get("/admin/audit?page=3").text
    assert "Page 3<" in last and 'rel="prev"' in last and 'rel="next"' not in last
    assert last.count("<tr>") == 1 + 20  # the header and the 20 oldest events


def test_the_audit_log_writes_stored_details_in_the_readers_language(people, credentials, login_as):
    from training import audit

    trainee = people["trainee"]
    audit.record("credential.enrolled", actor=people["admin"], subject=trainee, credential="peer-recovery-specialist",
                 started_on="2026-03-05")
    audit.record("cohort.joined", actor=people["admin"], subject=trainee, cohort=424242, how="administrator")
    audit.record("attendance.confirmed", actor=people["admin"], session=424242, cohort=424242,
                 credited={trainee.email: {"Advocacy": "2.5 h"}})
    people["admin"].locale = "es"
    db.session.commit()
    page = login_as(people["admin"]).get("/admin/audit").text
    assert "Especialista de apoyo entre pares para la recuperación" in page and "peer-recovery-specialist" not in page
    assert "5 de marzo de 2026" in page and "2026-03-05" not in page
    assert "añadido por un administrador" in page and ": administrator<" not in page
    assert f"{trainee.email}: Defensa de derechos: 2,5 h" in page and "2.5 h" not in page
