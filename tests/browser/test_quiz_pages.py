"""Quiz and question-bank pages in a real browser: nothing cut off on a phone, matching readable.

The question bank, the import preview, item statistics and a quiz with a matching question
are opened at 390 and 1280 px. On neither may the page scroll sideways, nor may any box
hide part of its content (a table in a scrolling box counts as cut off).
"""
import random
import re

import pytest
from playwright.sync_api import expect

from .conftest import ADMIN, COURSE_SLUG, DESKTOP, PHONE

# Elements whose content is wider than their box and clipped or scrolled; visually hidden
# text (one pixel wide on purpose) is not content anyone sees.
CLIPPED = """() => [...document.querySelectorAll('main *')]
  .filter(el => el.clientWidth > 1 && el.scrollWidth > el.clientWidth + 1
                && getComputedStyle(el).overflowX !== 'visible')
  .map(el => `${el.tagName.toLowerCase()}.${el.className} (${el.scrollWidth}px in ${el.clientWidth}px)`)"""
WIDE = """() => [...document.querySelectorAll('main *')]
  .filter(el => el.getBoundingClientRect().width > 1 && el.getBoundingClientRect().right > window.innerWidth + 0.5)
  .slice(0, 5).map(el => `${el.tagName.toLowerCase()}.${el.className}`)"""
GIFT = """$CATEGORY: what-peer-recovery-support-is-and-is-not

::Long answers::[html]<p>Which response fits the peer role <b>best</b>?</p>{
=Listening, sharing what helped you, and helping the person find the services they choose#Yes.
~%-50%Explaining which diagnosis probably fits and how it is usually treated by clinicians#No.
~Telling them that what worked for you will work for them if they only try hard enough#No.
}

::Weight off the list:: Which two? {~%50%Mutual-help groups ~%50%Recovery coaching ~%-33%Detox}

$CATEGORY: a-category-with-a-rather-long-name-that-no-quiz-draws-from-yet

::Matching::Match each kind of help with its main focus.{
=Therapy or counselling -> Assessing and treating emotional and behavioural health
=Withdrawal management -> Keeping the body safe while it adjusts to going without a substance
= -> Love, practical help and a sense of belonging at home
}
"""


def assert_nothing_cut_off(page, what):
    page.wait_for_load_state("load")
    clipped = page.evaluate(CLIPPED)
    assert clipped == [], f"{what}: content cut off in {clipped}"
    scroll_width, inner_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, f"{what} scrolls sideways: {page.evaluate(WIDE)}"


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("path", ["/admin/questions", "/admin/questions/statistics",
                                  f"/admin/questions/import?course={COURSE_SLUG}"])
def test_question_bank_pages_fit_the_screen(open_page, path, viewport):
    page = open_page(ADMIN, viewport=viewport)
    assert page.goto(path).status == 200
    assert_nothing_cut_off(page, f"{path} at {viewport['width']}px")


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_import_preview_fits_the_screen_and_says_where_questions_go(open_page, viewport, tmp_path):
    upload = tmp_path / "peer-support-questions-exported-from-moodle.gift"
    upload.write_text(GIFT, encoding="utf-8")
    page = open_page(ADMIN, viewport=viewport)
    page.goto(f"/admin/questions/import?course={COURSE_SLUG}")
    page.get_by_label("Question file").set_input_files(str(upload))
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("button", name="Import 3 questions")).to_be_visible()
    expect(page.get_by_text("weight -33% is not one of Moodle's weights")).to_be_visible()
    expect(page.get_by_text("These questions will appear in no quiz until a quiz lists this category."))\
        .to_be_visible()
    assert_nothing_cut_off(page, f"the import preview at {viewport['width']}px")


@pytest.fixture
def matching_attempt(live_server, make_live_trainee):
    """A trainee with an open attempt at module 1's quiz that holds a matching question."""
    from training.auth.models import User
    from training.extensions import db
    from training.quizzes.models import Quiz
    from training.quizzes.services import start_attempt

    email = make_live_trainee()
    with live_server.app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == email))
        quiz = db.session.get(Quiz, live_server.quiz_ids[1])
        for seed in range(200):
            attempt = start_attempt(user, quiz, rng=random.Random(seed))
            if any(s.qtype == "matching" for s in attempt.slots):
                break
            db.session.delete(attempt)
            db.session.commit()
        attempt_id = attempt.id
        db.session.remove()
    return email, attempt_id


@pytest.fixture
def make_live_trainee(live_server):
    """Create a trainee on the live server and return their e-mail address."""
    from training.auth.models import User
    from training.auth.services import hash_password
    from training.extensions import db

    def factory():
        with live_server.app.app_context():
            number = db.session.scalar(db.select(db.func.count()).select_from(User)) + 1
            email = f"matching.{number}@example.org"
            user = User(email=email, full_name=f"Matching Tester {number}", active=True,
                        password_hash=hash_password(live_server.password))
            user.set_roles({"trainee"})
            db.session.add(user)
            db.session.commit()
            db.session.remove()
        return email

    return factory


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_matching_answers_are_never_cut_off_and_the_review_judges_each_pair(
        open_page, sign_in, live_server, matching_attempt, viewport):
    email, attempt_id = matching_attempt
    page = open_page(viewport=viewport)
    sign_in(page, email)
    page.goto(f"/attempts/{attempt_id}")
    answers = live_server.model_answers(attempt_id)
    model = next(a for a in answers if a.qtype == "matching")
    question = page.locator(f"#question-{model.position}")
    for option in model.data["options"]:  # every answer fully inside the screen, wrapped if long
        label = question.get_by_text(option, exact=True).first
        expect(label).to_be_visible()
        box = label.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], option
    assert_nothing_cut_off(page, f"a matching question at {viewport['width']}px")

    pairs = model.data["pairs"]
    first = question.get_by_role("group", name=pairs[0]["item"], exact=True)
    first.get_by_label(pairs[0]["match"], exact=True).check()
    second = question.get_by_role("group", name=pairs[1]["item"], exact=True)
    second.get_by_label(pairs[0]["match"], exact=True).check()  # a wrong match
    page.get_by_role("button", name="Submit answers").click()
    # The other questions are left blank: the page says so first, with the answers kept.
    expect(page.get_by_role("alert")).to_contain_text("have no answer yet")
    expect(page.locator(f"#question-{model.position}").get_by_role("group", name=pairs[0]["item"], exact=True)
           .get_by_label(pairs[0]["match"], exact=True)).to_be_checked()
    page.get_by_role("button", name="Submit answers").click()
    expect(page).to_have_url(re.compile(r"/review$"))

    review = page.locator(f"#review-q{model.position}").locator("xpath=..")
    rows = review.locator("table.match-review tbody tr")
    expect(rows).to_have_count(len(pairs))
    expect(rows.nth(0)).to_contain_text("Right")
    expect(rows.nth(1)).to_contain_text("Not right")
    expect(rows.nth(1)).to_contain_text(pairs[1]["match"])
    assert_nothing_cut_off(page, f"the review at {viewport['width']}px")
