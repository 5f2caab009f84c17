"""What people do on the platform, through the real pages and forms, one browser context each.

Each journey uses its own demo account (or a person it creates), so the journeys can run
in any order and alone: trainee@example.org completes module 4, new.trainee@example.org
module 1, and the administrator invites someone new. Modules are completed by passing
their quiz, answered through the form like a person would (the right answers come from
the server's database, since the page does not show them before submitting).
"""
import re

import pytest
from playwright.sync_api import expect

from .conftest import ADMIN, COURSE_SLUG, NEW_TRAINEE, TRAINEE

COURSE_PATH = f"/courses/{COURSE_SLUG}"


def path_is(path):
    """A URL pattern for ``expect(page).to_have_url``: exactly this path, any host."""
    return re.compile(rf"^https?://[^/]+{re.escape(path)}$")


def heading(page):
    return page.get_by_role("heading", level=1)


def answer_right(question, model, words=str):
    """Answer one question (its fieldset) through its labelled controls; ``words`` gives the page's
    wording of the controls' own labels ("True", "Your answer") in the language it is shown in."""
    if model.qtype == "true_false":
        question.get_by_label(words("True") if model.answer == "true" else words("False"), exact=True).check()
    elif model.qtype in ("single_choice", "multiple_choice"):
        picked = [model.answer] if isinstance(model.answer, str) else model.answer
        for choice in model.data["choices"]:
            if choice["id"] in picked:
                question.get_by_label(choice["text"], exact=True).check()
    elif model.qtype == "matching":
        for index, pair in enumerate(model.data["pairs"]):
            item = question.get_by_role("group", name=pair["item"], exact=True)
            item.get_by_label(model.answer[str(index)], exact=True).check()
    else:  # short_answer, numerical
        question.get_by_label(words("Your answer")).fill(model.answer)


def pass_the_module_quiz(page, live_server):
    """From an open module's page: take its quiz, answer every question right, submit."""
    page.get_by_role("link", name="Go to the quiz").click()
    page.get_by_role("button", name="Start the quiz").click()
    expect(page).to_have_url(re.compile(r"/attempts/\d+$"))
    answers = live_server.model_answers(int(page.url.rsplit("/", 1)[1]))
    expect(page.locator("fieldset.question")).to_have_count(len(answers))
    for model in answers:
        answer_right(page.locator(f"#question-{model.position}"), model)
    page.get_by_role("button", name="Submit answers").click()

    expect(page).to_have_url(re.compile(r"/attempts/\d+/review$"))
    expect(page.locator(".result-score")).to_contain_text("100% · Passed")
    expect(page.get_by_text("The module is complete.")).to_be_visible()


@pytest.mark.browser
def test_trainee_continues_the_course_from_the_dashboard(open_page, sign_in, live_server):
    fourth, fifth = live_server.modules[3], live_server.modules[4]
    page = open_page()

    sign_in(page, TRAINEE)

    expect(heading(page)).to_have_text("Hello, Jordan")
    expect(page.get_by_role("link", name=live_server.course_title)).to_be_visible()
    next_step = page.get_by_role("link", name=re.compile(r"^Continue"))
    expect(next_step).to_contain_text(fourth.title)

    next_step.click()
    expect(page).to_have_url(path_is(fourth.path))
    expect(heading(page)).to_have_text(fourth.title)
    expect(page.get_by_text("Module 4 of 8")).to_be_visible()

    pass_the_module_quiz(page, live_server)
    expect(page.get_by_role("link", name=f"Next module: {fifth.title}")).to_be_visible()

    page.get_by_role("link", name="Back to the course").click()
    expect(page).to_have_url(path_is(COURSE_PATH))
    expect(page.get_by_text("4 of 8 modules done.")).to_be_visible()
    expect(page.locator(".module-item.done")).to_have_count(4)
    expect(page.locator(".module-item", has_text=fifth.title).get_by_text("Open")).to_be_visible()
    page.get_by_role("link", name=re.compile(r"^Continue with")).click()
    expect(page).to_have_url(path_is(fifth.path))
    expect(heading(page)).to_have_text(fifth.title)
    expect(page.get_by_role("link", name="Go to the quiz")).to_be_visible()


