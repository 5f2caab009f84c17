"""Accessibility in a real browser: axe-core on every main page, phone layout, keyboard use.

axe runs with its default rules (WCAG 2.0 and 2.1 A and AA, plus best practices) and with
WCAG 2.2's "target-size" (2.5.8, AA) turned on: axe-core 4.12 ships that rule, the only
WCAG 2.2 AA rule it has, disabled by default. A page passes only with zero violations.
"""
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from axe_playwright_python.base import AxeResults
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from .conftest import ADMIN, COURSE_SLUG, DESKTOP, PHONE, QUIZ_TAKER, READY, ROOT, SUPERVISOR, TRAINEE, TRAINER


class AxeSentOncePerPage(Axe):
    """axe-core, its 570 KB script sent to a page only when the page does not hold it yet: a page
    checked at two widths receives it once."""

    def run(self, page, context=None, options=None):
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self.axe_script)
        return AxeResults(page.evaluate(f"axe.run({self._format_script_args(context=context, options=options)})"))


AXE = AxeSentOncePerPage()
DATA = ROOT / "tests" / "data"
AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {"target-size": {"enabled": True}}}
VIEWPORTS = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]


def submit_empty_login(page):
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".field-invalid").first).to_be_visible()


def submit_empty_invitation(page):
    page.get_by_label("Trainee").uncheck()
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("heading", name="Please correct the following")).to_be_visible()


def start_or_continue_an_attempt(page):
    # A new attempt, or the one left open by an earlier run against the same account.
    page.get_by_role("button", name=re.compile(r"^Start (attempt|the quiz)")).or_(
        page.get_by_role("link", name=re.compile(r"^Continue attempt"))).first.click()
    expect(page.locator("fieldset.question").first).to_be_visible()


def open_the_first_review(page):
    page.get_by_role("link", name="Review attempt 1").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Attempt 1")


def submit_empty_cohort(page):
    page.get_by_label("Cohort name").fill("")
    page.get_by_role("button", name="Create cohort").click()
    expect(page.get_by_role("heading", name="Please correct the following")).to_be_visible()


def upload_a_question_bank(page):
    page.get_by_label("Question file").set_input_files(DATA / "all_forms.gift")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Preview: all_forms.gift")


def return_without_a_comment(page):
    page.locator("input[type=radio][value=return]").first.check()
    page.get_by_role("button", name="Save these decisions").click()
    expect(page.locator(".error-summary")).to_be_visible()


def invite_without_mail(page):
    from uuid import uuid4

    page.get_by_label("Full name").fill("Audit Invitee")
    page.get_by_label("E-mail address").fill(f"audit.{uuid4().hex[:8]}@example.org")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_label("One-time invitation link")).to_be_visible()


def ask_to_revoke(page):
    page.get_by_label("Public reason (shown on the verification page)").fill("Issued in error")
    page.get_by_role("button", name="Revoke certificate").click()
    expect(page.get_by_role("button", name=re.compile(r"^Yes, revoke"))).to_be_visible()


def issued_certificate(server):
    """The detail page of the certificate issued to the quiz taker (issued once)."""
    from training.certificates.models import Certificate
    from training.extensions import db

    code = server.verify_path().rsplit("/", 1)[1].replace("-", "")
    with server.app.app_context():
        certificate_id = db.session.scalar(db.select(Certificate.id).where(Certificate.code == code))
        db.session.remove()
    return f"/admin/certificates/{certificate_id}"


def demo_cohort(server):
    """(cohort id, the session running now, the first, confirmed, session) of the demo cohort."""
    from training.cohorts.models import Cohort
    from training.demo import DEMO_COHORT
    from training.extensions import db

    with server.app.app_context():
        cohort = db.session.scalar(db.select(Cohort).where(Cohort.title == DEMO_COHORT))
        ids = cohort.id, cohort.sessions[3].id, cohort.sessions[0].id
        db.session.remove()
    return ids


@dataclass(frozen=True)
class AuditedPage:
    name: str
    as_user: str | None
    path: str | Callable
    then: Callable | None = None   # what to do on the page before checking it
    status: int = 200

    def open(self, page, server):
        path = self.path(server) if callable(self.path) else self.path
        response = page.goto(path)
        assert response.status == self.status, f"{path} answered {response.status}"
        if self.then:
            self.then(page)
            # A form's answer counts as shown once its text is there, which can be before its
            # stylesheet has arrived; axe must measure the page as a person sees it.
            page.wait_for_load_state("load")
        return page


