"""Supervision rights follow the assignment in force today: an ended assignment grants nothing,
and entries waiting for approval go to the trainee's supervisor today, or to the administrators."""
from datetime import date, timedelta

import pytest

from training.auth.models import SupervisorAssignment
from training.extensions import db
from training.supervision.models import Attachment, HourEntry

TODAY = date.today()


@pytest.fixture
def team(app, people, make_user, credentials):
    people["new_supervisor"] = make_user("new.supervisor@example.org", roles=("supervisor",), name="Nell New")
    people["assignment"] = SupervisorAssignment(supervisor=people["supervisor"], trainee=people["trainee"],
                                                starts_on=TODAY - timedelta(days=100))
    db.session.add(people["assignment"])
    db.session.commit()
    return people


def _pending(team, **extra):
    extra.setdefault("supervisor_id", team["supervisor"].id)
    entry = HourEntry(trainee_id=team["trainee"].id, kind="training",
                      occurred_on=TODAY - timedelta(days=2), minutes=60, domain="Advocacy", provider="Academy",
                      attachment=Attachment(owner_id=team["trainee"].id, filename="c.pdf",
                                            content_type="application/pdf", size=8, sha256="0" * 64,
                                            data=b"%PDF-1.4"), **extra)
    db.session.add(entry)
    db.session.commit()
    return entry


def _approve(client, entry, name):
    return client.post("/supervision/review", data={"entry": [entry.id], "decision": "approve", "signed_name": name})


def _end(team, login_as, ends_on=TODAY - timedelta(days=1)):
    return login_as(team["admin"]).post(f"/admin/assignments/{team['assignment'].id}/end",
                                        data={"ends_on": ends_on.isoformat(), "confirmed": "yes"},
                                        follow_redirects=True)


def test_an_ended_assignment_grants_the_former_supervisor_nothing(team, login_as):
    entry = _pending(team)
    former = login_as(team["supervisor"])
    assert entry.trainee.full_name in former.get("/supervision/review").text  # before: theirs to review
    _end(team, login_as)
    assert team["trainee"].full_name not in former.get("/supervision/review").text
    assert _approve(former, entry, "Sue Supervisor").status_code == 400
    assert db.session.get(HourEntry, entry.id).status == "pending"
    assert former.get(f"/hours/{entry.id}/certificate").status_code == 404
    assert former.get(f"/supervisees/{team['trainee'].id}").status_code == 404
    assert former.get(f"/supervisees/{team['trainee'].id}/hours.csv").status_code == 404
    assert former.get(f"/supervisees/{team['trainee'].id}/report.pdf").status_code == 404
    response = former.post("/supervision/sessions/new", data={
        "format": "individual", "occurred_on": TODAY.isoformat(), "hours": "1", "domain": "Advocacy",
        "trainees": [team["trainee"].id], "signed_name": "Sue Supervisor"})
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(HourEntry)) == 1


def test_an_entry_sent_to_a_supervisor_is_not_theirs_once_the_assignment_has_lapsed(team, login_as):
    """An end date set ahead of time takes effect on its own, without anyone moving the entries."""
    entry = _pending(team)
    team["assignment"].ends_on = TODAY - timedelta(days=1)
    db.session.commit()
    assert db.session.get(HourEntry, entry.id).supervisor_id == team["supervisor"].id
    former = login_as(team["supervisor"])
    assert _approve(former, entry, "Sue Supervisor").status_code == 400
    assert former.get(f"/hours/{entry.id}/certificate").status_code == 404
    page = login_as(team["admin"]).get("/supervision/review").text
    assert team["trainee"].full_name in page


def test_ending_an_assignment_sends_waiting_entries_to_the_current_supervisor(team, login_as):
    entry = _pending(team)
    db.session.add(SupervisorAssignment(supervisor=team["new_supervisor"], trainee=team["trainee"],
                                        starts_on=TODAY - timedelta(days=1)))
    db.session.commit()
    page = _end(team, login_as).text
    assert "1 entry waiting for approval now goes to Nell New." in page
    assert db.session.get(HourEntry, entry.id).supervisor_id == team["new_supervisor"].id
    current = login_as(team["new_supervisor"])
    assert current.get(f"/hours/{entry.id}/certificate").status_code == 200
    assert _approve(current, entry, "Nell New").status_code == 302
    assert db.session.get(HourEntry, entry.id).status == "approved"


def test_with_no_supervisor_left_the_administrators_review_waiting_entries(team, login_as):
    entry = _pending(team)
    page = _end(team, login_as).text
    assert "1 entry waiting for approval now goes to the administrators." in page
    assert db.session.get(HourEntry, entry.id).supervisor_id is None
    admin = login_as(team["admin"])
    assert "1 hour entry is waiting with no supervisor to review it." in admin.get("/dashboard").text
    review = admin.get("/supervision/review").text
    assert team["trainee"].full_name in review and "no supervisor today" in review
    assert _approve(admin, entry, "Ada Admin").status_code == 302
    approved = db.session.get(HourEntry, entry.id)
    assert approved.status == "approved" and approved.supervisor_id == team["admin"].id
    assert "with no supervisor" not in admin.get("/dashboard").text


def test_administrators_do_not_see_entries_that_a_supervisor_reviews(team, login_as):
    _pending(team)
    admin = login_as(team["admin"])
    assert "Nothing is waiting for your review." in admin.get("/supervision/review").text
    assert "with no supervisor" not in admin.get("/dashboard").text