@pytest.mark.browser
def test_a_locked_module_cannot_be_opened_by_its_address(open_page, live_server):
    seventh = live_server.modules[6]
    page = open_page(TRAINEE)

    page.goto(seventh.path)

    expect(page).to_have_url(path_is(COURSE_PATH))
    expect(page.get_by_role("status")).to_have_text(
        "Finish the earlier modules first; this one opens when they are done.")
    locked = page.locator(".module-item", has_text=seventh.title)
    expect(locked.get_by_text("Locked")).to_be_visible()
    expect(locked.get_by_role("link")).to_have_count(0)
    expect(page.get_by_role("heading", level=1, name=seventh.title)).to_have_count(0)

    page.goto(live_server.quiz_path(7))  # its quiz is closed too
    expect(page.get_by_text("This quiz opens when the modules before it are done.")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Start"))).to_have_count(0)


@pytest.mark.browser
def test_a_new_trainee_completes_the_first_module_and_the_second_opens(open_page, sign_in, live_server):
    first, second = live_server.modules[0], live_server.modules[1]
    page = open_page()
    sign_in(page, NEW_TRAINEE)

    page.get_by_role("link", name=re.compile(r"^Start")).click()
    expect(page).to_have_url(path_is(first.path))
    expect(heading(page)).to_have_text(first.title)
    modules_nav = page.get_by_role("navigation", name="Modules")
    expect(modules_nav).to_contain_text("Next (opens when this module is done)")
    expect(modules_nav.get_by_role("link", name=re.compile("Next"))).to_have_count(0)

    pass_the_module_quiz(page, live_server)
    expect(page.get_by_role("link", name=f"Next module: {second.title}")).to_be_visible()

    page.get_by_role("link", name="Back to the course").click()
    page.get_by_role("link", name=first.title, exact=True).click()
    expect(page).to_have_url(path_is(first.path))
    expect(page.get_by_text("You completed this module on")).to_be_visible()
    next_link = page.get_by_role("navigation", name="Modules").get_by_role("link", name=re.compile("Next"))
    expect(next_link).to_contain_text(second.title)
    next_link.click()
    expect(page).to_have_url(path_is(second.path))
    expect(heading(page)).to_have_text(second.title)


@pytest.mark.browser
def test_an_administrator_invites_someone_who_then_signs_up(open_page, sign_in, live_server):
    name, email = "Dana Fischer", "dana.fischer@example.org"
    admin = open_page()
    sign_in(admin, ADMIN)

    admin.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    admin.get_by_role("link", name="Invite someone").click()
    expect(heading(admin)).to_have_text("Invite someone")
    admin.get_by_label("Full name").fill(name)
    admin.get_by_label("E-mail address").fill(email)
    expect(admin.get_by_label("Trainee")).to_be_checked()
    admin.get_by_role("button", name="Send invitation").click()

    # The test site has no mail server: the page shows the one-time link to pass on.
    expect(heading(admin)).to_have_text(f"Pass this link to {name}")
    links = live_server.mail.links_for(email)
    assert len(links) == 1, f"expected one invitation mail to {email}, got links {links}"
    assert links[0].startswith(f"{live_server.url}/invitation/"), links[0]
    expect(admin.get_by_label("One-time invitation link")).to_have_value(links[0])
    admin.get_by_role("link", name=f"Go to {name}’s page").click()
    expect(heading(admin)).to_have_text(name)
    expect(admin.locator(".details")).to_contain_text("has not accepted yet")

    invitee = open_page()  # the invited person, in a browser of their own
    invitee.goto(links[0])
    expect(heading(invitee)).to_have_text(f"Welcome, {name}")
    invitee.get_by_label("New password").fill("four unrelated words here")
    invitee.get_by_label("Repeat the password").fill("four unrelated words here")
    invitee.get_by_role("button", name="Create my account").click()

    expect(invitee).to_have_url(path_is("/dashboard"))
    expect(invitee.get_by_role("status")).to_have_text("Your account is ready. Welcome!")
    expect(heading(invitee)).to_have_text("Hello, Dana")
    expect(invitee.locator(".account-link")).to_contain_text(name)
    expect(invitee.get_by_role("link", name=re.compile(r"^Start"))).to_be_visible()