PAGES = [
    AuditedPage("login", None, "/login"),
    AuditedPage("login-with-errors", None, "/login", then=submit_empty_login),
    AuditedPage("forgot-password", None, "/password/forgot"),
    AuditedPage("dashboard-trainee", TRAINEE, "/dashboard"),
    AuditedPage("dashboard-supervisor", SUPERVISOR, "/dashboard"),
    AuditedPage("dashboard-admin", ADMIN, "/dashboard"),
    AuditedPage("courses", TRAINEE, "/courses/"),
    AuditedPage("course", TRAINEE, f"/courses/{COURSE_SLUG}"),
    AuditedPage("module", TRAINEE, lambda server: server.module_path(1)),
    AuditedPage("account", TRAINEE, "/account"),
    AuditedPage("quiz", TRAINEE, lambda server: server.quiz_path(4)),
    AuditedPage("quiz-attempt", QUIZ_TAKER, lambda server: server.quiz_path(1), then=start_or_continue_an_attempt),
    AuditedPage("quiz-review", READY, lambda server: server.quiz_path(1), then=open_the_first_review),
    AuditedPage("final-exam", READY, lambda server: server.quiz_path("exam")),
    AuditedPage("hours", TRAINEE, "/hours"),
    AuditedPage("hours-new", TRAINEE, "/hours/new"),
    AuditedPage("progress", TRAINEE, "/progress"),
    AuditedPage("wellbeing", TRAINEE, "/wellbeing"),
    AuditedPage("supervision", SUPERVISOR, "/supervision"),
    AuditedPage("supervision-session-new", SUPERVISOR, "/supervision/sessions/new"),
    AuditedPage("supervision-review", SUPERVISOR, "/supervision/review"),
    AuditedPage("supervisee", SUPERVISOR, lambda server: f"/supervisees/{server.user_ids[TRAINEE]}"),
    AuditedPage("admin-people", ADMIN, "/admin/people"),
    AuditedPage("admin-person", ADMIN, lambda server: f"/admin/people/{server.user_ids[TRAINEE]}"),
    AuditedPage("admin-invite", ADMIN, "/admin/people/invite"),
    AuditedPage("admin-invite-with-errors", ADMIN, "/admin/people/invite", then=submit_empty_invitation),
    AuditedPage("admin-courses", ADMIN, "/admin/courses"),
    AuditedPage("admin-audit", ADMIN, "/admin/audit"),
    AuditedPage("admin-questions", ADMIN, "/admin/questions"),
    AuditedPage("admin-question-statistics", ADMIN, "/admin/questions/statistics"),
    AuditedPage("admin-question-import", ADMIN, "/admin/questions/import"),
    AuditedPage("admin-question-import-preview", ADMIN, "/admin/questions/import", then=upload_a_question_bank),
    AuditedPage("verify-certificate", None, lambda server: server.verify_path()),
    AuditedPage("credential-achievement", None, lambda server: server.achievement_path()),
    AuditedPage("certificates-trainee", TRAINEE, "/certificates"),
    AuditedPage("admin-credentials", ADMIN, "/admin/credentials"),
    AuditedPage("admin-eligibility-list", ADMIN, "/admin/certificates/eligible?status=all"),
    AuditedPage("admin-certificates", ADMIN, "/admin/certificates"),
    AuditedPage("admin-certificate", ADMIN, issued_certificate),
    AuditedPage("admin-person-eligibility", ADMIN, lambda server: f"/admin/people/{server.user_ids[READY]}/eligibility"),
    AuditedPage("verify-form", None, "/verify"),
    AuditedPage("admin-person-credentials", ADMIN,
                lambda server: f"/admin/people/{server.user_ids[TRAINEE]}/credentials"),
    AuditedPage("admin-evidence", ADMIN, "/admin/evidence"),
    AuditedPage("not-found", TRAINEE, "/no-such-page", status=404),
    AuditedPage("cohorts-trainee", TRAINEE, "/cohorts/"),
    AuditedPage("cohort-trainee", TRAINEE, lambda server: f"/cohorts/{demo_cohort(server)[0]}"),
    AuditedPage("check-in", TRAINEE, lambda server: f"/cohorts/sessions/{demo_cohort(server)[1]}/check-in"),
    AuditedPage("cohort-leave", TRAINEE, lambda server: f"/cohorts/{demo_cohort(server)[0]}/leave"),
    AuditedPage("calendar", TRAINEE, "/cohorts/calendar"),
    AuditedPage("dashboard-trainer", TRAINER, "/dashboard"),
    AuditedPage("cohort-trainer", TRAINER, lambda server: f"/cohorts/{demo_cohort(server)[0]}"),
    AuditedPage("roster", TRAINER, lambda server: f"/cohorts/sessions/{demo_cohort(server)[1]}/attendance"),
    AuditedPage("roster-confirmed", TRAINER,
                lambda server: f"/cohorts/sessions/{demo_cohort(server)[2]}/attendance"),
    AuditedPage("check-in-code", TRAINER, lambda server: f"/cohorts/sessions/{demo_cohort(server)[1]}/code"),
    AuditedPage("session-remove", TRAINER, lambda server: f"/cohorts/sessions/{demo_cohort(server)[1]}/remove"),
    AuditedPage("reflections", TRAINER, "/cohorts/reflections"),
    AuditedPage("cohorts-admin", ADMIN, "/cohorts/"),
    AuditedPage("cohort-admin", ADMIN, lambda server: f"/cohorts/{demo_cohort(server)[0]}"),
    AuditedPage("cohort-new", ADMIN, "/cohorts/new"),
    AuditedPage("cohort-new-with-errors", ADMIN, "/cohorts/new", then=submit_empty_cohort),
    AuditedPage("session-new", ADMIN, lambda server: f"/cohorts/{demo_cohort(server)[0]}/sessions/new"),
    AuditedPage("notifications", TRAINEE, "/notifications"),
    AuditedPage("review", SUPERVISOR, "/supervision/review"),
    AuditedPage("review-one-supervisee", SUPERVISOR,
                lambda server: f"/supervision/review?trainee={server.user_ids[TRAINEE]}"),
    AuditedPage("review-with-errors", SUPERVISOR, "/supervision/review", then=return_without_a_comment),
    AuditedPage("admin-programme", ADMIN, "/admin/programme"),
    AuditedPage("admin-invitation-link", ADMIN, "/admin/people/invite", then=invite_without_mail),
    AuditedPage("admin-revoke-confirm", ADMIN, issued_certificate, then=ask_to_revoke),
]
PAGE_PARAMS = [pytest.param(p, id=p.name) for p in PAGES]

