"""Daily work in a real browser: a supervisor decides each entry on its own from the dashboard's
link, the trainee is told; a trainee logging hours switches their kind without losing what was
typed; an administrator reads the programme overview and revokes with a confirmation."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import ADMIN, PHONE, SUPERVISOR, TRAINEE
from .test_accessibility import issued_certificate

pytestmark = pytest.mark.browser


def heading(page):
    return page.get_by_role("heading", level=1)


def test_a_supervisor_returns_one_entry_with_a_comment_and_the_trainee_is_told(open_page, live_server):
    supervisor = open_page(SUPERVISOR)
    supervisor.goto("/dashboard")
    supervisor.get_by_role("link", name=re.compile(r"^Review \d+ entr(y|ies) of Jordan Lee$")).click()
    expect(supervisor).to_have_url(re.compile(rf"/supervision/review\?trainee={live_server.user_ids[TRAINEE]}$"))
    expect(supervisor.get_by_label("Supervisee")).to_have_value(str(live_server.user_ids[TRAINEE]))
    rows = supervisor.locator("#review-entries tbody tr")
    expect(rows.first).to_contain_text("Jordan Lee")
    count = rows.count()
    assert count >= 1 and all("Jordan Lee" in rows.nth(i).inner_text() for i in range(count))

    # Returning without a comment: nothing is saved, the summary at the top leads to the row.
    rows.first.get_by_label("Return").check()
    expect(supervisor.locator("#review-totals")).to_contain_text("To return: 1 entry")
    supervisor.get_by_role("button", name="Save these decisions").click()
    summary = supervisor.locator(".error-summary")
    expect(summary).to_contain_text("Say what needs to change")
    summary.get_by_role("link").first.click()
    comment = supervisor.locator("#review-entries tbody tr").first.locator("textarea")
    expect(comment).to_be_focused()
    comment.fill("Please add the organisation where you worked.")
    supervisor.get_by_role("button", name="Save these decisions").click()
    expect(supervisor.get_by_role("status")).to_contain_text("1 returned.")
    expect(supervisor.locator("#review-entries tbody tr")).to_have_count(count - 1)

    trainee = open_page(TRAINEE, viewport=PHONE)
    trainee.goto("/dashboard")
    expect(trainee.get_by_text("All fine")).to_have_count(0)
    expect(trainee.locator(".callout-warning")).to_contain_text("returned to you for changes")
    trainee.get_by_role("link", name=re.compile(r"^Notifications \d+ unread$")).click()
    expect(heading(trainee)).to_have_text("Notifications")
    expect(trainee.locator(".notification-unread").first).to_contain_text(
        "Please add the organisation where you worked.")
    assert trainee.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    trainee.get_by_role("button", name="Mark all as read").click()
    expect(trainee.get_by_role("status")).to_contain_text("marked as read")
    expect(trainee.locator(".notification-unread")).to_have_count(0)


def entries_of(live_server, email):
    """The hour entries of the person with ``email``, newest first, read from the server's database."""
    from training.auth.models import User
    from training.extensions import db
    from training.supervision.models import HourEntry

    with live_server.app.app_context():
        person = db.session.scalar(db.select(User).where(User.email == email))
        entries = [(e.kind, e.minutes, e.note) for e in db.session.scalars(
            db.select(HourEntry).where(HourEntry.trainee_id == person.id).order_by(HourEntry.id.desc()))]
        db.session.remove()
    return entries


