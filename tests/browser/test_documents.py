"""Board-ready documents and explained numbers, through the real pages, at desktop and phone widths.

A supervisor fills in their professional details and downloads a supervisee's verification
report; a trainee reads where their training hours come from and how the wellbeing score is
made; anyone opens a certificate's verification page and sees the certificate itself.
"""
import io
import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from pypdf import PdfReader

from .conftest import DESKTOP, PHONE, ROOT, SUPERVISOR, TRAINEE

AXE = Axe()
AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {"target-size": {"enabled": True}}}
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR") or ROOT / "test-artifacts" / "screenshots")


def looks_right(page, name):
    """At both widths: no axe violations, no sideways scroll on a phone, and a screenshot kept for CI."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        violations = AXE.run(page, options=AXE_OPTIONS).response["violations"]
        assert violations == [], f"{name} at {viewport['width']} px: {[v['id'] for v in violations]}"
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{name} scrolls sideways at {viewport['width']} px: {widths}"
        page.screenshot(path=SCREENSHOTS / f"{name}-{viewport['width']}.png", full_page=True)
    page.set_viewport_size(DESKTOP)


@pytest.mark.browser
def test_a_supervisor_completes_their_details_and_downloads_a_board_ready_report(open_page, live_server):
    page = open_page(SUPERVISOR)
    trainee_id = live_server.user_ids[TRAINEE]
    page.goto(f"/supervisees/{trainee_id}")
    page.get_by_role("link", name="Complete your professional details").click()

    page.get_by_label("Work phone").fill("not a number")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_role("heading", name="Please correct the following")).to_be_visible()
    looks_right(page, "account-profile-with-errors")

    page.get_by_label("Job title").fill("Clinical supervisor")
    page.get_by_label("Professional credential").fill("Licensed Clinical Social Worker")
    page.get_by_label("Credential or licence number").fill("LCSW-0481726")
    page.get_by_label("Work phone").fill("+1 555 010 0142")
    page.get_by_label("Organisation", exact=True).fill("Riverside Recovery Community Centre")
    page.get_by_label("Organisation address").fill("12 Mill Lane\nRiverside, OR 97000")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_role("status")).to_contain_text("Your details are saved.")

    page.goto(f"/supervisees/{trainee_id}")
    expect(page.get_by_role("link", name="Complete your professional details")).to_have_count(0)
    report = page.get_by_role("group", name="Report for")
    expect(report.get_by_role("radio")).not_to_have_count(0)
    looks_right(page, "supervisee-report")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download PDF").click()
    pdf = Path(download.value.path()).read_bytes()
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    for expected in ("Supervision verification report", "Clinical supervisor", "LCSW-0481726", "+1 555 010 0142",
                     "12 Mill Lane", "Supervision frequency", "Training hours credited", "Supervisor signature"):
        assert expected in text, expected


@pytest.mark.browser
def test_a_trainee_reads_where_their_numbers_come_from(open_page):
    page = open_page(TRAINEE)
    page.goto("/progress")
    expect(page.get_by_role("heading", name="Course and exam")).to_be_visible()
    expect(page.get_by_role("heading", name="Where training hours come from").first).to_be_visible()
    expect(page.locator(".explain-list li").first).to_contain_text(
        "come from live training sessions or external training")
    looks_right(page, "progress-explained")

    page.goto("/wellbeing")
    expect(page.get_by_role("heading", name="How the score works")).to_be_visible()
    looks_right(page, "wellbeing-explained")


@pytest.mark.browser
def test_the_verification_page_shows_the_certificate_itself(open_page, live_server):
    path = live_server.verify_path()
    page = open_page()
    page.goto(path)
    image = page.locator(".certificate-figure img")
    expect(image).to_be_visible()
    assert page.evaluate("(img) => img.complete && img.naturalWidth", image.element_handle()) >= 1000
    expect(page.get_by_role("link", name="LinkedIn")).to_be_visible()
    looks_right(page, "verify-with-image")