def test_assigning_a_supervisor_sends_them_the_waiting_entries(team, login_as):
    team["assignment"].ends_on = TODAY - timedelta(days=10)
    db.session.commit()
    entry = _pending(team, supervisor_id=None)
    response = login_as(team["admin"]).post(f"/admin/people/{team['trainee'].id}/assignments", data={
        "supervisor_id": team["new_supervisor"].id, "starts_on": TODAY.isoformat()})
    assert response.status_code == 302
    assert db.session.get(HourEntry, entry.id).supervisor_id == team["new_supervisor"].id
    assert team["trainee"].full_name in login_as(team["new_supervisor"]).get("/supervision/review").text


def test_deactivating_a_supervisor_sends_their_supervisees_entries_to_the_administrators(team, login_as):
    entry = _pending(team)
    login_as(team["admin"]).post(f"/admin/people/{team['supervisor'].id}/deactivate",
                                 data={"reason": "left", "confirmed": "yes"})
    assert db.session.get(HourEntry, entry.id).supervisor_id is None
    assert team["trainee"].full_name in login_as(team["admin"]).get("/supervision/review").text


def _ask_to_end(team, login_as, ends_on):
    return login_as(team["admin"]).post(f"/admin/assignments/{team['assignment'].id}/end",
                                        data={"ends_on": ends_on.isoformat()})


def test_ending_an_assignment_first_says_what_will_happen_and_changes_nothing(team, login_as):
    entry = _pending(team)
    db.session.add(SupervisorAssignment(supervisor=team["new_supervisor"], trainee=team["trainee"],
                                        starts_on=TODAY - timedelta(days=1)))
    db.session.commit()
    response = _ask_to_end(team, login_as, TODAY - timedelta(days=1))
    assert response.status_code == 200
    page = response.text
    assert "End the supervision of Tina Trainee by Sue Supervisor?" in page
    assert "Sue Supervisor stops supervising Tina Trainee at once" in page
    assert "Nell New reviews the hours of Tina Trainee." in page
    assert "1 hour entry waiting for approval goes to Nell New at once." in page
    assert 'name="confirmed" type="hidden" value="yes"' in page
    db.session.expire_all()
    assert db.session.get(SupervisorAssignment, team["assignment"].id).ends_on is None
    assert db.session.get(HourEntry, entry.id).supervisor_id == team["supervisor"].id
    assert team["trainee"].full_name in login_as(team["supervisor"]).get("/supervision/review").text


def test_an_end_date_ahead_says_until_when_and_who_follows(team, login_as):
    _pending(team)
    page = _ask_to_end(team, login_as, TODAY + timedelta(days=30)).text
    assert "Sue Supervisor supervises Tina Trainee until" in page and "that day included" in page
    assert "has no supervisor: their hours wait in the administrators’ review queue" in page
    assert "waiting for approval go" not in page  # nothing moves before the end date
    db.session.expire_all()
    assert db.session.get(SupervisorAssignment, team["assignment"].id).ends_on is None


def test_an_end_before_the_start_is_refused_before_asking(team, login_as):
    response = login_as(team["admin"]).post(f"/admin/assignments/{team['assignment'].id}/end",
                                            data={"ends_on": (TODAY - timedelta(days=200)).isoformat()},
                                            follow_redirects=True)
    assert "The end date must be on or after the start date." in response.text
    assert "End the supervision of" not in response.text
    db.session.expire_all()
    assert db.session.get(SupervisorAssignment, team["assignment"].id).ends_on is None


def test_a_supervisor_who_cannot_review_is_not_shown_as_current(team, login_as):
    admin = login_as(team["admin"])
    trainee_page = f"/admin/people/{team['trainee'].id}"
    assert 'badge-done">Current<' in admin.get(trainee_page).text
    admin.post(f"/admin/people/{team['supervisor'].id}/deactivate", data={"reason": "left", "confirmed": "yes"})
    page = admin.get(trainee_page).text
    assert "Not reviewing: account deactivated" in page and ">Current<" not in page
    assert "Not reviewing: account deactivated" in admin.get(f"/admin/people/{team['supervisor'].id}").text


def test_taking_the_supervisor_role_away_says_where_the_waiting_entries_went_and_giving_it_back_returns_them(
        team, login_as):
    entry = _pending(team)
    admin = login_as(team["admin"])
    roles = f"/admin/people/{team['supervisor'].id}/roles"
    page = admin.post(roles, data={"roles": ["trainee"]}, follow_redirects=True).text
    assert ("1 entry that waited for Sue Supervisor’s review now goes to the trainee’s other supervisor, "
            "or to the administrators’ review queue.") in page
    assert db.session.get(HourEntry, entry.id).supervisor_id is None
    assert "Not reviewing: no longer a supervisor" in admin.get(f"/admin/people/{team['trainee'].id}").text
    page = admin.post(roles, data={"roles": ["supervisor"]}, follow_redirects=True).text
    assert "1 entry waiting for review goes back to Sue Supervisor." in page
    db.session.expire_all()
    assert db.session.get(HourEntry, entry.id).supervisor_id == team["supervisor"].id
    assert 'badge-done">Current<' in admin.get(f"/admin/people/{team['trainee'].id}").text
