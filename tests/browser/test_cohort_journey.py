"""The live-training journey through real pages: an administrator sets a cohort up, the
trainer shows the check-in code, a trainee checks in on a phone, the trainer marks another
trainee as leaving an hour early and confirms, and both trainees' training hours rise."""
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from .conftest import ADMIN, NEW_TRAINEE, PHONE, TRAINEE, TRAINER

ADVOCACY, ETHICS = "Advocacy", "Ethical Responsibility"


def training_minutes(server, email):
    from training.auth.models import user_by_email
    from training.credentials.evaluation import evaluate_one
    from training.extensions import db

    with server.app.app_context():
        items = evaluate_one(user_by_email(email)).items
        db.session.remove()
    return {i.key.split(":", 1)[1]: i.minutes_done for i in items if i.key.startswith("training:")}


@pytest.mark.browser
def test_a_cohort_from_set_up_to_credited_hours(open_page, live_server):
    before = {email: training_minutes(live_server, email) for email in (TRAINEE, NEW_TRAINEE)}
    now = datetime.now(ZoneInfo(live_server.app.config["TIMEZONE"]))
    start = (now - timedelta(minutes=5)).replace(second=0, microsecond=0)

    admin = open_page(ADMIN)
    admin.goto("/cohorts/new")
    admin.get_by_label("Cohort name").fill("Winter cohort, mornings")
    admin.get_by_label("Training", exact=True).select_option(label="Course: Foundations of Peer Recovery Support")
    admin.get_by_label("First day").fill(start.date().isoformat())
    admin.get_by_label("Last day").fill((start + timedelta(days=14)).date().isoformat())
    admin.get_by_label("In person").check()
    admin.get_by_label("Address").fill("Harbour Street Drop-in, Room 1")
    admin.get_by_label("Taylor Brooks (trainer@example.org)").check()
    admin.get_by_role("button", name="Create cohort").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Winter cohort, mornings")
    cohort_path = re.sub(r"^https?://[^/]+", "", admin.url)

    for week, topic in enumerate(["Speaking up", "Sharing your story", "Boundaries"]):
        day = start + timedelta(days=7 * week)
        admin.get_by_role("link", name="Add a session").click()
        admin.get_by_label("Topic").fill(topic)
        admin.get_by_label("Date").fill(day.date().isoformat())
        admin.get_by_label("Starts at").fill(day.strftime("%H:%M"))
        admin.get_by_label("Ends at").fill((day + timedelta(hours=3)).strftime("%H:%M"))
        admin.get_by_label(ADVOCACY, exact=True).fill("2")
        admin.get_by_label(ETHICS, exact=True).fill("1")
        admin.get_by_role("button", name="Save session").click()
        expect(admin.get_by_text("Session added.")).to_be_visible()
    for email in (TRAINEE, NEW_TRAINEE):
        admin.get_by_label("Trainee's e-mail address").fill(email)
        admin.get_by_label("Enrol now").check()
        admin.get_by_role("button", name="Add trainee").click()
        expect(admin.get_by_text(re.compile(r"is enrolled\.$"))).to_be_visible()

    trainer = open_page(TRAINER)
    trainer.goto(cohort_path)
    trainer.get_by_role("link", name="Check-in code Speaking up").click()
    digits = trainer.locator("#code-digits").inner_text().replace(" ", "")
    assert re.fullmatch(r"\d{6}", digits)

    phone = open_page(TRAINEE, viewport=PHONE)
    phone.goto(cohort_path)
    phone.get_by_role("link", name="Check in").first.click()
    phone.get_by_label("Check-in code").fill(digits)
    phone.get_by_role("button", name="Check in").click()
    expect(phone.get_by_text("You are checked in")).to_be_visible()

    trainer.get_by_role("link", name="Back to the roster").click()
    robin = trainer.get_by_role("group", name=re.compile("Robin Okafor"))
    robin.get_by_label("Left early").check()
    robin.get_by_label("Minutes missed").fill("60")
    expect(trainer.get_by_role("group", name=re.compile("Jordan Lee"))).to_contain_text("Checked in")
    trainer.get_by_role("button", name="Save attendance").click()
    expect(trainer.get_by_text("Attendance saved.")).to_be_visible()
    signature = trainer.get_by_label("Your full name, as your signature")
    signature.fill("Taylor Brooks")
    signature.press("Enter")  # confirms, as the button beside it does, rather than only saving
    expect(trainer.get_by_text("training hours credited to 2 trainees.")).to_be_visible()

    after = {email: training_minutes(live_server, email) for email in (TRAINEE, NEW_TRAINEE)}
    assert after[TRAINEE][ADVOCACY] - before[TRAINEE][ADVOCACY] == 120
    assert after[TRAINEE][ETHICS] - before[TRAINEE][ETHICS] == 60
    # Two of three hours: 2 of the 3 credited hours, in proportion.
    assert after[NEW_TRAINEE][ADVOCACY] - before[NEW_TRAINEE][ADVOCACY] == 75
    assert after[NEW_TRAINEE][ETHICS] - before[NEW_TRAINEE][ETHICS] == 45

    trainer.goto(cohort_path)
    rows = trainer.get_by_role("table", name="Enrolled trainees, their attendance and credited hours")
    expect(rows.get_by_role("row", name=re.compile("Jordan Lee"))).to_contain_text("3 h")
    expect(rows.get_by_role("row", name=re.compile("Robin Okafor"))).to_contain_text("2 h")
    with trainer.expect_download() as download:
        trainer.get_by_role("link", name="Attendance report (CSV)").click()
    report = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "Robin Okafor" in report and "Left early (60 min missed)" in report

    phone.goto("/hours?status=approved")
    expect(phone.get_by_text("Signed by Taylor Brooks").first).to_be_visible()