def test_a_trainee_who_switches_the_kind_of_hours_keeps_what_was_typed(open_page, live_server):
    """Each kind is a button that sends the form as typed so far: the other kind's form comes back with
    every value in it, and nothing is saved until the hours are sent."""
    before = entries_of(live_server, TRAINEE)
    trainee = open_page(TRAINEE, viewport=PHONE)
    trainee.goto("/hours/new")
    hours, note = trainee.get_by_label("Hours", exact=True), trainee.get_by_label("Note (optional)")
    domain = trainee.get_by_label("Domain", exact=True)
    hours.fill("1.75")
    domain.select_option(index=2)
    chosen = domain.input_value()
    note.fill("Weekly check-in about a hard week at the centre.")

    trainee.get_by_role("button", name="Supervision received").click()

    # The page comes back where the trainee was, at the kinds, and the next Tab reaches them.
    expect(trainee.get_by_role("heading", name="What kind of hours?")).to_be_focused()
    expect(trainee.get_by_role("button", name="Supervision received")).to_have_attribute("aria-pressed", "true")
    expect(trainee.get_by_role("button", name="Peer support work")).to_have_attribute("aria-pressed", "false")
    expect(trainee.get_by_label("Group", exact=True)).to_be_visible()
    expect(hours).to_have_value("1.75")
    expect(domain).to_have_value(chosen)
    expect(note).to_have_value("Weekly check-in about a hard week at the centre.")
    expect(trainee.locator(".error-summary")).to_have_count(0)
    assert entries_of(live_server, TRAINEE) == before
    assert trainee.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # Enter in a field sends the hours, as before the kinds were buttons; it does not switch the kind.
    hours.press("Enter")
    expect(trainee).to_have_url(re.compile(r"/hours$"))
    expect(trainee.get_by_role("status").filter(has_text="Hours sent to your supervisor for approval.")).to_be_visible()
    assert entries_of(live_server, TRAINEE) == [
        ("supervision", 105, "Weekly check-in about a hard week at the centre."), *before]


def test_an_administrator_filters_the_programme_overview_and_revokes_after_confirming(open_page, live_server):
    admin = open_page(ADMIN)
    admin.goto("/dashboard")
    admin.get_by_role("link", name="Programme overview").click()
    expect(heading(admin)).to_have_text("Programme overview")
    expect(admin.locator("tbody tr").first).to_be_visible()
    admin.get_by_label("Only trainees at risk of burnout").check()
    admin.get_by_role("button", name="Filter").click()
    expect(admin).to_have_url(re.compile(r"risk=at_risk"))
    for badge in admin.locator("tbody td[data-label='Burnout signal'] .badge").all():
        expect(badge).to_have_text("At risk")
    with admin.expect_download() as download:
        admin.get_by_role("link", name="Download as CSV").click()
    assert download.value.suggested_filename == "programme-overview.csv"

    admin.goto(issued_certificate(live_server))
    admin.get_by_label("Public reason (shown on the verification page)").fill("Issued to the wrong person")
    admin.get_by_role("button", name="Revoke certificate").click()
    expect(heading(admin)).to_contain_text("Revoke certificate")
    admin.get_by_role("link", name="No, keep it valid").click()
    expect(admin.locator(".page-head .badge")).to_have_text("Valid")


def test_a_jobs_page_shows_progress_in_place_without_reloading(open_page, live_server):
    """The job's page never reloads itself under the reader (an automatic refresh fails WCAG 2.2.1):
    it reads the job again in the background and updates the status line, a live region, in place."""
    from training.extensions import db
    from training.jobs.models import Job

    with live_server.app.app_context():
        job = Job(kind="reminders", started_by_id=live_server.user_ids[ADMIN], status="queued", total=3, done=0)
        db.session.add(job)
        db.session.commit()
        job_id = job.id
        db.session.remove()

    admin = open_page(ADMIN)
    admin.goto(f"/jobs/{job_id}")
    assert admin.locator('meta[http-equiv="refresh"]').count() == 0
    status = admin.get_by_role("status")
    expect(status).to_contain_text("0 of 3 processed")
    admin.evaluate("window.notReloaded = true")

    with live_server.app.app_context():
        job = db.session.get(Job, job_id)
        job.status, job.done = "running", 2
        db.session.commit()
        db.session.remove()
    expect(status).to_contain_text("2 of 3 processed", timeout=8_000)
    expect(status).to_contain_text("Working…")

    with live_server.app.app_context():
        job = db.session.get(Job, job_id)
        job.status, job.done, job.summaries = "finished", 3, {"en": "Sent 3 reminders."}
        db.session.commit()
        db.session.remove()
    expect(status).to_contain_text("Finished", timeout=8_000)
    expect(admin.get_by_text("Sent 3 reminders.")).to_be_visible()
    assert admin.evaluate("window.notReloaded") is True
    expect(admin.locator("#job-live")).not_to_have_attribute("data-poll", re.compile(".*"))
