"""Review: each entry approved or returned with its own comment in one submission, filtered by
supervisee, with running totals and an error summary that leads to the rows."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from training.audit import AuditEvent
from training.auth.models import SupervisorAssignment
from training.extensions import db
from training.supervision.models import HourEntry
from training.supervision.services import EntryInput, log_entry, review_entries

TODAY = date.today()


@pytest.fixture
def team(app, people, credentials, make_user):
    jordan = make_user("jordan@example.org", name="Jordan Lee")
    for trainee in (people["trainee"], jordan):
        db.session.add(SupervisorAssignment(supervisor=people["supervisor"], trainee=trainee,
                                            starts_on=TODAY - timedelta(days=60)))
    db.session.commit()
    return {**people, "jordan": jordan}


def _log(trainee, days_ago=1, minutes=120):
    return log_entry(trainee, EntryInput("service", TODAY - timedelta(days=days_ago), minutes, "Advocacy"))


def status(entry):
    found = db.session.get(HourEntry, entry.id)
    return found.status, found.review_comment


def test_each_row_is_approved_or_returned_with_its_own_comment_in_one_submission(team, login_as):
    first, second, third = (_log(team["trainee"], days_ago=d) for d in (1, 2, 3))
    client = login_as(team["supervisor"])
    response = client.post("/supervision/review", data={
        f"decision-{first.id}": "approve", f"comment-{first.id}": "Thanks, well recorded.",
        f"decision-{second.id}": "return", f"comment-{second.id}": "Split this over two days.",
        f"decision-{third.id}": "", "signed_name": "Sue Supervisor"})
    assert response.status_code == 302
    assert status(first) == ("approved", "Thanks, well recorded.")
    assert status(second) == ("returned", "Split this over two days.")
    assert status(third) == ("pending", "")
    page = client.get(response.location).text
    assert "1 entry approved and signed, 1 returned." in page
    assert f'name="decision-{third.id}"' in page and f'name="decision-{first.id}"' not in page


def test_returning_without_a_comment_lists_the_problem_at_the_top_linked_to_the_row_and_saves_nothing(team,
                                                                                                    login_as):
    first, second = _log(team["trainee"], days_ago=1), _log(team["jordan"], days_ago=2, minutes=90)
    response = login_as(team["supervisor"]).post("/supervision/review", data={
        f"decision-{first.id}": "approve", f"decision-{second.id}": "return", f"comment-{second.id}": "  ",
        "signed_name": "Someone Else"})
    assert response.status_code == 400
    page = response.text
    summary = page.split('class="error-summary"')[1].split("</div>")[0]
    assert "Nothing was saved: 2 problems to correct" in summary
    assert f'href="#comment-{second.id}"' in summary and "Jordan Lee" in summary
    assert "Say what needs to change" in summary
    assert 'href="#signed_name"' in summary and "Type your full name exactly" in summary
    assert f'id="comment-{second.id}"' in page and f'id="comment-{second.id}-error"' in page
    assert 'aria-invalid="true"' in page
    # The choices made are kept, and the running totals follow them.
    assert re.search(rf'<input type="radio" name="decision-{first.id}" id="decision-{first.id}-approve" '
                     r'value="approve" checked>', page)
    assert "To approve: <strong>1 entry, 2 h</strong>" in page and "To return: <strong>1 entry, 1.5 h</strong>" in page
    assert status(first) == ("pending", "") and status(second) == ("pending", "")


def test_a_comment_that_identifies_someone_is_refused_on_its_row(team, login_as):
    entry = _log(team["trainee"])
    response = login_as(team["supervisor"]).post("/supervision/review", data={
        f"decision-{entry.id}": "return", f"comment-{entry.id}": "Call me at 555-123-4567 about it"})
    assert response.status_code == 400 and "a phone number" in response.text
    assert f'href="#comment-{entry.id}"' in response.text and status(entry) == ("pending", "")


def test_submitting_with_every_row_left_for_later_says_so(team, login_as):
    _log(team["trainee"])
    response = login_as(team["supervisor"]).post("/supervision/review", data={"signed_name": ""})
    assert response.status_code == 400 and "Choose approve or return for at least one entry." in response.text
    assert 'href="#review-entries"' in response.text


def test_the_dashboard_link_opens_the_list_filtered_to_that_supervisee_with_totals(team, login_as):
    for days in (1, 2, 3):
        _log(team["jordan"], days_ago=days, minutes=60)
    _log(team["trainee"], days_ago=4, minutes=45)
    client = login_as(team["supervisor"])
    dashboard = client.get("/dashboard").text
    link = re.search(r'href="([^"]+)">Review 3 entries<span class="visually-hidden"> of Jordan Lee', dashboard)
    assert link, "the dashboard links to Jordan's entries"
    page = client.get(link.group(1).replace("&amp;", "&")).text
    assert "Tina Trainee" not in page.split("<tbody>")[1]
    assert page.split("<tbody>")[1].count("<strong>Jordan Lee</strong>") == 3
    assert re.search(r'<option value="\d+" selected>Jordan Lee \(3 entries, 3 h\)</option>', page)
    assert "Everyone (4 entries, 3.75 h)" in page
    # The running total grows down the list: 1 h, 2 h, 3 h.
    totals = re.findall(r'data-label="Waiting so far, in all" class="num">([^<]+)<', page)
    assert totals == ["1 h", "2 h", "3 h"]


def test_filtering_by_someone_who_is_not_ones_supervisee_shows_nobody_elses_entries(team, login_as, make_user):
    stranger = make_user("stranger@example.org", name="Stan Stranger")
    _log(team["trainee"])
    page = login_as(team["supervisor"]).get(f"/supervision/review?trainee={stranger.id}").text
    assert "Stan Stranger" not in page and "Tina Trainee" in page
    assert login_as(team["supervisor"]).get("/supervision/review?trainee=99999999999999").status_code == 200


@pytest.mark.config(REVIEW_BATCH=3)
def test_a_long_queue_shows_the_oldest_batch_and_says_how_many_wait(team, login_as):
    entries = [_log(team["trainee"], days_ago=d) for d in (1, 2, 3, 4, 5)]
    page = login_as(team["supervisor"]).get("/supervision/review").text
    shown = re.findall(r'<fieldset id="decision-(\d+)"', page)
    assert len(shown) == 3
    assert [int(i) for i in shown] == [e.id for e in entries[:3]]  # submitted first, shown first
    assert "Showing the 3 oldest of 5 waiting entries." in page


def test_an_entry_decided_meanwhile_by_someone_else_is_not_decided_again(team, login_as):
    """Two supervisors (or two tabs) deciding one entry at once: the one who comes second finds it
    decided and changes nothing, instead of approving over a return or signing it twice."""
    entry = _log(team["trainee"])
    stale = db.session.get(HourEntry, entry.id)
    assert stale.status == "pending"  # as the second reviewer's request read it
    with db.engine.begin() as first_reviewer:
        first_reviewer.execute(text("UPDATE hour_entry SET status = 'returned', review_comment = 'Add the place.' "
                                    "WHERE id = :id"), {"id": entry.id})
    assert review_entries(team["supervisor"], [stale], "approve", signed_name="Sue Supervisor") == []
    db.session.expire_all()
    assert status(entry) == ("returned", "Add the place.")
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "hours.approved")) == 0