# What a person on a phone cannot see without scrolling sideways: elements reaching past the
# window's right edge, and boxes whose content is wider than the box (cut off, or scrolling
# inside it). Text scrolling inside a form field is how fields work, and content hidden on
# purpose (clipped to nothing for screen readers only, or not displayed) is left out.
CUT_OFF_ELEMENTS = """() => {
  const limit = window.innerWidth;
  const hidden = el => {
    for (let e = el; e && e !== document.body; e = e.parentElement) {
      const style = getComputedStyle(e);
      if (style.clip !== 'auto' || style.display === 'none' || style.visibility === 'hidden') return true;
    }
    return false;
  };
  const field = el => ['INPUT', 'SELECT', 'TEXTAREA', 'OPTION'].includes(el.tagName);
  const name = el => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}`
    + `${typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : ''}`;
  // Tables folded in a <details> are measured as they are when opened.
  const folded = [...document.querySelectorAll('details:not([open])')];
  folded.forEach(d => { d.open = true; });
  const found = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || field(el) || hidden(el)) continue;
    if (box.right > limit + 0.5) {
      found.push(`${name(el)} reaches ${Math.round(box.right)}px`);
    } else if (getComputedStyle(el).overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1) {
      found.push(`${name(el)} holds ${el.scrollWidth}px in ${el.clientWidth}px`);
    }
    if (found.length >= 8) break;
  }
  folded.forEach(d => { d.open = false; });
  return found;
}"""

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(),
    text: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().replace(/\\s+/g, ' ').slice(0, 50),
    href: el.getAttribute('href'),
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth) || 0,
    id: el.id,
  };
}"""


@dataclass(frozen=True)
class Audit:
    axe: dict             # "desktop" / "phone" -> axe results
    scroll_width: int     # at phone width
    inner_width: int
    cut_off: list         # at phone width: what reaches past the window or is cut off inside its box


SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR") or ROOT / "test-artifacts" / "screenshots")


@pytest.fixture(scope="module")
def audit(shared_page, live_server):
    """``audit(audited)``: open the page once, run axe at both widths and measure it on a phone.

    The results are kept for the module, so the desktop, phone and sideways-scroll tests
    of a page cost one page load (and the suite stays well under a minute). A full-page
    screenshot at each width goes to ``test-artifacts/screenshots/`` (or $SCREENSHOT_DIR),
    which CI keeps, so the pages can be looked at as a person would see them.
    """
    done = {}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def run(audited):
        if audited.name not in done:
            page = audited.open(shared_page(audited.as_user), live_server)
            results = {}
            for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                page.set_viewport_size(viewport)
                results[name] = AXE.run(page, options=AXE_OPTIONS)
                page.screenshot(path=SCREENSHOTS / f"{audited.name}-{viewport['width']}.png", full_page=True,
                                animations="disabled")
            scroll_width, inner_width = page.evaluate(
                "() => [document.documentElement.scrollWidth, window.innerWidth]")
            cut_off = page.evaluate(CUT_OFF_ELEMENTS)
            page.set_viewport_size(DESKTOP)
            done[audited.name] = Audit(results, scroll_width, inner_width, cut_off)
        return done[audited.name]

    return run


@pytest.mark.browser
@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("audited", PAGE_PARAMS)
def test_page_has_no_axe_violations(audited, viewport, audit):
    results = audit(audited).axe["desktop" if viewport == DESKTOP else "phone"]

    assert results.violations_count == 0, (
        f"{audited.name} at {viewport['width']}px wide:\n{results.generate_report()}")


@pytest.mark.browser
@pytest.mark.parametrize("audited", PAGE_PARAMS)
def test_page_does_not_scroll_sideways_on_a_phone(audited, audit):
    measured = audit(audited)

    assert measured.scroll_width <= measured.inner_width, (
        f"{audited.name} is {measured.scroll_width}px wide in a {measured.inner_width}px window; "
        f"too wide: {measured.cut_off}")


@pytest.mark.browser
@pytest.mark.parametrize("audited", PAGE_PARAMS)
def test_nothing_on_the_page_is_cut_off_on_a_phone(audited, audit):
    """No table, chart or box is wider than the phone's window, even one that would scroll inside itself."""
    measured = audit(audited)

    assert not measured.cut_off, f"{audited.name} at {measured.inner_width}px: {measured.cut_off}"


@pytest.mark.browser
def test_every_audited_page_left_a_screenshot_at_both_widths(audit):
    for audited in PAGES:
        audit(audited)

    missing = [f"{p.name}-{v['width']}.png" for p in PAGES for v in (DESKTOP, PHONE)
               if not (SCREENSHOTS / f"{p.name}-{v['width']}.png").is_file()]
    assert not missing, f"no screenshot in {SCREENSHOTS}: {missing}"


@pytest.mark.browser
def test_first_tab_reaches_a_visible_skip_link_that_moves_focus_to_main(open_page):
    page = open_page(TRAINEE)
    page.goto("/dashboard")

    page.keyboard.press("Tab")

    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    box = skip_link.bounding_box()
    viewport = page.viewport_size
    assert box and box["width"] > 10 and box["height"] > 10, f"skip link has no size: {box}"
    assert 0 <= box["y"] and box["y"] + box["height"] <= viewport["height"], f"skip link off-screen: {box}"
    assert 0 <= box["x"] and box["x"] + box["width"] <= viewport["width"], f"skip link off-screen: {box}"

    page.keyboard.press("Enter")

    expect(page.locator("main#main")).to_be_focused()
    # The next Tab continues inside main, not back in the header.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")


@pytest.mark.browser
def test_signing_in_works_with_the_keyboard_alone(open_page, live_server):
    page = open_page()
    page.goto("/login")

    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "email":
            break
    expect(page.get_by_label("E-mail address")).to_be_focused()
    page.keyboard.type(READY)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(live_server.password)
    page.keyboard.press("Enter")

    page.wait_for_url("**/dashboard")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Casey")


@pytest.mark.browser
@pytest.mark.parametrize("as_user, path", [
    pytest.param(ADMIN, "/dashboard", id="dashboard-admin"),
    pytest.param(TRAINEE, f"/courses/{COURSE_SLUG}", id="course-trainee"),
    pytest.param(None, "/login", id="login"),
])
def test_every_focused_link_and_control_shows_an_outline(as_user, path, open_page):
    page = open_page(as_user)
    page.goto(path)

    seen, invisible = [], []
    for _ in range(80):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None or (seen and focused == seen[0]):
            break  # focus left the page or came round again
        seen.append(focused)
        if focused["outlineStyle"] == "none" or focused["outlineWidth"] < 1:
            invisible.append(focused)

    assert sum(1 for f in seen if f["tag"] == "a") >= 3, f"too few links reached by Tab: {seen}"
    assert not invisible, f"focused without a visible outline: {invisible}"


@pytest.mark.browser
def test_the_menu_folds_behind_a_button_on_phones_and_opens_by_keyboard(open_page):
    page = open_page(TRAINEE, viewport=PHONE)
    page.goto("/dashboard")
    menu = page.get_by_role("button", name="Menu")
    courses = page.get_by_role("navigation", name="Main").get_by_role("link", name="Courses")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(courses).to_be_hidden()
    menu.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(courses).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard")).to_be_focused()


@pytest.mark.browser
def test_the_menu_is_always_open_on_wide_screens(open_page):
    page = open_page(TRAINEE, viewport=DESKTOP)
    page.goto("/dashboard")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Courses")).to_be_visible()


@pytest.mark.browser
@pytest.mark.parametrize("as_user", [TRAINEE, SUPERVISOR, ADMIN, None],
                         ids=["trainee", "supervisor", "administrator", "signed-out"])
def test_the_headers_language_picker_keeps_its_button_beside_it_at_the_right(open_page, as_user):
    """A stretched language list pushed its button onto a line of its own and the header grew a row;
    where the menu is short (a supervisor's), the picker must not wrap alone to the left."""
    for viewport in (DESKTOP, PHONE):
        page = open_page(as_user, viewport=viewport)
        page.goto("/dashboard" if as_user else "/verify")
        header = page.locator("header.site-header")
        choice = header.get_by_label("Language")
        button = header.get_by_role("button", name="Change language")
        chosen, pressed = choice.bounding_box(), button.bounding_box()
        assert abs(chosen["y"] + chosen["height"] / 2 - (pressed["y"] + pressed["height"] / 2)) < 4, (chosen, pressed)
        assert chosen["x"] + chosen["width"] <= pressed["x"]
        assert chosen["width"] < 160, chosen
        if viewport == DESKTOP:  # at the right edge of the page's column, after the account menu
            inner = header.locator(".header-inner").bounding_box()
            assert inner["x"] + inner["width"] - (pressed["x"] + pressed["width"]) < 30
            if as_user:
                account = header.locator(".account-menu").bounding_box()
                assert 0 <= chosen["x"] - (account["x"] + account["width"]) < 60, (account, chosen)


@pytest.mark.browser
def test_on_a_phone_everything_a_stacked_cell_holds_sits_right_of_its_columns_name(open_page):
    """A list's rows stack on a phone, each cell beside its column's name. A cell holding more than one
    thing (the kind with its organisation, the edit and withdraw links) put the second thing under the name."""
    page = open_page(TRAINEE, viewport=PHONE)
    page.goto("/hours")
    misplaced = page.evaluate("""() => {
      const out = [];
      for (const cell of document.querySelectorAll('table.stack tbody td[data-label]')) {
        const left = cell.getBoundingClientRect().left;
        for (const item of cell.querySelectorAll(':scope > *:not(br)')) {
          const box = item.getBoundingClientRect();
          if (box.width && box.left - left < 7 * 16) out.push(cell.dataset.label + ': ' + item.textContent.trim());
        }
      }
      return out;
    }""")
    held = page.locator("table.stack tbody td[data-label] > *:not(br)").count()
    assert held > 10 and not misplaced, misplaced
